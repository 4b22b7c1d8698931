// The compact encodings behind small hashes and sets: the packed string buffer (listpack),
// the sorted integer array (intset) and the string hash table (hashtable).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/intset.h"
#include "storage/packed_strings.h"
#include "storage/string_dict.h"

namespace packed = terndb::storage::packed;
namespace intset = terndb::storage::intset;
using terndb::storage::StringDict;

namespace {

std::vector<std::string> read_all(const uint8_t* buf) {
  std::vector<std::string> out;
  char scratch[packed::kScratchSize];
  for (size_t off = packed::first_offset(); off < packed::end_offset(buf);
       off = packed::next_offset(buf, off)) {
    out.emplace_back(packed::read(buf, off, scratch));
  }
  return out;
}

// clang-format off
const std::vector<std::string> kSamples = {
    "0", "1", "127", "128", "-1", "-4096", "-4097", "4095", "4096", "32767", "32768",
    "-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609", "2147483647",
    "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
    "-9223372036854775808", "", "007", "-0", "+1", "1.0", " 1", "9223372036854775808",
    "abc", std::string(63, 'x'), std::string(64, 'y'), std::string(4095, 'z'),
    std::string(4096, 'w'), std::string(70000, 'v'), std::string("\0\xff\r\n", 4)};
// clang-format on

}  // namespace

TEST(PackedStrings, EveryKindOfStringRoundTrips) {
  uint8_t* buf = packed::create();
  for (const auto& s : kSamples) packed::append(buf, packed::encode(s));
  EXPECT_EQ(packed::count(buf), kSamples.size());
  EXPECT_EQ(read_all(buf), kSamples);
  size_t off = packed::first_offset();
  for (const auto& s : kSamples) {
    EXPECT_EQ(packed::text_length(buf, off), s.size()) << s.substr(0, 20);
    EXPECT_TRUE(packed::matches(buf, off, packed::encode(s)));
    off = packed::next_offset(buf, off);
  }
  EXPECT_EQ(off, packed::used_bytes(buf));
  EXPECT_GE(packed::allocated_bytes(buf), packed::used_bytes(buf));
  packed::destroy(buf);
}

TEST(PackedStrings, IntegersTakeFewBytes) {
  EXPECT_EQ(packed::encode("7").size(), 1u);
  EXPECT_EQ(packed::encode("-7").size(), 2u);
  EXPECT_EQ(packed::encode("4095").size(), 2u);
  EXPECT_EQ(packed::encode("30000").size(), 3u);
  EXPECT_EQ(packed::encode("1234567").size(), 4u);
  EXPECT_EQ(packed::encode("2147483647").size(), 5u);
  EXPECT_EQ(packed::encode("9223372036854775807").size(), 9u);
  // Non-canonical integer text stays a string, so it reads back unchanged.
  EXPECT_EQ(packed::encode("007").size(), 4u);
  EXPECT_EQ(packed::encode("-0").tail, "-0");
  EXPECT_EQ(packed::encode(std::string(63, 'a')).size(), 64u);
  EXPECT_EQ(packed::encode(std::string(64, 'a')).size(), 66u);
}

TEST(PackedStrings, MatchesOnlyEqualStrings) {
  uint8_t* buf = packed::create();
  packed::append(buf, packed::encode("12"));
  packed::append(buf, packed::encode("a"));
  const size_t first = packed::first_offset();
  const size_t second = packed::next_offset(buf, first);
  EXPECT_TRUE(packed::matches(buf, first, packed::encode("12")));
  EXPECT_FALSE(packed::matches(buf, first, packed::encode("012")));
  EXPECT_FALSE(packed::matches(buf, first, packed::encode("13")));
  EXPECT_FALSE(packed::matches(buf, second, packed::encode("b")));
  EXPECT_FALSE(packed::matches(buf, second, packed::encode("ab")));
  EXPECT_FALSE(packed::matches(buf, second, packed::encode(std::string(100, 'a'))));
  packed::destroy(buf);
}

TEST(PackedStrings, ReplaceAndEraseKeepNeighbours) {
  uint8_t* buf = packed::create();
  for (const char* s : {"a", "1", "b", "2", "c", "3"}) packed::append(buf, packed::encode(s));
  size_t off = packed::next_offset(buf, packed::first_offset());  // "1"
  packed::replace(buf, off, packed::encode(std::string(5000, 'L')));
  EXPECT_EQ(read_all(buf),
            (std::vector<std::string>{"a", std::string(5000, 'L'), "b", "2", "c", "3"}));
  packed::replace(buf, off, packed::encode("-99999"));
  EXPECT_EQ(read_all(buf), (std::vector<std::string>{"a", "-99999", "b", "2", "c", "3"}));
  size_t b = packed::next_offset(buf, off);
  packed::erase(buf, b, 2);
  EXPECT_EQ(read_all(buf), (std::vector<std::string>{"a", "-99999", "c", "3"}));
  EXPECT_EQ(packed::count(buf), 4u);
  packed::erase(buf, packed::first_offset(), 4);
  EXPECT_EQ(packed::count(buf), 0u);
  EXPECT_EQ(packed::used_bytes(buf), packed::first_offset());
  uint8_t* copy = packed::clone(buf);
  EXPECT_EQ(packed::count(copy), 0u);
  packed::destroy(copy);
  packed::destroy(buf);
}

