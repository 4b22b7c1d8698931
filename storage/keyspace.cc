#include "storage/keyspace.h"

#include <algorithm>

#include "storage/clock.h"
#include "storage/hashing.h"
#include "storage/write_order.h"

namespace terndb::storage {

Keyspace::Keyspace(int databases, unsigned shard_bits)
    : databases_(databases), shard_bits_(shard_bits) {
  size_t n = size_t{1} << shard_bits;
  shards_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    s->dbs.resize(static_cast<size_t>(databases));
    s->expire_cursor.assign(static_cast<size_t>(databases), 0);
    s->tombstones.resize(static_cast<size_t>(databases));
    for (Table& t : s->dbs) t.bind_counter(&dataset_bytes_);
    s->rng.seed(0x9e3779b97f4a7c15ull * (i + 1));
    shards_.push_back(std::move(s));
  }
}

Keyspace::~Keyspace() {
  if (flash_) flash_->unbind();
}

namespace {
thread_local int t_highest_held_shard = -1;
}  // namespace

int highest_held_shard() {
  return t_highest_held_shard;
}

void prefetch_lookups(Keyspace& ks, int db, const std::string_view* keys, size_t count) {
  count = std::min(count, kMaxPrefetchedKeys);
  const Table* tables[kMaxPrefetchedKeys];
  uint64_t hashes[kMaxPrefetchedKeys];
  for (size_t i = 0; i < count; ++i) {
    hashes[i] = hash_key(keys[i]);
    tables[i] = &ks.shard(ks.shard_of(hashes[i])).dbs[static_cast<size_t>(db)];
    tables[i]->prefetch_slot(hashes[i]);
  }
  for (size_t i = 0; i < count; ++i) tables[i]->prefetch_first_entry(hashes[i]);
}

void Keyspace::lock_all() {
  for (auto& s : shards_) s->mu.lock();
  t_highest_held_shard = static_cast<int>(shards_.size()) - 1;
}

void Keyspace::unlock_all() {
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) (*it)->mu.unlock();
  t_highest_held_shard = -1;
}

size_t Keyspace::db_size(int db, bool locked) {
  // With flash, a key evicted meanwhile would move from a table already counted to the
  // offloaded count: count with every shard held.
  if (flash_ && !locked) {
    lock_all();
    size_t n = db_size(db, true);
    unlock_all();
    return n;
  }
  size_t n = 0;
  for (auto& s : shards_) {
    std::unique_lock<std::mutex> g(s->mu, std::defer_lock);
    if (!locked) g.lock();
    n += s->dbs[static_cast<size_t>(db)].size();
  }
  // Keys evicted to flash still exist.
  if (flash_) n += static_cast<size_t>(std::max<int64_t>(0, flash_->offloaded(db)));
  return n;
}

size_t Keyspace::volatile_count(int db, bool locked) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::unique_lock<std::mutex> g(s->mu, std::defer_lock);
    if (!locked) g.lock();
    n += s->dbs[static_cast<size_t>(db)].volatile_count();
  }
  return n;
}

void Keyspace::flush_db(int db, bool locked) {
  // While writes are being replicated the flush must be one step in the write order:
  // all shards at once, with a ticket taken under their locks. With flash the same: the
  // flash side is cleared under every lock, so no write lands between the two halves.
  if (!locked && (flash_ || write_sequence().enabled.load(std::memory_order_relaxed))) {
    lock_all();
    note_write();
    flush_db(db, true);
    unlock_all();
    return;
  }
  note_write();
  if (flash_) flash_->clear(db);
  for (auto& s : shards_) {
    Table doomed;
    {
      std::unique_lock<std::mutex> g(s->mu, std::defer_lock);
      if (!locked) g.lock();
      doomed = s->dbs[static_cast<size_t>(db)].take();
      s->expire_cursor[static_cast<size_t>(db)] = 0;
      if (!s->watches.empty()) s->watches.touch_db(db);
    }
    // `doomed` frees its entries here, outside the lock.
  }
}

