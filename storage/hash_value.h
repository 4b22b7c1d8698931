// The value of a hash key, in one of Redis's two encodings:
//   "listpack"   fields and values alternating in one packed buffer (packed_strings.h),
//                in insertion order; lookups walk it, which is fast at this size
//   "hashtable"  a StringDict from field to value
// A hash starts as a listpack and becomes a hashtable, for good, once it holds more than
// hash-max-listpack-entries fields or a field or value longer than
// hash-max-listpack-value bytes (storage/encoding_limits.h), exactly when Redis 7.0
// converts, so OBJECT ENCODING agrees.
//
// The object itself is one tagged pointer (plus the vtable pointer): the low bit tells a
// StringDict* from a packed buffer, keeping a small hash at two small allocations.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/entry.h"
#include "storage/packed_strings.h"
#include "storage/string_dict.h"

namespace terndb::storage {

class HashValue final : public CompositeValue {
 public:
  // Room a caller provides for reading integer-encoded values.
  static constexpr size_t kScratchSize = packed::kScratchSize;

  HashValue();
  ~HashValue() override;
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;

  const char* encoding_name() const override;
  size_t memory_usage() const override;
  CompositeValue* clone() const override;

  bool is_listpack() const { return (rep_ & kDictTag) == 0; }
  size_t size() const;

  // The field's value (integers are written into `scratch`), or false when absent.
  bool get(std::string_view field, char* scratch, std::string_view* value) const;
  bool contains(std::string_view field) const;
  // Length of the field's value, 0 when absent (HSTRLEN).
  size_t value_length(std::string_view field) const;
  // Sets the field; returns whether it is new. Converts to a hashtable first when the
  // field or value is too long for a listpack, and after when there are too many fields.
  bool set(std::string_view field, std::string_view value);
  // Returns whether the field was present.
  bool erase(std::string_view field);
  void convert_to_hashtable();

  // Calls fn(field, value) for every pair: insertion order for a listpack.
  template <typename F>
  void for_each(F&& fn) const {
    if (!is_listpack()) {
      dict()->for_each([&](const StringDict::Node& n) { fn(n.key(), n.value()); });
      return;
    }
    const uint8_t* lp = packed();
    char fs[kScratchSize], vs[kScratchSize];
    for (size_t off = packed::first_offset(), end = packed::end_offset(lp); off < end;) {
      std::string_view f = packed::read(lp, off, fs);
      off = packed::next_offset(lp, off);
      std::string_view v = packed::read(lp, off, vs);
      off = packed::next_offset(lp, off);
      fn(f, v);
    }
  }
  // Every pair, copied (random sampling over a listpack works on this).
  std::vector<std::pair<std::string, std::string>> pairs() const;
  // One step of HSCAN: a hashtable visits one bucket and returns the next cursor; a
  // listpack visits everything and returns 0, as Redis does.
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!is_listpack()) {
      return dict()->scan(cursor, [&](const StringDict::Node& n) { fn(n.key(), n.value()); });
    }
    for_each(fn);
    return 0;
  }
  // A uniformly random pair of a hashtable-encoded hash (the hash must not be empty).
  const StringDict::Node* random_node(std::mt19937_64& rng) const { return dict()->random(rng); }

 private:
  static constexpr uintptr_t kDictTag = 1;

  explicit HashValue(uintptr_t rep) : rep_(rep) {}

  uint8_t* packed() const { return reinterpret_cast<uint8_t*>(rep_); }
  StringDict* dict() const { return reinterpret_cast<StringDict*>(rep_ & ~kDictTag); }
  void set_packed(uint8_t* p) { rep_ = reinterpret_cast<uintptr_t>(p); }
  // Offset of the field's element in the listpack, or 0 when absent.
  size_t find_packed(std::string_view field) const;

  uintptr_t rep_;
};

// Mixes a hash's pairs into a key's DEBUG DIGEST as Redis 7.0 does; registered with
// storage::set_composite_digest by register_hash_digest().
void register_hash_digest();

}  // namespace terndb::storage
