// The value of a set key, in one of Redis 7.0's two encodings:
//   "intset"     every member an integer: sorted int64s in one buffer (intset.h)
//   "hashtable"  a StringDict of members (values unused)
// A set is created as an intset when its first member is an integer, and becomes a
// hashtable, for good, when a non-integer member arrives or it grows past
// set-max-intset-entries (storage/encoding_limits.h), as Redis 7.0 does.
//
// Like HashValue, the object is one tagged pointer besides the vtable pointer.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/numbers.h"
#include "storage/entry.h"
#include "storage/intset.h"
#include "storage/string_dict.h"

namespace terndb::storage {

class SetValue final : public CompositeValue {
 public:
  // An empty set in the encoding Redis picks for a set whose first member is `first`.
  static SetValue* create_for(std::string_view first);
  // An empty intset (the start of every SINTERSTORE/SUNIONSTORE/SDIFFSTORE result).
  static SetValue* create_intset();
  ~SetValue() override;
  SetValue(const SetValue&) = delete;
  SetValue& operator=(const SetValue&) = delete;

  const char* encoding_name() const override;
  size_t memory_usage() const override;
  CompositeValue* clone() const override;

  bool is_intset() const { return (rep_ & kDictTag) == 0; }
  size_t size() const;

  bool contains(std::string_view member) const;
  // Returns whether the member is new; converts to a hashtable when needed.
  bool add(std::string_view member);
  // Returns whether the member was present.
  bool remove(std::string_view member);
  void convert_to_hashtable();

  // Calls fn(member) for every member: ascending for an intset.
  template <typename F>
  void for_each(F&& fn) const {
    if (!is_intset()) {
      dict()->for_each([&](const StringDict::Node& n) { fn(n.key()); });
      return;
    }
    const uint8_t* is = ints();
    char buf[24];
    for (size_t i = 0, n = intset::count(is); i < n; ++i) {
      fn(std::string_view(buf, protocol::format_int64(intset::get(is, i), buf)));
    }
  }
  std::vector<std::string> members() const;
  // One step of SSCAN: a hashtable visits one bucket and returns the next cursor; an
  // intset visits everything and returns 0, as Redis does.
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!is_intset()) {
      return dict()->scan(cursor, [&](const StringDict::Node& n) { fn(n.key()); });
    }
    for_each(fn);
    return 0;
  }
  // A uniformly chosen member (the set must not be empty).
  std::string random_member(std::mt19937_64& rng) const;
  // Removes and returns a random member (the set must not be empty).
  std::string pop_random(std::mt19937_64& rng);

 private:
  static constexpr uintptr_t kDictTag = 1;

  explicit SetValue(uintptr_t rep) : rep_(rep) {}
  uint8_t* ints() const { return reinterpret_cast<uint8_t*>(rep_); }
  StringDict* dict() const { return reinterpret_cast<StringDict*>(rep_ & ~kDictTag); }
  void set_ints(uint8_t* p) { rep_ = reinterpret_cast<uintptr_t>(p); }

  uintptr_t rep_;
};

// Mixes a set's members into a key's DEBUG DIGEST as Redis 7.0 does; registered with
// storage::set_composite_digest by register_set_digest().
void register_set_digest();

}  // namespace terndb::storage