void Keyspace::flush_all(bool locked) {
  if (!locked && write_sequence().enabled.load(std::memory_order_relaxed)) {
    lock_all();
    flush_all(true);
    unlock_all();
    return;
  }
  for (int db = 0; db < databases_; ++db) flush_db(db, locked);
}

void Keyspace::swap_contents(Keyspace& other) {
  note_write();
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard& s = *shards_[i];
    Shard& o = *other.shards_[i];
    for (size_t db = 0; db < s.dbs.size(); ++db) {
      std::swap(s.dbs[db], o.dbs[db]);
      s.expire_cursor[db] = 0;
      if (!s.watches.empty()) s.watches.touch_db(static_cast<int>(db));
    }
  }
}

void Keyspace::swap_db(int a, int b, bool locked) {
  if (!locked) lock_all();
  note_write();
  if (flash_) flash_->swap(a, b);
  for (auto& s : shards_) {
    std::swap(s->dbs[static_cast<size_t>(a)], s->dbs[static_cast<size_t>(b)]);
    std::swap(s->expire_cursor[static_cast<size_t>(a)], s->expire_cursor[static_cast<size_t>(b)]);
    if (!s->watches.empty()) {
      s->watches.touch_db(a);
      s->watches.touch_db(b);
    }
  }
  if (!locked) unlock_all();
}

void Keyspace::expire_entry(Shard& s, int db, Entry** link) {
  Table& t = s.dbs[static_cast<size_t>(db)];
  Entry* e = t.unlink(link);
  if (e->has_version) {
    Version v = e->version();
    if (!v.empty()) s.tombstones[static_cast<size_t>(db)][std::string(e->key())] = {v, now_ms()};
  }
  if (!s.watches.empty()) s.watches.touch(db, e->key());
  if (observer_) observer_->key_expired(db, e->key());
  if (flash_) flash_->remove(db, e->key());
  free_entry(e);
}

size_t Keyspace::purge_tombstones(int64_t before_ms) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> g(s->mu);
    for (TombstoneMap& m : s->tombstones) {
      for (auto it = m.begin(); it != m.end();) {
        if (it->second.since_ms < before_ms) {
          it = m.erase(it);
          ++n;
        } else {
          ++it;
        }
      }
    }
  }
  return n;
}

size_t Keyspace::tombstone_count() {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> g(s->mu);
    for (TombstoneMap& m : s->tombstones) n += m.size();
  }
  return n;
}

namespace {
constexpr int kCursorShardBits = 16;  // room for up to 65536 shards in a SCAN cursor
constexpr int kTableCursorWidth = 64 - kCursorShardBits;
}  // namespace

uint64_t Keyspace::scan(int db, uint64_t cursor, size_t count, int64_t now,
                        const std::function<void(const Entry*)>& fn, bool locked) {
  size_t shard_idx = static_cast<size_t>(cursor & ((1ull << kCursorShardBits) - 1));
  uint64_t table_cursor = cursor >> kCursorShardBits;
  if (shard_idx >= shards_.size()) return 0;
  size_t seen = 0;
  // Bound the buckets visited per call, as Redis does, so sparse tables cannot stall us.
  size_t max_steps = count * 10;
  while (true) {
    Shard& s = *shards_[shard_idx];
    {
      std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
      if (!locked) g.lock();
      Table& t = s.dbs[static_cast<size_t>(db)];
      do {
        table_cursor = t.scan(
            table_cursor,
            [&](Entry* e) {
              ++seen;
              int64_t exp = e->expire_at();
              if (exp >= 0 && exp <= now) return;
              fn(e);
            },
            kTableCursorWidth);
      } while (table_cursor != 0 && seen < count && --max_steps > 0);
    }
    if (table_cursor == 0) {
      ++shard_idx;
      if (shard_idx >= shards_.size()) return 0;
    }
    if (seen >= count || max_steps == 0) break;
  }
  return (table_cursor << kCursorShardBits) | shard_idx;
}

