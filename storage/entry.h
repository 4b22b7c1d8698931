// One key and its value in a single allocation.
//
// Layout: [Entry header 16 B][expire ms, 8 B, only if has_expire]
//         [version, 12 B: mvcc u64 + origin u32, only if has_version][key bytes][payload]
//
// Entries carry a version only on an active replica (storage/version.h), where every
// builder below adds the slot.
//
// Payload by encoding:
//   kInt            int64 (a string that is a canonical integer)
//   kEmbstr, kRaw   length prefix, then the bytes. The prefix is one byte (0..254) when
//                   the entry was made for at most kShortStringMax bytes, else 0xFF and a
//                   uint32. A kRaw entry may own spare capacity (its allocation's usable
//                   size) so that APPEND grows in place; the prefix's form is fixed when
//                   the entry is made, so capacity never crosses kShortStringMax in a short
//                   one.
//
// Why a one-byte prefix: jemalloc rounds an allocation up to its size class (..., 96, 112,
// 128, 160, 192, ...), and for the common key of ~10 bytes and value of ~100 bytes the
// three bytes saved are what keeps an entry in 128 rather than 160.
//   kObject         pointer to a CompositeValue (lists, hashes, sets, sorted sets)
//
// A small string key costs one allocation and no separate key/value/robj objects; the
// hash chain pointer lives in the header. Entries are owned by the Table that holds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/version.h"

namespace terndb::storage {

// Type codes are Redis's OBJ_* numbers: DEBUG DIGEST mixes them in.
enum class ValueType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4 };

enum class Encoding : uint8_t { kInt = 0, kEmbstr = 1, kRaw = 2, kObject = 3 };

// Base of the heap-allocated values of the composite types; each type's encoding
// derives from it.
class CompositeValue {
 public:
  virtual ~CompositeValue() = default;
  // Encoding name for OBJECT ENCODING ("listpack", "hashtable", ...).
  virtual const char* encoding_name() const = 0;
  // Bytes this value holds on the heap, for memory accounting.
  virtual size_t memory_usage() const = 0;
  // Deep copy (COPY command).
  virtual CompositeValue* clone() const = 0;
};

// Strings up to this many bytes are created "embstr" as Redis does (OBJECT ENCODING).
constexpr size_t kEmbstrMaxLen = 44;

constexpr size_t kVersionSlot = 12;

// String length prefixes (see the layout above).
constexpr size_t kShortStringMax = 254;
constexpr uint8_t kLongStringMark = 0xFF;

struct Entry {
  Entry* next;
  uint32_t lru : 24;  // LRU clock or LFU counter
  uint32_t type : 3;
  uint32_t encoding : 2;
  uint32_t has_expire : 1;
  uint32_t has_version : 1;
  // Forkless snapshot (storage/forkless_snapshot.h): this entry is not to be written by the
  // walk when it reaches the entry's bucket (its state at the snapshot point is already kept,
  // or it did not exist then). Meaningful only while its table has a snapshot attached.
  uint32_t snapshot_skip : 1;
  uint32_t key_len;

  std::string_view key() const {
    return {reinterpret_cast<const char*>(this) + key_offset(), key_len};
  }
  ValueType value_type() const { return static_cast<ValueType>(type); }
  Encoding value_encoding() const { return static_cast<Encoding>(encoding); }

  int64_t expire_at() const {
    if (!has_expire) return -1;
    int64_t v;
    memcpy(&v, reinterpret_cast<const char*>(this) + sizeof(Entry), 8);
    return v;
  }
  // Only valid when has_expire is set (the slot exists).
  void set_expire_in_place(int64_t when) {
    memcpy(reinterpret_cast<char*>(this) + sizeof(Entry), &when, 8);
  }

  // The key's version (empty when the entry has no slot).
  Version version() const {
    Version v;
    if (!has_version) return v;
    const char* p = reinterpret_cast<const char*>(this) + version_offset();
    memcpy(&v.mvcc, p, 8);
    memcpy(&v.origin, p + 8, 4);
    return v;
  }
  // Only valid when has_version is set.
  void set_version(const Version& v) {
    char* p = reinterpret_cast<char*>(this) + version_offset();
    memcpy(p, &v.mvcc, 8);
    memcpy(p + 8, &v.origin, 4);
  }

  // String payload accessors.
  int64_t int_value() const {
    int64_t v;
    memcpy(&v, payload(), 8);
    return v;
  }
  void set_int_in_place(int64_t v) { memcpy(payload(), &v, 8); }
  bool short_str() const { return static_cast<uint8_t>(*payload()) != kLongStringMark; }
  // Bytes of the length prefix before the string's bytes.
  size_t str_prefix() const { return short_str() ? 1 : 5; }
  uint32_t str_len() const {
    if (short_str()) return static_cast<uint8_t>(*payload());
    uint32_t n;
    memcpy(&n, payload() + 1, 4);
    return n;
  }
  const char* str_data() const { return payload() + str_prefix(); }
  char* str_data_mut() { return payload() + str_prefix(); }
  // The string value; integers are formatted into `scratch` (>= 24 bytes).
  std::string_view string_value(char* scratch) const;
  std::string string_copy() const;

  CompositeValue* object() const {
    CompositeValue* p;
    memcpy(&p, payload(), sizeof(p));
    return p;
  }

  size_t version_offset() const { return sizeof(Entry) + (has_expire ? 8 : 0); }
  size_t key_offset() const { return version_offset() + (has_version ? kVersionSlot : 0); }
  char* payload() { return reinterpret_cast<char*>(this) + key_offset() + key_len; }
  const char* payload() const {
    return reinterpret_cast<const char*>(this) + key_offset() + key_len;
  }
};
static_assert(sizeof(Entry) == 16);

// Builders. `expire_at` is an absolute unix time in ms, or -1 for none. String builders
// pick the encoding Redis would report: int for canonical integers of up to 20 chars,
// embstr up to 44 bytes, raw beyond.
Entry* make_string_entry(std::string_view key, std::string_view value, int64_t expire_at,
                         bool allow_int = true);
Entry* make_int_entry(std::string_view key, int64_t value, int64_t expire_at);
// A raw-encoded string with room for at least `capacity` bytes (APPEND, SETRANGE).
Entry* make_raw_entry(std::string_view key, std::string_view value, int64_t expire_at,
                      size_t capacity);
Entry* make_object_entry(std::string_view key, ValueType type, CompositeValue* value,
                         int64_t expire_at);
// Same key and value with another expiry (reallocates when the slot must appear or go).
Entry* with_expire(Entry* e, int64_t expire_at);
// Copy of `e` under another key (RENAME, COPY, MOVE); composite values are deep-copied when
// `deep` is set, otherwise ownership moves to the new entry and `e` must be freed with
// free_entry_shallow.
Entry* rekey_entry(const Entry* e, std::string_view new_key, bool deep);
// Capacity for string bytes in a raw entry's allocation.
size_t raw_capacity(const Entry* e);
void set_raw_length(Entry* e, uint32_t len);

void free_entry(Entry* e);          // frees the value too
void free_entry_shallow(Entry* e);  // leaves a composite value alive (moved elsewhere)
// Heap bytes of the entry and its value (usable sizes as the allocator reports them).
size_t entry_memory(const Entry* e);

}  // namespace terndb::storage
