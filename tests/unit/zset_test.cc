// Sorted set storage: the skiplist (spans, ranks, prefix counts, range erase, member index
// and its scan), the listpack encoding, ZSetValue's ZADD semantics, conversions between
// encodings at the configured limits, range spans, and DEBUG DIGEST against values
// computed by redis-server 7.0.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/digest.h"
#include "storage/encoding_limits.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/sha1.h"
#include "storage/zset_listpack.h"
#include "storage/zset_skiplist.h"
#include "storage/zset_value.h"

using terndb::storage::ZAddResult;
using terndb::storage::ZLexBound;
using terndb::storage::ZLexRange;
using terndb::storage::ZListpack;
using terndb::storage::ZScoreRange;
using terndb::storage::ZSetValue;
using terndb::storage::ZSkiplist;

namespace {

using Item = std::pair<double, std::string>;  // (score, member): the order of a sorted set

std::vector<Item> skiplist_items(const ZSkiplist& sl) {
  std::vector<Item> out;
  for (auto* n = sl.first(); n; n = n->next()) out.emplace_back(n->score, std::string(n->member()));
  return out;
}

std::vector<Item> zset_items(const ZSetValue& z) {
  std::vector<Item> out;
  z.visit(0, z.size(), false,
          [&](std::string_view m, double s) { out.emplace_back(s, std::string(m)); });
  return out;
}

// Checks every structural promise of the skiplist against a reference ordered set.
void expect_consistent(const ZSkiplist& sl, const std::set<Item>& ref) {
  ASSERT_EQ(sl.size(), ref.size());
  std::vector<Item> want(ref.begin(), ref.end());
  ASSERT_EQ(skiplist_items(sl), want);
  // Backward links mirror the forward order.
  std::vector<Item> backwards;
  for (auto* n = sl.last(); n; n = n->prev())
    backwards.emplace_back(n->score, std::string(n->member()));
  ASSERT_EQ(std::vector<Item>(backwards.rbegin(), backwards.rend()), want);
  size_t rank = 1;
  for (const auto& [score, member] : want) {
    ZSkiplist::Node* n = sl.find(member);
    ASSERT_NE(n, nullptr) << member;
    EXPECT_EQ(n->score, score);
    EXPECT_EQ(sl.rank(n), rank) << member;
    EXPECT_EQ(sl.at_rank(rank), n);
    ++rank;
  }
  EXPECT_EQ(sl.at_rank(0), nullptr);
  EXPECT_EQ(sl.at_rank(ref.size() + 1), nullptr);
  // Every level of every node: its forward link is the next node at least that tall, and
  // its span is the distance in ranks (rank() and at_rank() only cross some of them).
  std::vector<const ZSkiplist::Node*> order;
  for (auto* n = sl.first(); n; n = n->next()) order.push_back(n);
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const ZSkiplist::Node* n = order[pos];
    for (uint32_t level = 0; level < n->height; ++level) {
      size_t next = pos + 1;
      while (next < order.size() && order[next]->height <= level) ++next;
      const ZSkiplist::Level& link = n->levels()[level];
      if (next == order.size()) {
        EXPECT_EQ(link.forward, nullptr) << n->member() << " level " << level;
      } else {
        EXPECT_EQ(link.forward, order[next]) << n->member() << " level " << level;
        EXPECT_EQ(link.span, next - pos) << n->member() << " level " << level;
      }
    }
  }
}

struct LimitsGuard {
  int64_t entries, value;
  LimitsGuard(int64_t e, int64_t v) {
    auto& l = terndb::storage::encoding_limits();
    entries = l.zset_max_listpack_entries.exchange(e);
    value = l.zset_max_listpack_value.exchange(v);
  }
  ~LimitsGuard() {
    auto& l = terndb::storage::encoding_limits();
    l.zset_max_listpack_entries.store(entries);
    l.zset_max_listpack_value.store(value);
  }
};

ZLexBound lex_value(std::string v, bool exclusive) {
  ZLexBound b;
  b.kind = ZLexBound::kValue;
  b.value = std::move(v);
  b.exclusive = exclusive;
  return b;
}

ZLexBound lex_inf(bool plus) {
  ZLexBound b;
  b.kind = plus ? ZLexBound::kPlusInf : ZLexBound::kMinusInf;
  b.exclusive = true;
  return b;
}

}  // namespace

