// KeyHandle's part of the flash tier (flash_tier.h): the write-through of a changed key,
// the miss path that brings a key back from flash, and eviction to flash.
#include "storage/access_stamp.h"
#include "storage/key_handle.h"

namespace terndb::storage {

void KeyHandle::write_through_to_flash() {
  FlashTier* f = ks_.flash();
  if (!f->immediate()) {
    f->mark_dirty(ks_.shard_of(hash_), db_, key_);  // written with the shard's next batch
    return;
  }
  // The key's state when the command is done with it (it may have been replaced, moved
  // out and back, or deleted since mark_modified).
  Entry** link = table_->find(key_, hash_);
  if (link) {
    f->store(db_, **link);
  } else {
    f->remove(db_, key_);
  }
}

Entry** KeyHandle::fetch_from_flash() {
  FlashTier* f = ks_.flash();
  // A key deleted since the last batch is still on flash: it is gone all the same.
  if (f->is_dirty(ks_.shard_of(hash_), db_, key_)) return nullptr;
  f->flash_reads.fetch_add(1, std::memory_order_relaxed);
  Entry* e = f->fetch(db_, key_);
  if (!e) return nullptr;
  f->flash_hits.fetch_add(1, std::memory_order_relaxed);
  int64_t exp = e->expire_at();
  if (exp >= 0 && exp <= now_) {
    // An expired key read from flash is expired as one in RAM would be (DEL propagated,
    // "expired" event). A replica leaves it for its master's DEL.
    if (ks_.expire_on_access()) {
      f->add_offloaded(db_, -1);
      if (KeyspaceObserver* o = ks_.observer()) o->key_expired(db_, key_);
      f->remove(db_, key_);
    }
    free_entry(e);
    return nullptr;
  }
  e->lru = initial_access_stamp(now_);
  table_->insert(e, hash_);
  f->add_offloaded(db_, -1);
  return table_->find(key_, hash_);
}

bool KeyHandle::drop_from_memory() {
  if (!get()) return false;
  // Its latest value must be on flash before RAM lets it go.
  FlashTier* f = ks_.flash();
  const size_t shard = ks_.shard_of(hash_);
  if (f->is_dirty(shard, db_, key_)) {
    f->flush_shard(shard);
    seen_version_ = 0;  // re-find: nothing moved, but stay on the safe side
    if (!get()) return false;
  }
  Entry* e = table_->unlink(link_);
  free_entry(e);
  link_ = nullptr;
  seen_version_ = table_->layout_version();
  f->add_offloaded(db_, 1);
  f->evictions_to_flash.fetch_add(1, std::memory_order_relaxed);
  // The eviction's own lookup (one, cached by the handle) is not a client's hit.
  f->ram_hits.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

}  // namespace terndb::storage
