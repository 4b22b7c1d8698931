// A point-in-time RDB of the keyspace, written by a background thread while clients keep
// reading and writing: no fork, so no copy-on-write of the process image (which costs up to
// the whole dataset again when writes are spread over it) and no fork() pause.
//
// Why it is one instant: it starts with every shard lock held (the snapshot point) and
// attaches a TableSnapshot to every non-empty table (storage/table.h). The walk then takes
// one shard lock at a time for a chunk of buckets, encodes the entries there and moves on.
// While a table is attached its bucket array keeps its size, so "bucket index below the
// walk" means "already written". Before an entry in a bucket the walk has not reached is
// looked up by anything but a read-only command (KeyHandle::get), or is replaced or
// unlinked by anyone, the table hands it to preserve(),
// which encodes it as it is (its state at the snapshot point) into the table's kept
// records and marks it snapshot_skip; keys created after the point are marked too. The walk
// writes the kept records with its next chunk and skips marked entries, clearing the marks.
// So each key of the snapshot point is written exactly once, as it was then, and no key
// created later is.
//
// Memory: only entries written during the save are encoded ahead of the walk, in RDB form
// (smaller than in memory), and released when the walk writes them out: with the next chunk
// of their table, and every few chunks for all tables of the database being walked.
// Cost to clients: one pointer test per key lookup while no snapshot runs; during one, each
// key used for the first time in a part not yet written is encoded once, and a shard is
// locked by the walk for one chunk (128 buckets, a few hundred keys) at a time. The server
// runs each chunk as a step on an io thread, between its clients' requests (the StepRunner
// below; server/persistence.cc says why).
//
// A flushed table hands its contents to the snapshot (TableSnapshot::adopt), which writes
// and frees them. Keys on a flash tier are not in tables: with flash, snapshots fork.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/keyspace.h"
#include "storage/rdb_writer.h"

namespace terndb::storage {

class ForklessSnapshot {
 public:
  // The snapshot point: the caller holds every shard lock.
  ForklessSnapshot(Keyspace& ks, rdb::WriteOptions opt);
  // Detaches the tables write() did not finish (takes their shard locks: the caller must
  // hold none).
  ~ForklessSnapshot();
  ForklessSnapshot(const ForklessSnapshot&) = delete;
  ForklessSnapshot& operator=(const ForklessSnapshot&) = delete;

  // Runs one step of the walk (a chunk of one table: lock, copy, encode) somewhere and
  // returns when it has run. The server runs the steps on its io threads, between their
  // clients' requests (server/persistence.cc says why).
  using StepRunner = std::function<void(const std::function<void()>& step)>;

  // Writes the whole RDB to `out` (from a background thread; takes shard locks one at a
  // time). Steps run through `run`, or on this thread when it is empty; only this thread
  // writes to `out`. False with *error when the sink failed or the snapshot was cancelled;
  // either way every table is detached when it returns.
  bool write(rdb::Sink& out, std::string* error, const StepRunner& run = {});

  // Stops the walk (FLUSHALL, SHUTDOWN). The caller holds every shard lock; on return no
  // table refers to this snapshot any more, and write() returns false soon.
  void cancel_locked();

  uint64_t keys_total() const { return keys_total_; }
  uint64_t keys_written() const { return keys_written_.load(std::memory_order_relaxed); }

  // Buckets the walk encodes per step (per shard lock hold): about 75 µs of small strings.
  // Measured under redis-benchmark during a save, 128 gave a lower p99 than 512.
  static constexpr size_t kChunkBuckets = 128;
  // Every this many chunks the walk also writes out what clients kept ahead of it in the
  // other tables of the database it is in.
  static constexpr uint64_t kSweepEveryChunks = 16;

 private:
  class TableJob;
  struct Database {
    size_t keys = 0;
    size_t volatile_keys = 0;
    std::vector<std::pair<std::string, Tombstone>> tombstones;
    std::vector<std::unique_ptr<TableJob>> tables;
  };

  // Detaches every table the walk has not finished (after a failed write).
  void abandon();
  // Ends a table's walk early: clears its marks and detaches it (its shard lock held).
  void stop_job(TableJob& job);
  // Writes out and releases the kept records of every table of `d`.
  void sweep_kept(Database& d, rdb::PieceWriter& w);

  Keyspace& ks_;
  const rdb::WriteOptions opt_;
  std::vector<Database> dbs_;
  uint64_t keys_total_ = 0;
  std::atomic<uint64_t> keys_written_{0};
  std::atomic<bool> cancelled_{false};
};

}  // namespace terndb::storage
