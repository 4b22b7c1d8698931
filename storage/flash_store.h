// The flash tier on RocksDB (`storage-provider flash <path>`).
//
// Layout: one column family per database ("db0", "db1", ...); the default column family
// holds only metadata (which column family backs which database, changed by SWAPDB).
// RocksDB key = the key's bytes; value = the expiry (int64 little-endian, -1 for none)
// followed by the key's RDB item (rdb::encode_key_item: type, key, value), which a
// snapshot copies into an RDB file unchanged.
//
// Tuned for a small machine: no compression (values are often already compressed and the
// CPU is scarce), background jobs = CPU count, memtables bounded by one write-buffer
// budget and block reads by one small cache, both counted in the server's memory. Writes
// go to the WAL without fsync; a background thread syncs the WAL every
// `storage-flush-period` ms (0: every write is synced), the durability of AOF everysec.
// A kill -9 loses nothing written (the WAL is in the OS's hands); a power loss at most
// the last period.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/flash_tier.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Cache;
}  // namespace rocksdb

namespace terndb::storage {

struct FlashOptions {
  std::string path;
  int databases = 16;
  int64_t flush_period_ms = 500;
  // Memory RocksDB may use, counted in used_memory like everything the process allocates.
  size_t write_buffer_bytes = 16 << 20;
  size_t block_cache_bytes = 8 << 20;
};

// Called for each stored key: its bytes, expiry and RDB item.
using FlashVisit =
    std::function<void(std::string_view key, int64_t expire_at, std::string_view item)>;

class FlashStore final : public FlashTier {
 public:
  // Opens (creating when missing) the store at opt.path; nullptr with *error set on failure.
  // Counts the keys of every database (all of them start offloaded: none is in RAM) and
  // deletes those whose expiry passed while the server was down.
  static std::unique_ptr<FlashStore> open(const FlashOptions& opt, int64_t now_ms,
                                          std::string* error);
  ~FlashStore() override;

  void store(int db, const Entry& e) override;
  void remove(int db, std::string_view key) override;
  Entry* fetch(int db, std::string_view key) override;
  void clear(int db) override;
  void swap(int a, int b) override;
  // A checkpoint for the child about to be forked (fork_dir_); the child reads it, the
  // process that opened the store reads its own live snapshot.
  void prepare_fork() override;
  bool snapshot_items(int db, const InRam& in_ram, const EmitItem& emit,
                      std::string* error) override;
  bool walk_keys(int db, std::string_view after, bool from_start, const KeyVisit& visit,
                 std::string* last) override;
  bool random_key(int db, uint64_t seed, std::string& out) override;

  // Every key of `db` as of now (a RocksDB snapshot). False with *error on a read error.
  bool for_each(int db, const FlashVisit& visit, std::string* error);
  // A point-in-time copy of the store in `dir` (hard links; the WAL copied, no flush),
  // for a forked child to read with FlashCheckpointReader while the server goes on.
  bool checkpoint(const std::string& dir, std::string* error);
  // The column family names backing each database, in database order.
  std::vector<std::string> column_families() const;
  void set_flush_period(int64_t ms);
  const std::string& path() const { return path_; }

  struct Stats {
    uint64_t sst_bytes = 0;        // files on disk
    uint64_t live_data_bytes = 0;  // estimate of the data those files hold
    uint64_t memtable_bytes = 0;
    uint64_t block_cache_bytes = 0;
    uint64_t wal_syncs = 0;
    uint64_t writes = 0;
    uint64_t deletes = 0;
    uint64_t errors = 0;
  };
  Stats stats();

 private:
  FlashStore(int databases) : FlashTier(databases) {}
  void write_changes(const std::vector<Change>& changes) override;
  rocksdb::ColumnFamilyHandle* cf(int db) const { return handles_[order_[db]]; }
  void save_order();
  void sync_loop();
  void report(const char* what, const std::string& status);

  std::string path_;
  pid_t owner_pid_ = 0;
  uint64_t forks_ = 0;
  std::string fork_dir_;  // the checkpoint of the last prepare_fork (empty if it failed)
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // by column family, "db<i>" at i
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;        // the default column family
  std::vector<int> order_;                             // database -> column family
  std::shared_ptr<rocksdb::Cache> cache_;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stopping_ = false;
  int64_t flush_period_ms_ = 500;
  std::thread sync_thread_;

  std::atomic<uint64_t> wal_syncs_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> deletes_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<int64_t> last_error_log_ms_{0};
};

// Reads a checkpoint made by FlashStore::checkpoint, read-only, in a process of its own
// (a forked child must not touch the parent's RocksDB instance: its threads are gone and
// its locks may be held).
class FlashCheckpointReader {
 public:
  FlashCheckpointReader() = default;
  ~FlashCheckpointReader();
  bool open(const std::string& dir, const std::vector<std::string>& column_families,
            std::string* error);
  bool for_each(int db, const FlashVisit& visit, std::string* error);

 private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // in database order
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
};

// The value stored for an entry: expiry + RDB item; and back.
std::string flash_value(const Entry& e);
bool parse_flash_value(std::string_view value, int64_t& expire_at, std::string_view& item);

}  // namespace terndb::storage
