// The best eviction candidates seen so far, as Redis's eviction pool keeps them: keys are
// sampled from every shard and database, each with a score (higher = evict sooner: idle
// time under LRU, 255 minus the access counter under LFU, the inverse of the expiry time
// under volatile-ttl, a random number under the random policies), and only the kSize best
// are kept. The pool outlives one eviction, so keys sampled earlier keep competing with
// later samples; a candidate is checked against the keyspace again before it is deleted.
//
// Not thread-safe: the eviction code guards it with its own mutex, which is never held
// while waiting for a shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace terndb::storage {

struct EvictionCandidate {
  uint64_t score = 0;
  int db = 0;
  size_t shard = 0;
  std::string key;
};

class EvictionPool {
 public:
  static constexpr size_t kSize = 16;

  // Adds a candidate if the pool has room or it beats the worst one kept. A key already
  // in the pool only has its score updated.
  void offer(uint64_t score, int db, size_t shard, std::string_view key);
  // Takes out the candidate with the highest score; false when empty.
  bool pop_best(EvictionCandidate& out);
  size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

 private:
  std::vector<EvictionCandidate> entries_;  // ascending by score
};

}  // namespace terndb::storage
