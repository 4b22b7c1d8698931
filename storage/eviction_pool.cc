#include "storage/eviction_pool.h"

#include <algorithm>

namespace terndb::storage {

void EvictionPool::offer(uint64_t score, int db, size_t shard, std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->db == db && it->key == key) {
      entries_.erase(it);
      break;
    }
  }
  if (entries_.size() >= kSize) {
    if (score <= entries_.front().score) return;
    entries_.erase(entries_.begin());
  }
  auto pos = std::upper_bound(entries_.begin(), entries_.end(), score,
                              [](uint64_t s, const EvictionCandidate& c) { return s < c.score; });
  entries_.insert(pos, EvictionCandidate{score, db, shard, std::string(key)});
}

bool EvictionPool::pop_best(EvictionCandidate& out) {
  if (entries_.empty()) return false;
  out = std::move(entries_.back());
  entries_.pop_back();
  return true;
}

}  // namespace terndb::storage
