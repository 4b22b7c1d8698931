#include "storage/hash_value.h"

#include <malloc.h>

#include "storage/digest.h"
#include "storage/encoding_limits.h"

namespace terndb::storage {
namespace {

// Redis refuses to grow a listpack past 1 GB and converts instead.
constexpr size_t kMaxPackedBytes = size_t{1} << 30;

bool too_long_for_listpack(std::string_view s) {
  return static_cast<int64_t>(s.size()) >
         encoding_limits().hash_max_listpack_value.load(std::memory_order_relaxed);
}

}  // namespace

HashValue::HashValue() {
  set_packed(packed::create());
}

HashValue::~HashValue() {
  if (is_listpack()) {
    packed::destroy(packed());
  } else {
    delete dict();
  }
}

const char* HashValue::encoding_name() const {
  return is_listpack() ? "listpack" : "hashtable";
}

size_t HashValue::memory_usage() const {
  // The object itself: its size class (16 bytes) rather than a query on `this`,
  // which need not be a heap allocation.
  size_t own = sizeof(*this);
  if (is_listpack()) return own + packed::allocated_bytes(packed());
  return own + malloc_usable_size(dict()) + dict()->memory();
}

CompositeValue* HashValue::clone() const {
  if (is_listpack()) return new HashValue(reinterpret_cast<uintptr_t>(packed::clone(packed())));
  return new HashValue(reinterpret_cast<uintptr_t>(new StringDict(*dict())) | kDictTag);
}

size_t HashValue::size() const {
  return is_listpack() ? packed::count(packed()) / 2 : dict()->size();
}

size_t HashValue::find_packed(std::string_view field) const {
  const uint8_t* lp = packed();
  const packed::Encoded e = packed::encode(field);
  for (size_t off = packed::first_offset(), end = packed::end_offset(lp); off < end;) {
    if (packed::matches(lp, off, e)) return off;
    off = packed::next_offset(lp, packed::next_offset(lp, off));  // skip the value
  }
  return 0;
}

bool HashValue::get(std::string_view field, char* scratch, std::string_view* value) const {
  if (!is_listpack()) {
    const StringDict::Node* n = dict()->find(field);
    if (!n) return false;
    *value = n->value();
    return true;
  }
  size_t off = find_packed(field);
  if (!off) return false;
  *value = packed::read(packed(), packed::next_offset(packed(), off), scratch);
  return true;
}

bool HashValue::contains(std::string_view field) const {
  return is_listpack() ? find_packed(field) != 0 : dict()->find(field) != nullptr;
}

size_t HashValue::value_length(std::string_view field) const {
  if (!is_listpack()) {
    const StringDict::Node* n = dict()->find(field);
    return n ? n->value_len : 0;
  }
  size_t off = find_packed(field);
  return off ? packed::text_length(packed(), packed::next_offset(packed(), off)) : 0;
}

bool HashValue::set(std::string_view field, std::string_view value) {
  if (is_listpack() &&
      (too_long_for_listpack(field) || too_long_for_listpack(value) ||
       packed::used_bytes(packed()) + field.size() + value.size() + 18 > kMaxPackedBytes)) {
    convert_to_hashtable();
  }
  if (!is_listpack()) return dict()->set(field, value);

  uint8_t* lp = packed();
  if (size_t off = find_packed(field)) {
    packed::replace(lp, packed::next_offset(lp, off), packed::encode(value));
    set_packed(lp);
    return false;
  }
  packed::append(lp, packed::encode(field));
  packed::append(lp, packed::encode(value));
  set_packed(lp);
  if (static_cast<int64_t>(size()) >
      encoding_limits().hash_max_listpack_entries.load(std::memory_order_relaxed)) {
    convert_to_hashtable();
  }
  return true;
}

bool HashValue::erase(std::string_view field) {
  if (!is_listpack()) return dict()->erase(field);
  size_t off = find_packed(field);
  if (!off) return false;
  uint8_t* lp = packed();
  packed::erase(lp, off, 2);
  set_packed(lp);
  return true;
}

void HashValue::convert_to_hashtable() {
  if (!is_listpack()) return;
  auto* d = new StringDict();
  d->reserve(size());
  for_each([&](std::string_view f, std::string_view v) { d->set(f, v); });
  packed::destroy(packed());
  rep_ = reinterpret_cast<uintptr_t>(d) | kDictTag;
}

std::vector<std::pair<std::string, std::string>> HashValue::pairs() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(size());
  for_each([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

namespace {

void hash_digest(Digest& digest, const Entry* e) {
  const auto* h = static_cast<const HashValue*>(e->object());
  h->for_each([&](std::string_view field, std::string_view value) {
    Digest pair{};
    digest_mix(pair, field.data(), field.size());
    digest_mix(pair, value.data(), value.size());
    digest_xor(digest, pair.data(), pair.size());
  });
}

}  // namespace

void register_hash_digest() {
  set_composite_digest(ValueType::kHash, hash_digest);
}

}  // namespace terndb::storage
