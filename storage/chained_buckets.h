// The bucket array of an intrusive chained hash index, shared by the indexes that hash
// strings (StringDict, the sorted-set member index): allocation and rehashing into a new
// power-of-two bucket count.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

#include "storage/hashing.h"

namespace terndb::storage {

// Moves every node of `old_buckets` (old_count buckets, may be null) into a new zeroed array
// of `new_count` buckets, which it returns; frees the old array. `link` gives a node's
// chain pointer (a reference), `key` the string it is hashed by.
template <class Node, class LinkOf, class KeyOf>
Node** rehash_buckets(Node** old_buckets, size_t old_count, size_t new_count, LinkOf link,
                      KeyOf key) {
  auto* buckets = static_cast<Node**>(calloc(new_count, sizeof(Node*)));
  if (!buckets) throw std::bad_alloc();
  const size_t new_mask = new_count - 1;
  for (size_t i = 0; old_buckets && i < old_count; ++i) {
    Node* n = old_buckets[i];
    while (n) {
      Node* next = link(n);
      Node*& head = buckets[hash_key(key(n)) & new_mask];
      link(n) = head;
      head = n;
      n = next;
    }
  }
  free(old_buckets);
  return buckets;
}

}  // namespace terndb::storage