TEST(ZSkiplist, RandomOperationsKeepRanksAndSpansExact) {
  ZSkiplist sl;
  std::set<Item> ref;
  std::mt19937 rng(12345);
  std::vector<std::string> members;
  for (int i = 0; i < 300; ++i) members.push_back("m" + std::to_string(i));
  for (int step = 0; step < 6000; ++step) {
    const std::string& m = members[rng() % members.size()];
    // Few distinct scores, so that ties ordered by member are frequent.
    double score = static_cast<double>(static_cast<int>(rng() % 20) - 10) / 2;
    ZSkiplist::Node* n = sl.find(m);
    switch (rng() % 3) {
      case 0:
        if (!n) {
          sl.insert(m, score);
          ref.emplace(score, m);
        }
        break;
      case 1:
        if (n) {
          ref.erase({n->score, m});
          sl.erase(n);
        }
        break;
      case 2:
        if (n) {
          ref.erase({n->score, m});
          ref.emplace(score, m);
          EXPECT_EQ(sl.update_score(n, score)->member(), m);
        }
        break;
    }
    if (step % 50 == 0) expect_consistent(sl, ref);
  }
  expect_consistent(sl, ref);
}

TEST(ZSkiplist, MovesAcrossALargeListKeepSpansExact) {
  // Taller lists than above, and moves of every length (the walk to the old gap and the
  // walk to the new one share a prefix for short moves and part early for long ones).
  ZSkiplist sl;
  std::set<Item> ref;
  std::mt19937 rng(777);
  for (int i = 0; i < 4000; ++i) {
    std::string m = "member:" + std::to_string(i);
    double score = static_cast<double>(rng() % 100000);
    sl.insert(m, score);
    ref.emplace(score, m);
  }
  for (int step = 0; step < 20000; ++step) {
    std::string m = "member:" + std::to_string(rng() % 4000);
    ZSkiplist::Node* n = sl.find(m);
    ASSERT_NE(n, nullptr);
    double score = n->score;
    switch (rng() % 3) {
      case 0:
        score = static_cast<double>(rng() % 100000);
        break;
      case 1:
        score += static_cast<double>(static_cast<int>(rng() % 200) - 100);
        break;
      case 2:  // to either end
        score = rng() % 2 ? -1e9 : 1e9;
        break;
    }
    ref.erase({n->score, m});
    ref.emplace(score, m);
    ASSERT_EQ(sl.update_score(n, score), n);
    if (step % 2500 == 0) expect_consistent(sl, ref);
  }
  expect_consistent(sl, ref);
}

TEST(ZSkiplist, CountPrefixFindsScoreBoundsInLogTime) {
  ZSkiplist sl;
  for (int i = 0; i < 1000; ++i) sl.insert("k" + std::to_string(i), i / 10);  // 10 per score
  auto below = [&](double x) {
    return sl.count_prefix([&](const ZSkiplist::Node* n) { return n->score < x; });
  };
  auto at_most = [&](double x) {
    return sl.count_prefix([&](const ZSkiplist::Node* n) { return n->score <= x; });
  };
  EXPECT_EQ(below(0), 0u);
  EXPECT_EQ(below(5), 50u);
  EXPECT_EQ(at_most(5), 60u);
  EXPECT_EQ(below(5.5), 60u);
  EXPECT_EQ(at_most(1000), 1000u);
  EXPECT_EQ(below(-std::numeric_limits<double>::infinity()), 0u);
}

TEST(ZSkiplist, EraseRanksRemovesExactlyTheSpan) {
  ZSkiplist sl;
  std::set<Item> ref;
  for (int i = 0; i < 200; ++i) {
    sl.insert("e" + std::to_string(i), i);
    ref.emplace(i, "e" + std::to_string(i));
  }
  EXPECT_EQ(sl.erase_ranks(10, 20), 10u);
  for (int i = 10; i < 20; ++i) ref.erase({i, "e" + std::to_string(i)});
  expect_consistent(sl, ref);
  EXPECT_EQ(sl.erase_ranks(185, 500), 5u);  // clipped at the end
  EXPECT_EQ(sl.erase_ranks(3, 3), 0u);
  EXPECT_EQ(sl.erase_ranks(0, sl.size()), 185u);
  EXPECT_EQ(sl.size(), 0u);
  EXPECT_EQ(sl.first(), nullptr);
  EXPECT_EQ(sl.last(), nullptr);
}

