#include "storage/flash_tier.h"

#include <cstring>
#include <mutex>

#include "storage/hashing.h"
#include "storage/keyspace.h"

namespace terndb::storage {
namespace {

std::string dirty_name(int db, std::string_view key) {
  std::string out(4 + key.size(), '\0');
  auto u = static_cast<uint32_t>(db);
  memcpy(out.data(), &u, 4);
  memcpy(out.data() + 4, key.data(), key.size());
  return out;
}

}  // namespace

void FlashTier::bind(Keyspace* ks) {
  // The background flush reads ks_ and dirty_ under bind_mu_ too.
  std::lock_guard<std::mutex> g(bind_mu_);
  ks_ = ks;
  dirty_.assign(ks ? ks->shard_count() : 0, {});
}

void FlashTier::unbind() {
  std::lock_guard<std::mutex> g(bind_mu_);
  if (!ks_) return;
  flush_all_dirty(false);
  ks_ = nullptr;
}

void FlashTier::mark_dirty(size_t shard, int db, std::string_view key) {
  dirty_[shard].insert(dirty_name(db, key));
}

bool FlashTier::is_dirty(size_t shard, int db, std::string_view key) const {
  const auto& set = dirty_[shard];
  return !set.empty() && set.count(dirty_name(db, key)) > 0;
}

void FlashTier::flush_shard(size_t index) {
  auto& set = dirty_[index];
  if (set.empty()) return;
  Shard& s = ks_->shard(index);
  std::vector<Change> changes;
  changes.reserve(set.size());
  for (const std::string& name : set) {
    uint32_t db;
    memcpy(&db, name.data(), 4);
    std::string_view key(name.data() + 4, name.size() - 4);
    Entry** link = s.dbs[db].find(key, hash_key(key));
    changes.push_back({static_cast<int>(db), key, link ? *link : nullptr});
  }
  write_changes(changes);
  set.clear();
}

void FlashTier::flush_all_dirty(bool all_locked) {
  if (!ks_) return;
  for (size_t i = 0; i < dirty_.size(); ++i) {
    std::unique_lock<std::mutex> g(ks_->shard(i).mu, std::defer_lock);
    if (!all_locked) g.lock();
    flush_shard(i);
  }
}

}  // namespace terndb::storage
