// The second tier of a keyspace on flash (`storage-provider flash`), as the keyspace and
// KeyHandle see it: no storage engine appears here, so code that includes this header
// pays for flash only through a null pointer test when it is off.
//
// Invariant kept by the callers: every key held in RAM is also on flash with the same
// value (write-through on every change), so dropping a key from RAM (eviction) loses
// nothing, and a key absent from RAM is either on flash or absent everywhere. Flash keys
// are counted per database as "offloaded" (on flash and not in RAM): DBSIZE is the RAM
// count plus that, and a RAM miss only consults flash when it is non-zero.
//
// All calls about one key are made with that key's shard lock held; clear() and swap()
// with every shard lock held.
//
// Write-through is coalesced: a command marks its key dirty in its shard's set (under the
// shard lock), and the shard's dirty keys are written in one batch, still under that lock,
// every kFlushIntervalMs by the store's thread, before a dirty key is evicted, before a
// snapshot, FLUSHDB, SWAPDB or a key walk. A key rewritten many times in an interval (a
// Sidekiq queue popped by ten workers) is written once; a kill -9 loses at most the last
// interval. With storage-flush-period 0 every change is written (and synced) at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "storage/entry.h"

namespace terndb::storage {

class Keyspace;
struct Shard;

class FlashTier {
 public:
  explicit FlashTier(int databases)
      : databases_(databases), offloaded_(new std::atomic<int64_t>[databases]) {
    for (int i = 0; i < databases; ++i) offloaded_[i].store(0, std::memory_order_relaxed);
  }
  virtual ~FlashTier() = default;

  static constexpr int64_t kFlushIntervalMs = 100;

  // Set by Keyspace::set_flash / its destructor (which flushes first).
  void bind(Keyspace* ks);
  void unbind();
  // The key changed (caller holds its shard lock): written at the next flush.
  void mark_dirty(size_t shard, int db, std::string_view key);
  bool is_dirty(size_t shard, int db, std::string_view key) const;
  // Writes shard `index`'s dirty keys as they are now; the caller holds its lock.
  void flush_shard(size_t index);
  // Every shard's, each under its lock (taken here unless the caller holds them all).
  void flush_all_dirty(bool all_locked);
  bool immediate() const { return immediate_.load(std::memory_order_relaxed); }

  // Write-through: the key's value after a change, or its removal.
  virtual void store(int db, const Entry& e) = 0;
  virtual void remove(int db, std::string_view key) = 0;
  // The entry kept on flash for `key`, or nullptr; the caller owns it.
  virtual Entry* fetch(int db, std::string_view key) = 0;
  // FLUSHDB and SWAPDB of the flash side.
  virtual void clear(int db) = 0;
  virtual void swap(int a, int b) = 0;

  // Snapshots (rdb_writer.cc). prepare_fork() is called with every shard lock held just
  // before a fork whose child writes an RDB; snapshot_items() then yields, in that child
  // (or in this process under every shard lock, for SAVE), each key of `db` that is not in
  // RAM (in_ram says) with its expiry and RDB item. False with *error on a read error.
  using InRam = std::function<bool(std::string_view key)>;
  using EmitItem = std::function<void(int64_t expire_at, std::string_view item)>;
  virtual void prepare_fork() {}

  // Key walks for KEYS, SCAN and RANDOMKEY: every key is on flash (RAM holds a subset),
  // so they read flash alone. walk_keys visits keys of `db` in key order, after `after`
  // (from the first when `from_start`), until visit returns false; returns whether it
  // stopped early, with *last the last key visited.
  using KeyVisit = std::function<bool(std::string_view key, int64_t expire_at, ValueType type)>;
  virtual bool walk_keys(int db, std::string_view after, bool from_start, const KeyVisit& visit,
                         std::string* last) = 0;
  // A key of `db` picked at random (by a random seek), or false when there is none.
  virtual bool random_key(int db, uint64_t seed, std::string& out) = 0;
  virtual bool snapshot_items(int db, const InRam& in_ram, const EmitItem& emit,
                              std::string* error) = 0;

  int databases() const { return databases_; }
  int64_t offloaded(int db) const { return offloaded_[db].load(std::memory_order_relaxed); }
  void add_offloaded(int db, int64_t delta) {
    offloaded_[db].fetch_add(delta, std::memory_order_relaxed);
  }
  void set_offloaded(int db, int64_t n) { offloaded_[db].store(n, std::memory_order_relaxed); }

  // Read-path counters for INFO: lookups served from RAM, reads that went to flash, and
  // of those the ones that found the key.
  std::atomic<uint64_t> ram_hits{0};
  std::atomic<uint64_t> flash_reads{0};
  std::atomic<uint64_t> flash_hits{0};
  std::atomic<uint64_t> evictions_to_flash{0};

 protected:
  // One batch of the current state of changed keys: entry null = deleted.
  struct Change {
    int db;
    std::string_view key;
    const Entry* entry;
  };
  virtual void write_changes(const std::vector<Change>& changes) = 0;
  Keyspace* keyspace() const { return ks_; }
  // storage-flush-period 0: each change is written and synced at once. Atomic: io threads
  // read it while CONFIG SET changes it.
  std::atomic<bool> immediate_{false};
  std::mutex bind_mu_;  // held by a flusher thread while it uses the keyspace, and by unbind

 private:
  Keyspace* ks_ = nullptr;
  // Per shard: 4-byte database number + key bytes of each changed key.
  std::vector<std::unordered_set<std::string>> dirty_;
  int databases_;
  std::unique_ptr<std::atomic<int64_t>[]> offloaded_;
};

}  // namespace terndb::storage
