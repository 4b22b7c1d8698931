#include "storage/set_value.h"

#include <malloc.h>

#include "storage/digest.h"
#include "storage/encoding_limits.h"

namespace terndb::storage {
namespace {

bool as_integer(std::string_view s, int64_t& v) {
  return protocol::parse_int64(s, v);
}

size_t max_intset_entries() {
  int64_t limit = encoding_limits().set_max_intset_entries.load(std::memory_order_relaxed);
  // Redis caps intsets at 2^30 members whatever the configuration says.
  constexpr int64_t kCap = int64_t{1} << 30;
  return static_cast<size_t>(limit < kCap ? limit : kCap);
}

}  // namespace

SetValue* SetValue::create_for(std::string_view first) {
  int64_t v;
  if (as_integer(first, v)) return create_intset();
  return new SetValue(reinterpret_cast<uintptr_t>(new StringDict()) | kDictTag);
}

SetValue* SetValue::create_intset() {
  return new SetValue(reinterpret_cast<uintptr_t>(intset::create()));
}

SetValue::~SetValue() {
  if (is_intset()) {
    intset::destroy(ints());
  } else {
    delete dict();
  }
}

const char* SetValue::encoding_name() const {
  return is_intset() ? "intset" : "hashtable";
}

size_t SetValue::memory_usage() const {
  size_t own = sizeof(*this);  // its size class, as in HashValue::memory_usage
  if (is_intset()) return own + intset::allocated_bytes(ints());
  return own + malloc_usable_size(dict()) + dict()->memory();
}

CompositeValue* SetValue::clone() const {
  if (is_intset()) return new SetValue(reinterpret_cast<uintptr_t>(intset::clone(ints())));
  return new SetValue(reinterpret_cast<uintptr_t>(new StringDict(*dict())) | kDictTag);
}

size_t SetValue::size() const {
  return is_intset() ? intset::count(ints()) : dict()->size();
}

bool SetValue::contains(std::string_view member) const {
  if (!is_intset()) return dict()->find(member) != nullptr;
  int64_t v;
  return as_integer(member, v) && intset::contains(ints(), v);
}

bool SetValue::add(std::string_view member) {
  if (is_intset()) {
    int64_t v;
    if (as_integer(member, v)) {
      uint8_t* is = ints();
      bool added = intset::add(is, v);
      set_ints(is);
      if (added && intset::count(is) > max_intset_entries()) convert_to_hashtable();
      return added;
    }
    convert_to_hashtable();
  }
  return dict()->add(member);
}

bool SetValue::remove(std::string_view member) {
  if (!is_intset()) return dict()->erase(member);
  int64_t v;
  if (!as_integer(member, v)) return false;
  uint8_t* is = ints();
  bool removed = intset::remove(is, v);
  set_ints(is);
  return removed;
}

void SetValue::convert_to_hashtable() {
  if (!is_intset()) return;
  auto* d = new StringDict();
  d->reserve(size());
  for_each([&](std::string_view m) { d->add(m); });
  intset::destroy(ints());
  rep_ = reinterpret_cast<uintptr_t>(d) | kDictTag;
}

std::vector<std::string> SetValue::members() const {
  std::vector<std::string> out;
  out.reserve(size());
  for_each([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

std::string SetValue::random_member(std::mt19937_64& rng) const {
  if (!is_intset()) return std::string(dict()->random(rng)->key());
  return protocol::int64_to_string(intset::get(ints(), rng() % intset::count(ints())));
}

std::string SetValue::pop_random(std::mt19937_64& rng) {
  if (!is_intset()) {
    std::string m(dict()->random(rng)->key());
    dict()->erase(m);
    return m;
  }
  uint8_t* is = ints();
  size_t i = rng() % intset::count(is);
  std::string m = protocol::int64_to_string(intset::get(is, i));
  intset::remove_at(is, i);
  set_ints(is);
  return m;
}

namespace {

void set_digest(Digest& digest, const Entry* e) {
  static_cast<const SetValue*>(e->object())->for_each([&](std::string_view m) {
    digest_xor(digest, m.data(), m.size());
  });
}

}  // namespace

void register_set_digest() {
  set_composite_digest(ValueType::kSet, set_digest);
}

}  // namespace terndb::storage
