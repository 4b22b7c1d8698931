#include "storage/table.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include "storage/chained_buckets.h"
#include "storage/hashing.h"

namespace terndb::storage {
namespace {

constexpr size_t kMinBuckets = 4;
// Keys per bucket before the array doubles. Two rather than one: a bucket costs 8 bytes
// and an entry of a small key and value ~128, so at one key per bucket the array just
// after doubling is an eighth of the memory (keys a cache at maxmemory cannot hold); a
// chain of two costs one more entry visit on a lookup.
constexpr size_t kMaxLoad = 2;

uint64_t reverse_bits(uint64_t v, int width) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = __builtin_bswap64(v);
  return v >> (64 - width);
}

}  // namespace

Table::~Table() { clear(); }

Table::Table(Table&& o) noexcept
    : buckets_(std::exchange(o.buckets_, nullptr)),
      mask_(std::exchange(o.mask_, 0)),
      size_(std::exchange(o.size_, 0)),
      volatile_(std::exchange(o.volatile_, 0)),
      bytes_(std::exchange(o.bytes_, 0)),
      snap_(std::exchange(o.snap_, nullptr)) {
  o.add_counter(-static_cast<int64_t>(memory()));
  ++o.layout_version_;
  if (snap_) snap_->holder = this;
}

Table& Table::operator=(Table&& o) noexcept {
  if (this != &o) {
    clear();
    const int64_t moved = static_cast<int64_t>(o.memory());
    buckets_ = std::exchange(o.buckets_, nullptr);
    mask_ = std::exchange(o.mask_, 0);
    size_ = std::exchange(o.size_, 0);
    volatile_ = std::exchange(o.volatile_, 0);
    bytes_ = std::exchange(o.bytes_, 0);
    o.add_counter(-moved);
    add_counter(moved);
    snap_ = std::exchange(o.snap_, nullptr);
    if (snap_) snap_->holder = this;
  }
  ++layout_version_;
  ++o.layout_version_;
  return *this;
}

void Table::bind_counter(std::atomic<int64_t>* counter) {
  add_counter(-static_cast<int64_t>(memory()));
  counter_ = counter;
  add_counter(static_cast<int64_t>(memory()));
}

Entry** Table::find(std::string_view key, uint64_t hash) const {
  if (!buckets_) return nullptr;
  Entry** link = &buckets_[index(hash)];
  while (*link) {
    Entry* e = *link;
    if (e->key_len == key.size() && memcmp(e->key().data(), key.data(), key.size()) == 0) {
      return link;
    }
    link = &e->next;
  }
  return nullptr;
}

void Table::insert(Entry* e, uint64_t hash) {
  if (!buckets_) {
    resize(kMinBuckets);
  } else if (size_ >= bucket_count() * kMaxLoad && !snap_) {
    resize(bucket_count() * 2);
  }
  e->snapshot_skip = snapshot_pending(hash) ? 1 : 0;
  Entry** slot = &buckets_[index(hash)];
  e->next = *slot;
  *slot = e;
  ++size_;
  if (e->has_expire) ++volatile_;
  add_bytes(static_cast<int64_t>(entry_memory(e)));
  ++layout_version_;
}

void Table::replace(Entry** link, Entry* e) {
  ++layout_version_;
  Entry* old = *link;
  e->snapshot_skip = 0;
  if (snap_ && snapshot_pending(hash_key(old->key()))) {
    if (!old->snapshot_skip) snap_->preserve(*old);
    e->snapshot_skip = 1;
  }
  e->next = old->next;
  *link = e;
  volatile_ += static_cast<size_t>(e->has_expire) - static_cast<size_t>(old->has_expire);
  add_bytes(static_cast<int64_t>(entry_memory(e)) - static_cast<int64_t>(entry_memory(old)));
}

Entry* Table::unlink(Entry** link) {
  ++layout_version_;
  Entry* e = *link;
  if (snap_ && !e->snapshot_skip && snapshot_pending(hash_key(e->key()))) snap_->preserve(*e);
  *link = e->next;
  e->next = nullptr;
  --size_;
  if (e->has_expire) --volatile_;
  add_bytes(-static_cast<int64_t>(entry_memory(e)));
  return e;
}

void Table::maybe_shrink() {
  if (!snap_ && buckets_ && bucket_count() > kMinBuckets && size_ * 8 < bucket_count()) {
    size_t target = kMinBuckets;
    while (target < size_) target *= 2;
    resize(target);
  }
}

