// Entry layout: string values keep a one-byte length prefix up to kShortStringMax bytes and
// a five-byte one beyond; in-place edits (APPEND, SETRANGE) never outgrow the prefix's form.
#include "storage/entry.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using terndb::storage::Encoding;
using terndb::storage::Entry;
using terndb::storage::free_entry;
using terndb::storage::kShortStringMax;
using terndb::storage::make_raw_entry;
using terndb::storage::make_string_entry;
using terndb::storage::raw_capacity;
using terndb::storage::rekey_entry;
using terndb::storage::set_raw_length;
using terndb::storage::with_expire;

namespace {

std::string payload_of(const Entry* e) {
  return std::string(e->str_data(), e->str_len());
}

}  // namespace

TEST(Entry, SmallKeyAndValueTakeOneLengthByte) {
  const std::string value(100, 'v');
  Entry* e = make_string_entry("key:0000001", value, -1);
  EXPECT_EQ(e->value_encoding(), Encoding::kRaw);
  EXPECT_EQ(e->str_prefix(), 1u);
  EXPECT_EQ(payload_of(e), value);
  EXPECT_EQ(e->key(), "key:0000001");
  // 16-byte header, 11-byte key, 1-byte length and 100 bytes: jemalloc's 128 class.
  EXPECT_EQ(e->str_data() + e->str_len() - reinterpret_cast<const char*>(e), 128);
  free_entry(e);
}

TEST(Entry, LengthsAroundTheShortLimit) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{44}, size_t{45}, kShortStringMax - 1,
                   kShortStringMax, kShortStringMax + 1, size_t{70000}}) {
    const std::string value(n, 'a');
    Entry* e = make_string_entry("k", value, 1234, false);
    EXPECT_EQ(e->str_prefix(), n <= kShortStringMax ? 1u : 5u) << n;
    EXPECT_EQ(payload_of(e), value) << n;
    EXPECT_EQ(e->expire_at(), 1234) << n;
    // Copies keep the value whatever the form.
    e = with_expire(e, -1);
    EXPECT_EQ(payload_of(e), value) << n;
    Entry* copy = rekey_entry(e, "other", true);
    EXPECT_EQ(payload_of(copy), value) << n;
    EXPECT_EQ(copy->key(), "other");
    free_entry(copy);
    free_entry(e);
  }
}

TEST(Entry, ShortRawCapacityStopsAtTheLimit) {
  Entry* e = make_raw_entry("k", "abc", -1, 200);
  EXPECT_EQ(e->str_prefix(), 1u);
  EXPECT_GE(raw_capacity(e), 200u);
  EXPECT_LE(raw_capacity(e), kShortStringMax);
  // Growing in place up to the capacity keeps the short form readable.
  const size_t cap = raw_capacity(e);
  std::string expect = "abc" + std::string(cap - 3, 'z');
  memset(e->str_data_mut() + 3, 'z', cap - 3);
  set_raw_length(e, static_cast<uint32_t>(cap));
  EXPECT_EQ(payload_of(e), expect);
  free_entry(e);

  Entry* big = make_raw_entry("k", "abc", -1, kShortStringMax + 1);
  EXPECT_EQ(big->str_prefix(), 5u);
  EXPECT_GT(raw_capacity(big), kShortStringMax);
  const std::string longer(raw_capacity(big), 'q');
  memcpy(big->str_data_mut(), longer.data(), longer.size());
  set_raw_length(big, static_cast<uint32_t>(longer.size()));
  EXPECT_EQ(payload_of(big), longer);
  free_entry(big);
}