TEST(ZSkiplist, ScanVisitsEveryMemberAcrossIndexResizes) {
  ZSkiplist sl;
  for (int i = 0; i < 100; ++i) sl.insert("s" + std::to_string(i), i);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = sl.scan(cursor, [&](const ZSkiplist::Node* n) { seen.emplace(n->member()); });
    // Grow the index mid-walk: members present throughout must still all be returned.
    if (++calls == 5) {
      for (int i = 100; i < 1000; ++i) sl.insert("s" + std::to_string(i), i);
    }
  } while (cursor != 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count("s" + std::to_string(i))) << i;
}

TEST(ZSkiplist, HeapBytesFollowNodes) {
  ZSkiplist sl;
  size_t empty = sl.heap_bytes();
  sl.insert(std::string(1000, 'x'), 1);
  EXPECT_GE(sl.heap_bytes(), empty + 1000);
  sl.erase(sl.find(std::string(1000, 'x')));
  EXPECT_LT(sl.heap_bytes(), empty + 1000);
}

TEST(ZListpack, KeepsOrderAndLongMembers) {
  ZListpack lp;
  lp.insert("b", 2);
  lp.insert("a", 2);
  lp.insert(std::string(300, 'z'), -1);  // a multi-byte length prefix
  lp.insert("c", 1.5);
  ASSERT_EQ(lp.size(), 4u);
  std::vector<std::string> order;
  for (size_t off = lp.begin(); off != lp.end(); off = lp.next(off))
    order.emplace_back(lp.member(off));
  EXPECT_EQ(order, (std::vector<std::string>{std::string(300, 'z'), "c", "a", "b"}));
  double score;
  ASSERT_NE(lp.find(std::string(300, 'z'), &score), ZListpack::npos);
  EXPECT_EQ(score, -1);
  EXPECT_EQ(lp.find("nosuch"), ZListpack::npos);
  lp.erase_ranks(1, 3);
  EXPECT_EQ(lp.size(), 2u);
  EXPECT_EQ(lp.member(lp.offset_of_rank(1)), "b");
  lp.erase_at(lp.find("b"));
  lp.erase_at(lp.begin());
  EXPECT_EQ(lp.size(), 0u);
  EXPECT_EQ(lp.heap_bytes(), 0u);
}

TEST(ZListpack, StoresNegativeZeroAsZeroAsRedisIntegerEncodingDoes) {
  ZListpack lp;
  lp.insert("a", -0.0);
  EXPECT_FALSE(std::signbit(lp.score(lp.begin())));
}

TEST(ZSetValue, ZaddFlagsFollowRedis) {
  ZSetValue z;
  double s = 0;
  EXPECT_EQ(z.add("a", 1, 0, &s), ZAddResult::kAdded);
  EXPECT_EQ(z.add("a", 1, 0, &s), ZAddResult::kUnchanged);
  EXPECT_EQ(z.add("a", 5, terndb::storage::kZAddNX, &s), ZAddResult::kSkipped);
  EXPECT_EQ(z.add("b", 5, terndb::storage::kZAddXX, &s), ZAddResult::kSkipped);
  EXPECT_EQ(z.add("a", 0, terndb::storage::kZAddGT, &s), ZAddResult::kSkipped);
  EXPECT_EQ(z.add("a", 3, terndb::storage::kZAddGT, &s), ZAddResult::kUpdated);
  EXPECT_EQ(s, 3);
  EXPECT_EQ(z.add("a", 2, terndb::storage::kZAddIncr, &s), ZAddResult::kUpdated);
  EXPECT_EQ(s, 5);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(z.add("a", inf, 0, &s), ZAddResult::kUpdated);
  EXPECT_EQ(z.add("a", -inf, terndb::storage::kZAddIncr, &s), ZAddResult::kNaN);
  EXPECT_EQ(z.add("n", std::nan(""), 0, &s), ZAddResult::kNaN);
  EXPECT_EQ(z.size(), 1u);
}

TEST(ZSetValue, ConvertsAtTheEntryLimitAndNeverBack) {
  LimitsGuard limits(4, 64);
  ZSetValue z;
  double s;
  for (int i = 0; i < 4; ++i) z.add("m" + std::to_string(i), i, 0, &s);
  EXPECT_STREQ(z.encoding_name(), "listpack");
  auto before = zset_items(z);
  z.add("m4", 4, 0, &s);
  EXPECT_STREQ(z.encoding_name(), "skiplist");
  before.emplace_back(4, "m4");
  EXPECT_EQ(zset_items(z), before);
  for (int i = 0; i < 5; ++i) z.erase("m" + std::to_string(i));
  z.add("again", 1, 0, &s);
  EXPECT_STREQ(z.encoding_name(), "skiplist");
}

