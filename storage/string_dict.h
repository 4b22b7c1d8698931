// The "hashtable" encoding of hashes and sets: a chained hash table of strings. Each node
// is one allocation holding its chain link, its key and (for hashes) its value, so a member
// costs one allocation rather than Redis's dict entry plus separate strings.
//
// The bucket array doubles when the table is full (load factor 1) and shrinks when it
// becomes sparse (below 1/8). scan() walks buckets in reverse-binary order, which visits
// every node present for a whole iteration even when the table is resized between calls,
// as SSCAN/HSCAN promise.
//
// Not thread-safe: the owning key's shard lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

namespace terndb::storage {

class StringDict {
 public:
  struct Node {
    Node* next;
    uint32_t key_len;
    uint32_t value_len;
    std::string_view key() const { return {data(), key_len}; }
    std::string_view value() const { return {data() + key_len, value_len}; }

   private:
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  };
  static_assert(sizeof(Node) == 16);

  StringDict() = default;
  ~StringDict();
  StringDict(const StringDict& other);
  StringDict& operator=(const StringDict&) = delete;

  size_t size() const { return size_; }
  // Heap bytes: nodes and bucket array, as the allocator counts them.
  size_t memory() const { return bytes_; }

  const Node* find(std::string_view key) const;
  // Adds `key` with `value`, or replaces the value of an existing key. Returns whether the
  // key is new.
  bool set(std::string_view key, std::string_view value);
  // Adds `key` (with an empty value) unless present. Returns whether it was added.
  bool add(std::string_view key) { return !find(key) && set(key, {}); }
  // Returns whether the key was present.
  bool erase(std::string_view key);
  // Sizes the bucket array for `n` keys ahead of a bulk insert.
  void reserve(size_t n);

  // Visits the chain of the bucket `cursor` names; returns the next cursor (0 when done).
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!buckets_) return 0;
    for (const Node* n = buckets_[cursor & mask_]; n; n = n->next) fn(*n);
    return next_cursor(cursor);
  }
  // A random node (a random non-empty bucket, then a random node of its chain), or null.
  const Node* random(std::mt19937_64& rng) const;

  template <typename F>
  void for_each(F&& fn) const {
    if (!buckets_) return;
    for (size_t i = 0; i <= mask_; ++i) {
      for (const Node* n = buckets_[i]; n; n = n->next) fn(*n);
    }
  }

 private:
  Node** link_of(std::string_view key, uint64_t hash) const;
  void resize(size_t buckets);
  void maybe_shrink();
  uint64_t next_cursor(uint64_t cursor) const;
  size_t bucket_bytes() const;
  static Node* make_node(std::string_view key, std::string_view value);
  static size_t node_bytes(const Node* n);

  Node** buckets_ = nullptr;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace terndb::storage