bool Keyspace::random_key(int db, int64_t now, std::string& out, bool locked) {
  // Pick shards weighted by size: sample a shard at random among the non-empty ones.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::vector<size_t> sizes(shards_.size());
    size_t total = 0;
    for (size_t i = 0; i < shards_.size(); ++i) {
      // Reading sizes under each lock keeps TSan quiet and the numbers consistent enough.
      std::unique_lock<std::mutex> g(shards_[i]->mu, std::defer_lock);
      if (!locked) g.lock();
      sizes[i] = shards_[i]->dbs[static_cast<size_t>(db)].size();
      total += sizes[i];
    }
    if (total == 0) return false;
    size_t pick = rng() % total;
    size_t idx = 0;
    while (pick >= sizes[idx]) pick -= sizes[idx++];
    Shard& s = *shards_[idx];
    std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
    if (!locked) g.lock();
    Table& t = s.dbs[static_cast<size_t>(db)];
    Entry* e = t.random_entry(rng);
    if (!e) continue;
    int64_t exp = e->expire_at();
    if (exp >= 0 && exp <= now && attempt < 99) continue;
    out.assign(e->key());
    return true;
  }
  return false;
}

Keyspace::ExpireResult Keyspace::active_expire_cycle(int64_t now, const ExpireParams& params) {
  const int64_t start = now_us();
  ExpireResult result;
  const size_t n = shards_.size();
  const size_t first = expire_shard_cursor_.load(std::memory_order_relaxed) % n;
  std::vector<Entry*> expired;
  expired.reserve(params.keys_per_loop);
  for (size_t k = 0; k < n; ++k) {
    const size_t index = (first + k) % n;
    Shard& s = *shards_[index];
    // A shard someone holds (a script or EXEC holds them all) waits for the next round:
    // the io thread running this must never block behind a long script.
    std::unique_lock<std::mutex> g(s.mu, std::try_to_lock);
    if (!g.owns_lock()) continue;
    for (int db = 0; db < databases_; ++db) {
      Table& t = s.dbs[static_cast<size_t>(db)];
      uint64_t& cursor = s.expire_cursor[static_cast<size_t>(db)];
      for (int loop = 0; t.volatile_count() > 0; ++loop) {
        // One loop: up to keys_per_loop volatile keys from consecutive buckets.
        size_t sampled = 0;
        size_t buckets = params.keys_per_loop * 20;
        expired.clear();
        do {
          cursor = t.scan(cursor, [&](Entry* e) {
            if (!e->has_expire) return;
            ++sampled;
            if (e->expire_at() <= now) expired.push_back(e);
          });
        } while (cursor != 0 && sampled < params.keys_per_loop && --buckets > 0);
        for (Entry* e : expired) {
          Entry** link = t.find(e->key(), hash_key(e->key()));
          if (link) expire_entry(s, db, link);
        }
        result.sampled += sampled;
        result.expired += expired.size();
        if (sampled == 0) break;
        if (static_cast<int64_t>(expired.size() * 100) <=
            params.acceptable_stale_perc * static_cast<int64_t>(sampled)) {
          break;
        }
        if ((loop & 15) == 15 && now_us() - start > params.budget_us) break;
      }
      t.maybe_shrink();
    }
    if (now_us() - start > params.budget_us) {
      // Resume here next time, so every shard gets its turn under a tight budget.
      expire_shard_cursor_.store(index, std::memory_order_relaxed);
      result.time_cap_reached = true;
      return result;
    }
  }
  expire_shard_cursor_.store(first + 1, std::memory_order_relaxed);
  return result;
}

ShardLocks::ShardLocks(Keyspace& ks, const std::vector<size_t>& shard_indices,
                       bool already_locked) {
  if (already_locked) return;
  ks_ = &ks;
  held_ = shard_indices;
  std::sort(held_.begin(), held_.end());
  held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
  for (size_t i : held_) ks.shard(i).mu.lock();
  outer_highest_ = t_highest_held_shard;
  if (!held_.empty()) {
    t_highest_held_shard = std::max(outer_highest_, static_cast<int>(held_.back()));
  }
}

ShardLocks::~ShardLocks() {
  if (!ks_) return;
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) ks_->shard(*it).mu.unlock();
  t_highest_held_shard = outer_highest_;
}

}  // namespace terndb::storage