TEST(Intset, KeepsMembersSortedAndUnique) {
  uint8_t* is = intset::create();
  EXPECT_EQ(intset::width(is), 2u);
  std::mt19937_64 rng(7);
  std::set<int64_t> model;
  for (int i = 0; i < 2000; ++i) {
    int64_t v = static_cast<int64_t>(rng() % 2000) - 1000;
    EXPECT_EQ(intset::add(is, v), model.insert(v).second);
  }
  ASSERT_EQ(intset::count(is), model.size());
  size_t i = 0;
  for (int64_t v : model) EXPECT_EQ(intset::get(is, i++), v);
  for (int64_t v = -1100; v < 1100; v += 3) {
    EXPECT_EQ(intset::contains(is, v), model.count(v) == 1);
    EXPECT_EQ(intset::remove(is, v), model.erase(v) == 1);
  }
  EXPECT_EQ(intset::count(is), model.size());
  EXPECT_EQ(intset::used_bytes(is), 8 + 2 * model.size());
  intset::destroy(is);
}

TEST(Intset, WidensForLargeMembersAndNeverNarrows) {
  uint8_t* is = intset::create();
  for (int64_t v : {5, -3, 100}) intset::add(is, v);
  EXPECT_EQ(intset::width(is), 2u);
  EXPECT_TRUE(intset::add(is, 40000));  // larger than all: goes last
  EXPECT_EQ(intset::width(is), 4u);
  EXPECT_TRUE(intset::add(is, -3000000000ll));  // smaller than all: goes first
  EXPECT_EQ(intset::width(is), 8u);
  EXPECT_FALSE(intset::contains(is, 3000000000ll));
  std::vector<int64_t> got;
  for (size_t i = 0; i < intset::count(is); ++i) got.push_back(intset::get(is, i));
  EXPECT_EQ(got, (std::vector<int64_t>{-3000000000ll, -3, 5, 100, 40000}));
  EXPECT_TRUE(intset::remove(is, -3000000000ll));
  EXPECT_EQ(intset::width(is), 8u);
  EXPECT_TRUE(intset::add(is, INT64_MIN));
  EXPECT_TRUE(intset::add(is, INT64_MAX));
  EXPECT_EQ(intset::get(is, 0), INT64_MIN);
  EXPECT_EQ(intset::get(is, intset::count(is) - 1), INT64_MAX);
  // A narrow set is not searched for a value it cannot hold.
  uint8_t* narrow = intset::create();
  intset::add(narrow, 1);
  EXPECT_FALSE(intset::contains(narrow, 65537));
  EXPECT_FALSE(intset::remove(narrow, 65537));
  uint8_t* copy = intset::clone(is);
  EXPECT_EQ(intset::count(copy), intset::count(is));
  intset::remove_at(copy, 0);
  EXPECT_EQ(intset::get(copy, 0), -3);
  for (uint8_t* p : {is, narrow, copy}) intset::destroy(p);
}

TEST(StringDict, SetFindEraseAndMemory) {
  StringDict d;
  EXPECT_EQ(d.memory(), 0u);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 5000; ++i) {
    std::string k = "k" + std::to_string(i % 3000), v = std::string(i % 17, 'v');
    EXPECT_EQ(d.set(k, v), model.count(k) == 0);
    model[k] = v;
  }
  ASSERT_EQ(d.size(), model.size());
  for (const auto& [k, v] : model) {
    const StringDict::Node* n = d.find(k);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->value(), v);
  }
  EXPECT_EQ(d.find("nope"), nullptr);
  EXPECT_FALSE(d.add("k1"));
  EXPECT_TRUE(d.add("fresh"));
  EXPECT_GT(d.memory(), d.size() * sizeof(StringDict::Node));
  StringDict copy(d);
  for (int i = 0; i < 3000; ++i) EXPECT_TRUE(d.erase("k" + std::to_string(i)));
  EXPECT_FALSE(d.erase("k1"));
  EXPECT_EQ(d.size(), 1u);
  EXPECT_LT(d.memory(), copy.memory() / 100);  // the bucket array shrank too
  EXPECT_EQ(copy.size(), 3001u);
  EXPECT_EQ(copy.find("k5")->value(), model["k5"]);
}

TEST(StringDict, ScanVisitsEveryKeyWhileResizing) {
  StringDict d;
  for (int i = 0; i < 1000; ++i) d.add("m" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = d.scan(cursor, [&](const StringDict::Node& n) { seen.emplace(n.key()); });
    // Grow, then shrink, the table in the middle of the iteration.
    if (++steps == 100) {
      for (int i = 1000; i < 5000; ++i) d.add("m" + std::to_string(i));
    }
    if (steps == 300) {
      for (int i = 1000; i < 5000; ++i) d.erase("m" + std::to_string(i));
      for (int i = 0; i < 1000; i += 2) d.erase("m" + std::to_string(i));
    }
  } while (cursor != 0);
  for (int i = 1; i < 1000; i += 2) EXPECT_TRUE(seen.count("m" + std::to_string(i))) << i;
}

TEST(StringDict, RandomNodesCoverTheTable) {
  StringDict d;
  for (int i = 0; i < 50; ++i) d.add(std::to_string(i));
  std::mt19937_64 rng(1);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) seen.emplace(d.random(rng)->key());
  EXPECT_EQ(seen.size(), 50u);
  StringDict empty;
  EXPECT_EQ(empty.random(rng), nullptr);
}
