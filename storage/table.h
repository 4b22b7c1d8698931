// A chained hash table of Entry pointers: the chain link lives inside each Entry, so the
// table adds only its bucket array (8 bytes a bucket, load factor kept between 1/8 and 2).
//
// Resizing rehashes the whole table at once. Tables are per (shard, database), so each
// holds 1/shard_count of a database and a resize is short; see keyspace.h.
//
// scan() walks buckets in reverse-binary order (as Redis's SCAN does), which guarantees
// that an iteration from cursor 0 to 0 visits every entry present for the whole iteration
// even when the table grows or shrinks between calls.
//
// Not thread-safe: the owning shard's lock guards it.
//
// Forkless snapshots (storage/forkless_snapshot.h) attach a TableSnapshot: while one is
// attached the bucket array keeps its size, so a bucket index says for good whether the walk
// has written a key yet, and every change to an entry in a bucket not yet written first
// hands the entry's current state to the snapshot (see TableSnapshot).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>

#include "storage/entry.h"

namespace terndb::storage {

class Table;

// The part of a running forkless snapshot that concerns one table. Called with the owning
// shard's lock held.
class TableSnapshot {
 public:
  virtual ~TableSnapshot() = default;
  // An entry of a bucket at or above emitted_buckets, not marked snapshot_skip, is about to
  // be changed, replaced or unlinked: keep its current state for the snapshot.
  virtual void preserve(const Entry& e) = 0;
  // The table is being emptied (FLUSHDB, FLUSHALL): its contents, walked or not, now belong
  // to the snapshot, which writes what is left of them and frees them.
  virtual void adopt(Table&& contents) = 0;

  // Buckets below this index have been written by the walk.
  size_t emitted_buckets = 0;
  // The Table object holding the contents this snapshot walks (SWAPDB moves contents
  // between Table objects; the snapshot follows them).
  Table* holder = nullptr;
};

class Table {
 public:
  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  Table(Table&& o) noexcept;
  Table& operator=(Table&& o) noexcept;

  size_t size() const { return size_; }
  size_t bucket_count() const { return mask_ + (buckets_ ? 1 : 0); }
  // Keys that carry an expiry (the active expiry cycle skips tables with none).
  size_t volatile_count() const { return volatile_; }
  // Bytes of entries and values (allocator usable sizes) plus the bucket array.
  size_t memory() const { return bytes_ + bucket_count() * sizeof(Entry*); }
  // Mirrors every change of memory() into `counter` (the keyspace's dataset total, read
  // without locks by the maxmemory check). The binding belongs to the Table object, not to
  // its contents: moving contents in or out moves their bytes between counters.
  void bind_counter(std::atomic<int64_t>* counter);

  // The link (bucket slot or predecessor's `next`) that points at the key's entry, or
  // nullptr. Valid until the table is modified.
  Entry** find(std::string_view key, uint64_t hash) const;
  // Hints for a command that looks up several keys (storage::prefetch_lookups): start
  // loading the bucket slot of `hash`; once that is in, start loading its first entry.
  void prefetch_slot(uint64_t hash) const {
    if (buckets_) __builtin_prefetch(&buckets_[index(hash)]);
  }
  void prefetch_first_entry(uint64_t hash) const {
    if (buckets_) {
      if (const Entry* e = buckets_[index(hash)]) __builtin_prefetch(e);
    }
  }
  // Adds an entry whose key is not present.
  void insert(Entry* e, uint64_t hash);
  // Puts `e` where *link's entry was (same key). Does not free the old entry.
  void replace(Entry** link, Entry* e);
  // Unlinks *link's entry and returns it (not freed).
  Entry* unlink(Entry** link);
  // Accounting after an entry was changed in place (APPEND grew it, expiry changed...).
  void adjust_bytes(int64_t delta) { add_bytes(delta); }
  void adjust_volatile(int64_t delta) {
    volatile_ = static_cast<size_t>(static_cast<int64_t>(volatile_) + delta);
  }
  // Frees every entry.
  void clear();
  // Moves every entry out to the caller (FLUSH ASYNC frees them elsewhere).
  Table take();

  // Visits the chain of the bucket that `cursor` names, then returns the next cursor in
  // reverse-binary order over `width` bits (0 once the walk is complete).
  uint64_t scan(uint64_t cursor, const std::function<void(Entry*)>& fn, int width = 48) const;
  // A uniformly chosen bucket's chain, then a random member of it (as Redis samples).
  Entry* random_entry(std::mt19937_64& rng) const;
  // Runs fn over every entry (fn must not modify the table).
  void for_each(const std::function<void(Entry*)>& fn) const;

  // Up to `count` entries from consecutive buckets starting at a random one, visiting at
  // most count * 10 buckets (Redis's dictGetSomeKeys): cheap, and random enough for
  // eviction and active expiry sampling. Returns how many were passed to fn.
  size_t sample(std::mt19937_64& rng, size_t count, const std::function<void(Entry*)>& fn) const;

  // Shrinks the bucket array when the table became sparse (called after deletions).
  void maybe_shrink();
  // Grows the bucket array to hold `keys` entries without further resizing (an RDB's
  // RESIZEDB announces a database's size before its keys).
  void reserve(size_t keys);

  // Forkless snapshots. attach_snapshot freezes the bucket array (the table may load above
  // 1 meanwhile); detach_snapshot thaws it and catches up on the growth it held back.
  void attach_snapshot(TableSnapshot* s);
  void detach_snapshot();
  TableSnapshot* snapshot() const { return snap_; }
  // Before an entry found through find() is used (read, or changed in place): with a
  // snapshot attached, its current state is kept first unless the walk already wrote it.
  void before_use(Entry* e, uint64_t hash) {
    if (snap_) keep_for_snapshot(e, hash);
  }
  // The walk: runs fn on every entry of buckets [from, to) not marked snapshot_skip and
  // clears the marks there. Returns the bucket index it stopped at (to, or the table's end).
  size_t walk_buckets(size_t from, size_t to, const std::function<void(const Entry&)>& fn);
  // Clears the snapshot_skip marks of buckets from `from` on (a snapshot stopped early).
  void clear_snapshot_marks(size_t from);

  // Changes whenever links into the table may have moved or died (insert, replace, unlink,
  // resize, clear, move): a KeyHandle compares it to know its cached link is still good.
  uint64_t layout_version() const { return layout_version_; }

 private:
  void resize(size_t new_bucket_count);
  void add_bytes(int64_t delta) {
    bytes_ = static_cast<size_t>(static_cast<int64_t>(bytes_) + delta);
    if (counter_) counter_->fetch_add(delta, std::memory_order_relaxed);
  }
  void add_counter(int64_t delta) {
    if (counter_) counter_->fetch_add(delta, std::memory_order_relaxed);
  }
  size_t index(uint64_t hash) const { return hash & mask_; }
  void keep_for_snapshot(Entry* e, uint64_t hash);
  // Whether the snapshot still has to write the bucket of this hash.
  bool snapshot_pending(uint64_t hash) const {
    return snap_ && index(hash) >= snap_->emitted_buckets;
  }
  // Moves the contents (entries, bucket array, counts) into a new Table, leaving this empty.
  Table move_out();

  Entry** buckets_ = nullptr;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t volatile_ = 0;
  size_t bytes_ = 0;
  uint64_t layout_version_ = 0;
  std::atomic<int64_t>* counter_ = nullptr;
  TableSnapshot* snap_ = nullptr;
};

}  // namespace terndb::storage
