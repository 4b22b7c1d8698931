#include "storage/key_handle.h"

#include "storage/access_stamp.h"
#include "storage/hashing.h"
#include "storage/shard_lock_carry.h"
#include "storage/write_order.h"

namespace terndb::storage {

KeyHandle::KeyHandle(Keyspace& ks, int db, std::string_view key, int64_t now, bool already_locked)
    : ks_(ks), db_(db), key_(key), hash_(hash_key(key)), now_(now) {
  Shard& s = ks.shard(ks.shard_of(hash_));
  if (!already_locked) lock_ = lock_carry::lock(s.mu);
  shard_ = &s;
  table_ = &s.dbs[static_cast<size_t>(db)];
}

ReadyKeys*& ready_keys_sink() {
  thread_local ReadyKeys* sink = nullptr;
  return sink;
}

bool& lookups_read_only() {
  thread_local bool read_only = false;
  return read_only;
}

namespace {
KeyChangeHook g_change_hook = nullptr;
}  // namespace

void set_key_change_hook(KeyChangeHook hook) {
  g_change_hook = hook;
}

const Version*& version_override() {
  thread_local const Version* v = nullptr;
  return v;
}

KeyHandle::~KeyHandle() {
  // The handle's own change first (it may carry a peer's version); a blocked client served
  // from here makes a change of its own, with a fresh version.
  if (modified_) settle_version(version_override());
  offer_to_waiters();
  if (modified_) settle_version(nullptr);
  if (flash_dirty_) write_through_to_flash();
  // With clients blocked in this shard, serving them after the command takes shard locks:
  // the lock is not kept then.
  if (shard_->waiters.empty()) lock_carry::keep(lock_);
}

void KeyHandle::settle_version(const Version* forced) {
  modified_ = false;
  Version v = forced ? *forced : Version{hlc_next(), local_origin()};
  Entry** link = table_->find(key_, hash_);
  Entry* e = link ? *link : nullptr;
  TombstoneMap& tombs = shard_->tombstones[static_cast<size_t>(db_)];
  if (e) {
    if (e->has_version) e->set_version(v);
    if (!tombs.empty()) tombs.erase(std::string(key_));
  } else {
    tombs[std::string(key_)] = Tombstone{v, now_};
  }
  if (g_change_hook) g_change_hook(db_, key_, e, v, base_);
}

void KeyHandle::offer_to_waiters() {
  if (!created_ || shard_->waiters.empty() || !shard_->waiters.has_waiters(db_, key_)) return;
  if (ReadyKeys* sink = ready_keys_sink()) {
    sink->keys.emplace_back(db_, std::string(key_));
    return;
  }
  looked_up_ = false;  // the command may have deleted or replaced the entry since
  shard_->waiters.serve(db_, *this);
}

void KeyHandle::mark_modified() {
  note_write();
  if (versioned_entries() && !modified_) {
    modified_ = true;
    Entry** link = table_->find(key_, hash_);
    if (link) {
      base_ = (*link)->version();
    } else {
      TombstoneMap& tombs = shard_->tombstones[static_cast<size_t>(db_)];
      auto it = tombs.empty() ? tombs.end() : tombs.find(std::string(key_));
      base_ = it == tombs.end() ? Version{} : it->second.version;
    }
  }
  if (ks_.flash()) flash_dirty_ = true;
  if (!shard_->watches.empty()) shard_->watches.touch(db_, key_);
}

Entry* KeyHandle::get() {
  if (!looked_up_ || seen_version_ != table_->layout_version()) {
    looked_up_ = true;
    link_ = table_->find(key_, hash_);
    if (FlashTier* f = ks_.flash()) {
      if (link_) {
        f->ram_hits.fetch_add(1, std::memory_order_relaxed);
      } else if (f->offloaded(db_) > 0) {
        link_ = fetch_from_flash();
      }
    }
    if (link_) {
      // A forkless snapshot keeps the entry's state before anyone may change it in place.
      if (table_->snapshot() && !lookups_read_only()) table_->before_use(*link_, hash_);
      int64_t exp = (*link_)->expire_at();
      if (exp >= 0 && exp <= now_) {
        if (ks_.expire_on_access()) ks_.expire_entry(*shard_, db_, link_);
        link_ = nullptr;
      }
    }
    seen_version_ = table_->layout_version();
  }
  return link_ ? *link_ : nullptr;
}

void KeyHandle::put(Entry* e) {
  if (!looked_up_) get();
  mark_modified();
  if (!link_) {
    // A replica may still hold a hidden expired entry under this key: replace it.
    Entry** stale = table_->find(key_, hash_);
    if (stale) {
      Entry* old = *stale;
      table_->replace(stale, e);
      free_entry(old);
      link_ = stale;
      created_ = true;
      seen_version_ = table_->layout_version();
      if (KeyspaceObserver* o = ks_.observer()) o->key_created(db_, key_);
      return;
    }
    table_->insert(e, hash_);
    link_ = table_->find(key_, hash_);
    created_ = true;
    seen_version_ = table_->layout_version();
    if (KeyspaceObserver* o = ks_.observer()) o->key_created(db_, key_);
    return;
  }
  Entry* old = *link_;
  // An overwritten key keeps its access frequency under LFU, counting the write as one
  // access, as Redis's lookup for writing does.
  if (access_policy().lfu.load(std::memory_order_relaxed)) {
    e->lru = old->lru;
    touch_entry(e, now_);
  }
  table_->replace(link_, e);
  seen_version_ = table_->layout_version();
  free_entry(old);
}

Entry* KeyHandle::detach() {
  if (!get()) return nullptr;
  mark_modified();
  Entry* e = table_->unlink(link_);
  link_ = nullptr;
  seen_version_ = table_->layout_version();
  return e;
}

void KeyHandle::attach(Entry* e) {
  table_->insert(e, hash_);
  link_ = table_->find(key_, hash_);
  looked_up_ = true;
  seen_version_ = table_->layout_version();
}

void KeyHandle::set_expire(int64_t expire_at) {
  Entry* e = get();
  if (!e) return;
  mark_modified();
  if ((expire_at >= 0) == static_cast<bool>(e->has_expire)) {
    if (expire_at >= 0) e->set_expire_in_place(expire_at);
    return;
  }
  attach(with_expire(detach(), expire_at));
}

bool KeyHandle::erase() {
  if (!get()) return false;
  mark_modified();
  Entry* e = table_->unlink(link_);
  free_entry(e);
  link_ = nullptr;
  table_->maybe_shrink();
  seen_version_ = table_->layout_version();
  return true;
}

}  // namespace terndb::storage
