#include "storage/string_dict.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "storage/chained_buckets.h"
#include "storage/hashing.h"

namespace terndb::storage {
namespace {

constexpr size_t kMinBuckets = 4;

uint64_t reverse_bits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

}  // namespace

StringDict::~StringDict() {
  if (!buckets_) return;
  for (size_t i = 0; i <= mask_; ++i) {
    Node* n = buckets_[i];
    while (n) {
      Node* next = n->next;
      free(n);
      n = next;
    }
  }
  free(buckets_);
}

StringDict::StringDict(const StringDict& other) {
  reserve(other.size_);
  other.for_each([&](const Node& n) { set(n.key(), n.value()); });
}

StringDict::Node* StringDict::make_node(std::string_view key, std::string_view value) {
  auto* n = static_cast<Node*>(malloc(sizeof(Node) + key.size() + value.size()));
  if (!n) throw std::bad_alloc();
  n->next = nullptr;
  n->key_len = static_cast<uint32_t>(key.size());
  n->value_len = static_cast<uint32_t>(value.size());
  char* data = reinterpret_cast<char*>(n + 1);
  if (!key.empty()) memcpy(data, key.data(), key.size());
  if (!value.empty()) memcpy(data + key.size(), value.data(), value.size());
  return n;
}

size_t StringDict::node_bytes(const Node* n) {
  return malloc_usable_size(const_cast<Node*>(n));
}

size_t StringDict::bucket_bytes() const {
  return buckets_ ? malloc_usable_size(buckets_) : 0;
}

StringDict::Node** StringDict::link_of(std::string_view key, uint64_t hash) const {
  if (!buckets_) return nullptr;
  Node** link = &buckets_[hash & mask_];
  while (*link) {
    const Node* n = *link;
    if (n->key_len == key.size() && memcmp(n->key().data(), key.data(), key.size()) == 0) {
      return link;
    }
    link = &(*link)->next;
  }
  return nullptr;
}

const StringDict::Node* StringDict::find(std::string_view key) const {
  Node** link = link_of(key, hash_key(key));
  return link ? *link : nullptr;
}

bool StringDict::set(std::string_view key, std::string_view value) {
  const uint64_t hash = hash_key(key);
  if (Node** link = link_of(key, hash)) {
    Node* old = *link;
    if (old->value_len == value.size()) {
      if (!value.empty()) {
        memcpy(const_cast<char*>(old->value().data()), value.data(), value.size());
      }
      return false;
    }
    Node* n = make_node(key, value);
    n->next = old->next;
    *link = n;
    bytes_ += node_bytes(n);
    bytes_ -= node_bytes(old);
    free(old);
    return false;
  }
  if (!buckets_) {
    resize(kMinBuckets);
  } else if (size_ >= mask_ + 1) {
    resize((mask_ + 1) * 2);
  }
  Node* n = make_node(key, value);
  Node** slot = &buckets_[hash & mask_];
  n->next = *slot;
  *slot = n;
  ++size_;
  bytes_ += node_bytes(n);
  return true;
}

bool StringDict::erase(std::string_view key) {
  Node** link = link_of(key, hash_key(key));
  if (!link) return false;
  Node* n = *link;
  *link = n->next;
  --size_;
  bytes_ -= node_bytes(n);
  free(n);
  maybe_shrink();
  return true;
}

void StringDict::reserve(size_t n) {
  size_t target = kMinBuckets;
  while (target < n) target *= 2;
  if (!buckets_ || target > mask_ + 1) resize(target);
}

void StringDict::maybe_shrink() {
  const size_t buckets = mask_ + 1;
  if (buckets_ && buckets > kMinBuckets && size_ * 8 < buckets) {
    size_t target = kMinBuckets;
    while (target < size_) target *= 2;
    resize(target);
  }
}

void StringDict::resize(size_t new_count) {
  if (buckets_) bytes_ -= bucket_bytes();
  buckets_ = rehash_buckets(
      buckets_, buckets_ ? mask_ + 1 : 0, new_count, [](Node* n) -> Node*& { return n->next; },
      [](Node* n) { return n->key(); });
  mask_ = new_count - 1;
  bytes_ += bucket_bytes();
}

uint64_t StringDict::next_cursor(uint64_t cursor) const {
  // Set the bits above the mask so the increment of the reversed cursor carries into
  // the bits that matter.
  uint64_t v = cursor | ~static_cast<uint64_t>(mask_);
  v = reverse_bits(v);
  ++v;
  return reverse_bits(v);
}

const StringDict::Node* StringDict::random(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  const Node* head = nullptr;
  while (!head) head = buckets_[rng() & mask_];
  size_t len = 0;
  for (const Node* n = head; n; n = n->next) ++len;
  size_t pick = rng() % len;
  const Node* n = head;
  while (pick--) n = n->next;
  return n;
}

}  // namespace terndb::storage