TEST(ZSetValue, ConvertsForALongMemberAndZeroEntryLimit) {
  {
    LimitsGuard limits(128, 8);
    ZSetValue z;
    double s;
    z.add("12345678", 1, 0, &s);
    EXPECT_STREQ(z.encoding_name(), "listpack");
    z.add("123456789", 1, 0, &s);
    EXPECT_STREQ(z.encoding_name(), "skiplist");
  }
  {
    LimitsGuard limits(0, 64);
    ZSetValue z;
    double s;
    z.add("a", 1, 0, &s);
    EXPECT_STREQ(z.encoding_name(), "skiplist");
  }
}

TEST(ZSetValue, FromSortedPicksTheEncodingByFinalShape) {
  LimitsGuard limits(3, 5);
  std::vector<std::pair<std::string, double>> small{{"a", 1}, {"b", 2}};
  std::unique_ptr<ZSetValue> z(ZSetValue::from_sorted(small));
  EXPECT_STREQ(z->encoding_name(), "listpack");
  std::vector<std::pair<std::string, double>> many{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
  z.reset(ZSetValue::from_sorted(many));
  EXPECT_STREQ(z->encoding_name(), "skiplist");
  EXPECT_EQ(z->rank("c"), 2);
  std::vector<std::pair<std::string, double>> longer{{"abcdef", 1}};
  z.reset(ZSetValue::from_sorted(longer));
  EXPECT_STREQ(z->encoding_name(), "skiplist");
}

// Both encodings must answer every range question identically for well-formed data.
TEST(ZSetValue, SpansAgreeBetweenEncodings) {
  ZSetValue lp, sl;
  sl.convert_to_skiplist();
  double s;
  for (int i = 0; i < 60; ++i) {
    std::string m = "k" + std::to_string(100 + i);
    lp.add(m, i / 3, 0, &s);
    sl.add(m, i / 3, 0, &s);
  }
  ASSERT_STREQ(lp.encoding_name(), "listpack");
  ASSERT_STREQ(sl.encoding_name(), "skiplist");
  const double inf = std::numeric_limits<double>::infinity();
  for (double lo : {-inf, -1.0, 0.0, 3.0, 7.5, 19.0, 25.0}) {
    for (double hi : {-inf, 0.0, 3.0, 10.0, 19.0, inf}) {
      for (int ex = 0; ex < 4; ++ex) {
        ZScoreRange r{lo, hi, (ex & 1) != 0, (ex & 2) != 0};
        auto a = lp.score_span(r), b = sl.score_span(r);
        EXPECT_EQ(a.size(), b.size()) << lo << " " << hi << " " << ex;
        if (a.size()) {
          EXPECT_EQ(a.lo, b.lo);
        }
      }
    }
  }
  // Equal scores for lex ranges.
  ZSetValue lex_lp, lex_sl;
  lex_sl.convert_to_skiplist();
  for (char ch = 'a'; ch <= 'z'; ++ch) {
    lex_lp.add(std::string(1, ch), 0, 0, &s);
    lex_sl.add(std::string(1, ch), 0, 0, &s);
  }
  std::vector<ZLexBound> bounds{lex_inf(false),       lex_inf(true),         lex_value("c", false),
                                lex_value("c", true), lex_value("m", false), lex_value("mm", true),
                                lex_value("", false)};
  for (const auto& min : bounds) {
    for (const auto& max : bounds) {
      ZLexRange r{min, max};
      for (bool back : {false, true}) {
        auto a = lex_lp.lex_span(r, back), b = lex_sl.lex_span(r, back);
        EXPECT_EQ(a.size(), b.size());
        if (a.size()) {
          EXPECT_EQ(a.lo, b.lo);
        }
      }
    }
  }
  ZLexRange mid{lex_value("c", false), lex_value("f", true)};
  auto span = lex_lp.lex_span(mid, false);
  EXPECT_EQ(span.lo, 2u);
  EXPECT_EQ(span.hi, 5u);
}

TEST(ZSetValue, CloneIsDeepForBothEncodings) {
  for (bool skiplist : {false, true}) {
    ZSetValue z;
    if (skiplist) z.convert_to_skiplist();
    double s;
    z.add("a", 1, 0, &s);
    z.add("b", 2, 0, &s);
    std::unique_ptr<ZSetValue> copy(static_cast<ZSetValue*>(z.clone()));
    z.erase("a");
    EXPECT_EQ(copy->size(), 2u);
    EXPECT_STREQ(copy->encoding_name(), z.encoding_name());
    EXPECT_EQ(copy->rank("b"), 1);
  }
}

TEST(ZSetValue, VisitsInBothDirections) {
  for (bool skiplist : {false, true}) {
    ZSetValue z;
    if (skiplist) z.convert_to_skiplist();
    double s;
    for (int i = 0; i < 10; ++i) z.add(std::string(1, static_cast<char>('a' + i)), i, 0, &s);
    std::string fwd, rev;
    z.visit(2, 6, false, [&](std::string_view m, double) { fwd += m; });
    z.visit(2, 6, true, [&](std::string_view m, double) { rev += m; });
    EXPECT_EQ(fwd, "cdef");
    EXPECT_EQ(rev, "fedc");
    EXPECT_EQ(z.erase_ranks(0, 3), 3u);
    EXPECT_EQ(z.at(0).first, "d");
  }
}

TEST(ZSetValue, ScoreTextsMatchRedis) {
  using terndb::storage::listpack_score_text;
  using terndb::storage::score_text_17g;
  EXPECT_EQ(listpack_score_text(1e17), "100000000000000000");
  EXPECT_EQ(listpack_score_text(1.5), "1.5");
  EXPECT_EQ(listpack_score_text(1e20), "1e+20");
  EXPECT_EQ(listpack_score_text(-3), "-3");
  EXPECT_EQ(listpack_score_text(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(score_text_17g(1e17), "1e+17");
  EXPECT_EQ(score_text_17g(-0.0), "-0");
  EXPECT_EQ(score_text_17g(0.1), "0.10000000000000001");
  EXPECT_EQ(score_text_17g(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(ZSetValue, MemoryUsageTracksGrowth) {
  ZSetValue z;
  double s;
  size_t empty = z.memory_usage();
  for (int i = 0; i < 200; ++i) z.add("member-" + std::to_string(i), i, 0, &s);
  EXPECT_GT(z.memory_usage(), empty + 200 * 8);
  size_t big = z.memory_usage();
  z.erase_ranks(0, 150);
  EXPECT_LT(z.memory_usage(), big);
}

// Digests from redis-server 7.0.15 for:
//   ZADD z1 1 a 2.5 b -3 c inf d 12345678901 e                  (listpack)
//   ZADD z2 -0 x 1e17 y 0.1 z -inf w 7 12   with zset-max-listpack-entries 0 (skiplist)
// via DEBUG DIGEST-VALUE z1 z2 and DEBUG DIGEST.
TEST(ZSetDigest, MatchesRedis) {
  terndb::storage::register_zset_digest();
  terndb::storage::Keyspace ks(16, 2);
  const int64_t now = 1'700'000'000'000;
  double s;
  auto* z1 = new ZSetValue();
  z1->add("a", 1, 0, &s);
  z1->add("b", 2.5, 0, &s);
  z1->add("c", -3, 0, &s);
  z1->add("d", std::numeric_limits<double>::infinity(), 0, &s);
  z1->add("e", 12345678901.0, 0, &s);
  auto* z2 = new ZSetValue();
  z2->convert_to_skiplist();
  z2->add("x", -0.0, 0, &s);
  z2->add("y", 1e17, 0, &s);
  z2->add("z", 0.1, 0, &s);
  z2->add("w", -std::numeric_limits<double>::infinity(), 0, &s);
  z2->add("12", 7, 0, &s);
  using terndb::storage::make_object_entry;
  using terndb::storage::ValueType;
  {
    terndb::storage::KeyHandle k(ks, 0, "z1", now, false);
    k.put(make_object_entry("z1", ValueType::kZSet, z1, -1));
  }
  {
    terndb::storage::KeyHandle k(ks, 0, "z2", now, false);
    k.put(make_object_entry("z2", ValueType::kZSet, z2, -1));
  }
  auto value_digest = [&](const char* key) {
    terndb::storage::KeyHandle k(ks, 0, key, now, false);
    terndb::storage::Digest d{};
    terndb::storage::digest_value(d, k.get());
    return terndb::storage::Sha1::hex(d);
  };
  EXPECT_EQ(value_digest("z1"), "4d124cb59c0bc8be290d42ae9c28a544233398df");
  EXPECT_EQ(value_digest("z2"), "305cb363a8d17dd5783811f682475b6cd82b85c9");
  EXPECT_EQ(terndb::storage::dataset_digest_hex(ks, now),
            "3d216addf064dbec12370622a58aaf0337f7d464");
}