void Table::clear() {
  ++layout_version_;
  if (snap_) {
    // A snapshot still needs these entries: it takes them over instead.
    TableSnapshot* s = std::exchange(snap_, nullptr);
    if (buckets_) s->adopt(move_out());
    return;
  }
  if (!buckets_) return;
  add_counter(-static_cast<int64_t>(memory()));
  for (size_t i = 0; i <= mask_; ++i) {
    Entry* e = buckets_[i];
    while (e) {
      Entry* next = e->next;
      free_entry(e);
      e = next;
    }
  }
  free(buckets_);
  buckets_ = nullptr;
  mask_ = 0;
  size_ = 0;
  volatile_ = 0;
  bytes_ = 0;
}

Table Table::take() {
  if (snap_) {  // the contents go to the snapshot, which frees them (clear())
    clear();
    return Table();
  }
  Table t;
  t = std::move(*this);
  return t;
}

Table Table::move_out() {
  Table t;
  const int64_t moved = static_cast<int64_t>(memory());
  t.buckets_ = std::exchange(buckets_, nullptr);
  t.mask_ = std::exchange(mask_, 0);
  t.size_ = std::exchange(size_, 0);
  t.volatile_ = std::exchange(volatile_, 0);
  t.bytes_ = std::exchange(bytes_, 0);
  add_counter(-moved);
  ++layout_version_;
  return t;
}

void Table::attach_snapshot(TableSnapshot* s) {
  snap_ = s;
  s->holder = this;
  s->emitted_buckets = 0;
}

void Table::detach_snapshot() {
  snap_ = nullptr;
  // Growth held back while the array was frozen.
  if (buckets_ && size_ >= bucket_count() * kMaxLoad) {
    size_t target = bucket_count();
    while (size_ >= target * kMaxLoad) target *= 2;
    resize(target);
  }
}

void Table::keep_for_snapshot(Entry* e, uint64_t hash) {
  if (e->snapshot_skip || index(hash) < snap_->emitted_buckets) return;
  snap_->preserve(*e);
  e->snapshot_skip = 1;
}

size_t Table::walk_buckets(size_t from, size_t to, const std::function<void(const Entry&)>& fn) {
  if (!buckets_) return to;
  const size_t end = std::min(to, bucket_count());
  for (size_t i = from; i < end; ++i) {
    for (Entry* e = buckets_[i]; e; e = e->next) {
      if (e->snapshot_skip) {
        e->snapshot_skip = 0;
      } else {
        fn(*e);
      }
    }
  }
  return end;
}

void Table::clear_snapshot_marks(size_t from) {
  for (size_t i = from; buckets_ && i < bucket_count(); ++i) {
    for (Entry* e = buckets_[i]; e; e = e->next) e->snapshot_skip = 0;
  }
}

void Table::resize(size_t new_count) {
  ++layout_version_;
  add_counter((static_cast<int64_t>(new_count) - static_cast<int64_t>(bucket_count())) *
              static_cast<int64_t>(sizeof(Entry*)));
  buckets_ = rehash_buckets(
      buckets_, bucket_count(), new_count, [](Entry* e) -> Entry*& { return e->next; },
      [](Entry* e) { return e->key(); });
  mask_ = new_count - 1;
}

void Table::reserve(size_t keys) {
  if (snap_) return;
  size_t target = kMinBuckets;
  while (target < keys) target *= 2;
  if (target > bucket_count()) resize(target);
}

uint64_t Table::scan(uint64_t cursor, const std::function<void(Entry*)>& fn, int width) const {
  if (!buckets_) return 0;
  const uint64_t m = mask_;
  for (Entry* e = buckets_[cursor & m]; e; e = e->next) fn(e);
  // Set the bits above the mask so the increment carries into the reversed high bits.
  const uint64_t width_mask = width >= 64 ? ~0ull : ((1ull << width) - 1);
  uint64_t v = (cursor | ~m) & width_mask;
  v = reverse_bits(v, width);
  v = (v + 1) & width_mask;
  v = reverse_bits(v, width);
  return v;
}

Entry* Table::random_entry(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  Entry* head = nullptr;
  while (!head) head = buckets_[rng() & mask_];
  size_t len = 0;
  for (Entry* e = head; e; e = e->next) ++len;
  size_t pick = rng() % len;
  Entry* e = head;
  while (pick--) e = e->next;
  return e;
}

size_t Table::sample(std::mt19937_64& rng, size_t count,
                     const std::function<void(Entry*)>& fn) const {
  if (size_ == 0 || count == 0) return 0;
  size_t found = 0;
  size_t i = rng() & mask_;
  for (size_t steps = count * 10; steps > 0 && found < count; --steps, i = (i + 1) & mask_) {
    for (Entry* e = buckets_[i]; e && found < count; e = e->next) {
      fn(e);
      ++found;
    }
  }
  return found;
}

void Table::for_each(const std::function<void(Entry*)>& fn) const {
  if (!buckets_) return;
  for (size_t i = 0; i <= mask_; ++i) {
    for (Entry* e = buckets_[i]; e; e = e->next) fn(e);
  }
}

}  // namespace terndb::storage
