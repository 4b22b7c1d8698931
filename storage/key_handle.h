// Access to one key of one database, with the key's shard locked for the handle's life
// (unless the caller already holds the lock, e.g. inside EXEC or a multi-key command).
//
// get() applies lazy expiry: an entry past its expiry is deleted (on a master) or hidden
// (on a replica) and reported absent.
#pragma once

#include <mutex>
#include <string_view>

#include "storage/keyspace.h"

namespace terndb::storage {

// Keys created while a transaction or script runs are collected here instead of being
// offered to blocked clients at once; the transaction offers them when it completes, as
// Redis serves blocked clients only after EXEC.
struct ReadyKeys {
  std::vector<std::pair<int, std::string>> keys;
};
ReadyKeys*& ready_keys_sink();  // thread-local; null outside transactions

// Active replication: called with the shard lock held when a handle that changed its key
// goes away, after the key got its new version (`e` is the live entry, or null when the
// key is gone and a tombstone holds the version). Installed once at start.
// `base` is the version the key had before the change.
using KeyChangeHook = void (*)(int db, std::string_view key, const Entry* e, const Version& v,
                               const Version& base);
void set_key_change_hook(KeyChangeHook hook);
// The version the writes on this thread give their keys instead of a fresh one (applying
// a peer's write keeps the peer's version); null for a fresh one.
const Version*& version_override();

// True while a command that only reads runs on this thread (set by the dispatcher): its
// lookups need not hand entries to a running forkless snapshot first, since nothing will
// change them in place (storage/forkless_snapshot.h). Deletions (lazy expiry) are kept by
// the table whatever this says.
bool& lookups_read_only();
class ReadOnlyLookups {
 public:
  explicit ReadOnlyLookups(bool read_only) : saved_(lookups_read_only()) {
    lookups_read_only() = read_only;
  }
  ~ReadOnlyLookups() { lookups_read_only() = saved_; }
  ReadOnlyLookups(const ReadOnlyLookups&) = delete;
  ReadOnlyLookups& operator=(const ReadOnlyLookups&) = delete;

 private:
  bool saved_;
};

class KeyHandle {
 public:
  KeyHandle(Keyspace& ks, int db, std::string_view key, int64_t now, bool already_locked);
  // Offers a key created through this handle to clients blocked on it, then unlocks.
  ~KeyHandle();
  KeyHandle(const KeyHandle&) = delete;
  KeyHandle& operator=(const KeyHandle&) = delete;

  // The live entry, or nullptr.
  Entry* get();
  // Inserts, or replaces (and frees) the current entry. Takes ownership of `e`.
  void put(Entry* e);
  // Changing an entry in place (APPEND, SETRANGE, INCR, expiry changes): detach() takes
  // the live entry out of the table, the caller modifies or reallocates it, and attach()
  // puts the result back, keeping the table's counters right.
  Entry* detach();
  void attach(Entry* e);
  // Sets or clears (-1) the expiry of the live entry.
  void set_expire(int64_t expire_at);
  // Tells watchers the key changed. put/erase/attach/set_expire call it; code that edits
  // an entry's bytes in place (INCR, APPEND within capacity) calls it itself.
  void mark_modified();
  // Runs `edit` on the live entry's composite value and accounts the change of its memory.
  template <typename F>
  void modify_object(F&& edit) {
    Entry* e = get();
    size_t before = e->object()->memory_usage();
    edit(e->object());
    size_t after = e->object()->memory_usage();
    table_->adjust_bytes(static_cast<int64_t>(after) - static_cast<int64_t>(before));
    mark_modified();
  }
  Shard& shard() { return *shard_; }
  // Deletes the key if present; returns whether a live key was deleted.
  bool erase();
  // With flash: takes the live entry out of RAM only (eviction); the key stays on flash,
  // readable. Returns whether there was one.
  bool drop_from_memory();

  std::string_view key() const { return key_; }
  uint64_t hash() const { return hash_; }
  int db() const { return db_; }
  Table& table() { return *table_; }
  int64_t now() const { return now_; }

 private:
  Keyspace& ks_;
  int db_;
  std::string_view key_;
  uint64_t hash_;
  int64_t now_;
  Shard* shard_;
  Table* table_;
  bool created_ = false;
  // Gives the changed key its new version (versioned entries only): `forced`, or a fresh one.
  void settle_version(const Version* forced);
  bool modified_ = false;
  Version base_;  // the key's version before this handle's first change
  std::unique_lock<std::mutex> lock_;
  Entry** link_ = nullptr;
  bool looked_up_ = false;
  // The table's layout_version() when link_ was found: another handle on the same table
  // (a multi-key command, a blocked client served from here) may move entries meanwhile.
  uint64_t seen_version_ = 0;
  // Flash (see flash_tier.h): set by mark_modified when the keyspace has a flash tier.
  bool flash_dirty_ = false;

  void offer_to_waiters();
  void write_through_to_flash();
  Entry** fetch_from_flash();
};

}  // namespace terndb::storage
