// The keyspace: `databases` logical databases, split into 2^shard_bits shards by key hash.
//
// A shard is the unit of locking. It holds, for each database, the Table of the keys that
// hash to it; a key therefore lives in the same shard in every database, so MOVE and
// SWAPDB never need more than the shard locks they already hold, and a transaction that
// must exclude everyone takes shard_count locks, not shard_count * databases.
//
// Lock order: shards in ascending index. Nothing else is held while waiting for a shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <vector>

#include "storage/flash_tier.h"
#include "storage/table.h"
#include "storage/version.h"
#include "storage/waiting.h"

namespace terndb::storage {

// Notified, with the shard lock held, of changes the keyspace makes on its own.
class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void key_expired(int db, std::string_view key) = 0;
  // A key was added to database `db` (not replaced): KeyHandle::put on an absent key.
  virtual void key_created(int /*db*/, std::string_view /*key*/) {}
};

struct Shard {
  std::mutex mu;
  std::vector<Table> dbs;
  WatchRegistry watches;  // WATCHed keys of this shard
  WaitQueues waiters;     // clients blocked on keys of this shard
  std::vector<uint64_t> expire_cursor;  // active expiry position per database
  // Deleted keys' versions per database (active replication only; storage/version.h).
  std::vector<TombstoneMap> tombstones;
  std::mt19937_64 rng{0x7e4db};
};

class Keyspace;

// For a command about to look up several keys whose shard locks it holds (MSET): starts
// loading every key's bucket slot, then every chain's first entry, so that the lookups'
// cache misses overlap instead of following one another. On a large table each lookup
// is two or three misses; ten of them in a row were most of MSET's time. Only the first
// kMaxPrefetchedKeys keys are hinted.
inline constexpr size_t kMaxPrefetchedKeys = 16;
void prefetch_lookups(Keyspace& ks, int db, const std::string_view* keys, size_t count);

class Keyspace {
 public:
  Keyspace(int databases, unsigned shard_bits);
  ~Keyspace();  // writes the flash tier's pending changes first

  int databases() const { return databases_; }
  size_t shard_count() const { return shards_.size(); }
  unsigned shard_bits() const { return shard_bits_; }
  size_t shard_of(uint64_t hash) const {
    return shard_bits_ == 0 ? 0 : static_cast<size_t>(hash >> (64 - shard_bits_));
  }
  Shard& shard(size_t i) { return *shards_[i]; }

  void set_observer(KeyspaceObserver* o) { observer_ = o; }
  // The flash tier (storage-provider flash), or null: set once before any client runs.
  void set_flash(FlashTier* f) {
    flash_ = f;
    if (f) f->bind(this);
  }
  FlashTier* flash() const { return flash_; }
  KeyspaceObserver* observer() const { return observer_; }
  // Replicas do not delete expired keys themselves; they only hide them (set false there).
  void set_expire_on_access(bool v) { expire_on_access_.store(v, std::memory_order_relaxed); }
  bool expire_on_access() const { return expire_on_access_.load(std::memory_order_relaxed); }

  void lock_all();
  void unlock_all();

  // These lock what they need unless `locked` says the caller holds every shard lock.
  size_t db_size(int db, bool locked = false);
  size_t volatile_count(int db, bool locked = false);
  void flush_db(int db, bool locked = false);
  void flush_all(bool locked = false);
  void swap_db(int a, int b, bool locked = false);
  // Exchanges every table with `other` (same databases and shard count, reached by no one
  // else: a replica's staging keyspace), in time independent of the key count. The caller
  // holds every shard lock of this keyspace. WATCHers of every database are told.
  void swap_contents(Keyspace& other);

  // One SCAN step over database `db`: calls fn for entries until about `count` were seen
  // or the walk ends; returns the next cursor (0 = done). The cursor holds the shard
  // index in its low bits and the per-table reverse-binary cursor above them.
  uint64_t scan(int db, uint64_t cursor, size_t count, int64_t now,
                const std::function<void(const Entry*)>& fn, bool locked = false);
  // A random live key of `db`, or empty.
  bool random_key(int db, int64_t now, std::string& out, bool locked = false);

  // Active expiry (Redis's activeExpireCycle, spread over shards): each table holding
  // volatile keys is walked from where the last cycle stopped, `keys_per_loop` volatile keys
  // at a time, deleting the expired ones, and again while more than `acceptable_stale_perc`
  // percent of a loop's keys were expired. The next cycle starts at the shard where this one
  // ran out of its `budget_us`.
  struct ExpireParams {
    size_t keys_per_loop = 20;
    int64_t acceptable_stale_perc = 10;
    int64_t budget_us = 25000;
  };
  struct ExpireResult {
    size_t sampled = 0;  // volatile keys looked at
    size_t expired = 0;  // and deleted
    bool time_cap_reached = false;
  };
  ExpireResult active_expire_cycle(int64_t now, const ExpireParams& params);

  // Bytes of every table (entries, values and bucket arrays), kept by the tables as they
  // change: the dataset part of used_memory, readable without any lock.
  int64_t dataset_bytes() const { return dataset_bytes_.load(std::memory_order_relaxed); }

  // Deletes an expired entry at *link (hooks notified). Caller holds the shard lock. With
  // versioned entries the key leaves a tombstone with the version it had: every node
  // expires the same version at the same time, so nothing needs to be sent.
  void expire_entry(Shard& s, int db, Entry** link);

  // Drops tombstones made before `before_ms`; returns how many.
  size_t purge_tombstones(int64_t before_ms);
  size_t tombstone_count();

 private:
  int databases_;
  unsigned shard_bits_;
  std::vector<std::unique_ptr<Shard>> shards_;
  KeyspaceObserver* observer_ = nullptr;
  FlashTier* flash_ = nullptr;
  std::atomic<bool> expire_on_access_{true};
  std::atomic<size_t> expire_shard_cursor_{0};
  std::atomic<int64_t> dataset_bytes_{0};
};

// The highest shard index whose lock this thread holds through ShardLocks or
// Keyspace::lock_all(), or -1. Code that already holds shard locks and must take one more
// (a blocked BLMOVE served by the thread that pushed to its source) may take it only above
// this, to keep the ascending lock order.
int highest_held_shard();

// Locks the shards of several keys in ascending order (no-op when the caller already
// holds all locks).
class ShardLocks {
 public:
  ShardLocks() = default;
  ShardLocks(Keyspace& ks, const std::vector<size_t>& shard_indices, bool already_locked);
  ~ShardLocks();
  ShardLocks(const ShardLocks&) = delete;
  ShardLocks& operator=(const ShardLocks&) = delete;

 private:
  Keyspace* ks_ = nullptr;
  std::vector<size_t> held_;
  int outer_highest_ = -1;  // highest_held_shard() before these locks
};

}  // namespace terndb::storage
