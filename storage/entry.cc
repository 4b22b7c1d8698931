#include "storage/entry.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "protocol/numbers.h"
#include "storage/access_stamp.h"
#include "storage/clock.h"

namespace terndb::storage {
namespace {

Entry* alloc_entry(std::string_view key, int64_t expire_at, size_t payload_size,
                   bool has_version = versioned_entries()) {
  bool has_expire = expire_at >= 0;
  size_t size = sizeof(Entry) + (has_expire ? 8 : 0) + (has_version ? kVersionSlot : 0) +
                key.size() + payload_size;
  auto* e = static_cast<Entry*>(malloc(size));
  if (!e) throw std::bad_alloc();
  e->next = nullptr;
  e->lru = initial_access_stamp(now_ms());  // a new value counts as just accessed
  e->type = 0;
  e->encoding = 0;
  e->has_expire = has_expire ? 1 : 0;
  e->has_version = has_version ? 1 : 0;
  e->snapshot_skip = 0;
  e->key_len = static_cast<uint32_t>(key.size());
  if (has_expire) e->set_expire_in_place(expire_at);
  if (has_version) e->set_version(Version{});
  memcpy(reinterpret_cast<char*>(e) + e->key_offset(), key.data(), key.size());
  return e;
}

// Writes the length prefix in the form the entry was made with (its first byte).
void write_str_len(Entry* e, uint32_t len) {
  if (e->short_str()) {
    *e->payload() = static_cast<char>(static_cast<uint8_t>(len));
  } else {
    memcpy(e->payload() + 1, &len, 4);
  }
}

Entry* make_str(std::string_view key, std::string_view value, int64_t expire_at, Encoding enc,
                size_t capacity) {
  const bool short_form = capacity <= kShortStringMax;
  Entry* e = alloc_entry(key, expire_at, (short_form ? 1 : 5) + capacity);
  e->type = static_cast<uint32_t>(ValueType::kString);
  e->encoding = static_cast<uint32_t>(enc);
  // The first byte decides the form: any length for a short entry, the mark for a long one.
  *e->payload() = short_form ? 0 : static_cast<char>(kLongStringMark);
  write_str_len(e, static_cast<uint32_t>(value.size()));
  if (!value.empty()) memcpy(e->str_data_mut(), value.data(), value.size());
  return e;
}

}  // namespace

std::string_view Entry::string_value(char* scratch) const {
  if (value_encoding() == Encoding::kInt) {
    return {scratch, protocol::format_int64(int_value(), scratch)};
  }
  return {str_data(), str_len()};
}

std::string Entry::string_copy() const {
  char buf[24];
  return std::string(string_value(buf));
}

Entry* make_int_entry(std::string_view key, int64_t value, int64_t expire_at) {
  Entry* e = alloc_entry(key, expire_at, 8);
  e->type = static_cast<uint32_t>(ValueType::kString);
  e->encoding = static_cast<uint32_t>(Encoding::kInt);
  e->set_int_in_place(value);
  return e;
}

Entry* make_string_entry(std::string_view key, std::string_view value, int64_t expire_at,
                         bool allow_int) {
  int64_t iv;
  if (allow_int && value.size() <= 20 && protocol::parse_int64(value, iv)) {
    return make_int_entry(key, iv, expire_at);
  }
  Encoding enc = value.size() <= kEmbstrMaxLen ? Encoding::kEmbstr : Encoding::kRaw;
  return make_str(key, value, expire_at, enc, value.size());
}

Entry* make_raw_entry(std::string_view key, std::string_view value, int64_t expire_at,
                      size_t capacity) {
  if (capacity < value.size()) capacity = value.size();
  return make_str(key, value, expire_at, Encoding::kRaw, capacity);
}

Entry* make_object_entry(std::string_view key, ValueType type, CompositeValue* value,
                         int64_t expire_at) {
  Entry* e = alloc_entry(key, expire_at, sizeof(CompositeValue*));
  e->type = static_cast<uint32_t>(type);
  e->encoding = static_cast<uint32_t>(Encoding::kObject);
  memcpy(e->payload(), &value, sizeof(value));
  return e;
}

size_t raw_capacity(const Entry* e) {
  size_t usable = malloc_usable_size(const_cast<Entry*>(e));
  size_t header = e->key_offset() + e->key_len + e->str_prefix();
  size_t room = usable > header ? usable - header : 0;
  // A one-byte prefix cannot name more than kShortStringMax bytes.
  return e->short_str() ? std::min(room, kShortStringMax) : room;
}

void set_raw_length(Entry* e, uint32_t len) { write_str_len(e, len); }

static size_t payload_size(const Entry* e) {
  switch (e->value_encoding()) {
    case Encoding::kInt: return 8;
    case Encoding::kObject: return sizeof(CompositeValue*);
    default: return e->str_prefix() + e->str_len();
  }
}

Entry* with_expire(Entry* e, int64_t expire_at) {
  bool want = expire_at >= 0;
  if (want && e->has_expire) {
    e->set_expire_in_place(expire_at);
    return e;
  }
  if (!want && !e->has_expire) return e;
  size_t psize = payload_size(e);
  Entry* n = alloc_entry(e->key(), expire_at, psize, e->has_version);
  if (e->has_version) n->set_version(e->version());
  n->lru = e->lru;
  n->type = e->type;
  n->encoding = e->encoding;
  memcpy(n->payload(), e->payload(), psize);
  n->next = e->next;
  free(e);
  return n;
}

Entry* rekey_entry(const Entry* e, std::string_view new_key, bool deep) {
  size_t psize = payload_size(e);
  // The copy is a new write of the new key: its version is set when the write completes.
  Entry* n = alloc_entry(new_key, e->expire_at(), psize);
  n->lru = e->lru;
  n->type = e->type;
  n->encoding = e->encoding;
  memcpy(n->payload(), e->payload(), psize);
  if (deep && e->value_encoding() == Encoding::kObject) {
    CompositeValue* copy = e->object()->clone();
    memcpy(n->payload(), &copy, sizeof(copy));
  }
  return n;
}

void free_entry(Entry* e) {
  if (e->value_encoding() == Encoding::kObject) delete e->object();
  free(e);
}

void free_entry_shallow(Entry* e) { free(e); }

size_t entry_memory(const Entry* e) {
  size_t n = malloc_usable_size(const_cast<Entry*>(e));
  if (e->value_encoding() == Encoding::kObject) n += e->object()->memory_usage();
  return n;
}

}  // namespace terndb::storage
