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
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/entry.h"

namespace terndb::storage {

class FlashTier {
 public:
  explicit FlashTier(int databases)
      : databases_(databases), offloaded_(new std::atomic<int64_t>[databases]) {
    for (int i = 0; i < databases; ++i) offloaded_[i].store(0, std::memory_order_relaxed);
  }
  virtual ~FlashTier() = default;

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
  virtual bool snapshot_items(int db, const InRam& in_ram, const EmitItem& emit,
                              std::string* error) = 0;

  int databases() const { return databases_; }
  int64_t offloaded(int db) const {
    return offloaded_[db].load(std::memory_order_relaxed);
  }
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

 private:
  int databases_;
  std::unique_ptr<std::atomic<int64_t>[]> offloaded_;
};

}  // namespace terndb::storage
