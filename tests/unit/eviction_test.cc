// The LFU counter's arithmetic and the eviction pool, as storage/access_stamp.h and
// storage/eviction_pool.h promise them.
#include <gtest/gtest.h>

#include <random>

#include "storage/access_stamp.h"
#include "storage/eviction_pool.h"

namespace terndb::storage {
namespace {

constexpr int64_t kMinute = 60000;

TEST(LfuCounter, NewValuesStartAtFiveAndStampMinutes) {
  const int64_t now = 1'700'000'000'000;
  const uint32_t stamp = lfu_stamp(lfu_minutes(now), kLfuInitialCounter);
  EXPECT_EQ(stamp & 0xff, 5u);
  EXPECT_EQ(stamp >> 8, (now / kMinute) & 0xffff);
}

TEST(LfuCounter, DecaysOnePerDecayPeriod) {
  const int64_t t0 = 28'333'333 * kMinute;  // on a minute boundary
  const uint32_t stamp = lfu_stamp(lfu_minutes(t0), 20);
  EXPECT_EQ(lfu_decayed_counter(stamp, t0, 1), 20);
  EXPECT_EQ(lfu_decayed_counter(stamp, t0 + 59'999, 1), 20);
  EXPECT_EQ(lfu_decayed_counter(stamp, t0 + 3 * kMinute, 1), 17);
  EXPECT_EQ(lfu_decayed_counter(stamp, t0 + 10 * kMinute, 5), 18);
  EXPECT_EQ(lfu_decayed_counter(stamp, t0 + 100 * kMinute, 1), 0);
  // lfu-decay-time 0 never decays.
  EXPECT_EQ(lfu_decayed_counter(stamp, t0 + 100 * kMinute, 0), 20);
}

TEST(LfuCounter, MinutesWrapAround) {
  EXPECT_EQ(lfu_elapsed_minutes(65530, 4), 65535u - 65530u + 4u);
  EXPECT_EQ(lfu_elapsed_minutes(10, 12), 2u);
}

TEST(LfuCounter, IncrementIsCertainUpToFiveThenLogarithmic) {
  // At or below the initial value the increment probability is 1.
  EXPECT_EQ(lfu_log_increment(0, 10, 0.999), 1);
  EXPECT_EQ(lfu_log_increment(5, 10, 0.999), 6);
  // At 6 it is 1 / (1 * 10 + 1): a draw above that keeps the counter.
  EXPECT_EQ(lfu_log_increment(6, 10, 0.5), 6);
  EXPECT_EQ(lfu_log_increment(6, 10, 0.05), 7);
  EXPECT_EQ(lfu_log_increment(255, 0, 0.0), 255);
}

TEST(LfuCounter, HitsNeededGrowAsRedisDocuments) {
  // Redis's table for lfu-log-factor 10: about 100 hits reach ~10, 1000 hits ~18,
  // 100K hits ~142 (and 1M saturate at 255).
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto after = [&](int hits) {
    uint8_t c = kLfuInitialCounter;
    for (int i = 0; i < hits; ++i) c = lfu_log_increment(c, 10, u(rng));
    return static_cast<int>(c);
  };
  EXPECT_NEAR(after(100), 10, 3);
  EXPECT_NEAR(after(1000), 18, 4);
  EXPECT_NEAR(after(100000), 142, 20);
}

TEST(EvictionPool, KeepsTheBestSixteen) {
  EvictionPool pool;
  for (uint64_t i = 0; i < 100; ++i) pool.offer(i, 0, 0, "k" + std::to_string(i));
  EXPECT_EQ(pool.size(), EvictionPool::kSize);
  EvictionCandidate c;
  for (uint64_t expect = 99; expect >= 84; --expect) {
    ASSERT_TRUE(pool.pop_best(c));
    EXPECT_EQ(c.score, expect);
    EXPECT_EQ(c.key, "k" + std::to_string(expect));
  }
  EXPECT_FALSE(pool.pop_best(c));
}

TEST(EvictionPool, RejectsWorseThanWorstWhenFullAndUpdatesDuplicates) {
  EvictionPool pool;
  for (uint64_t i = 100; i < 116; ++i) pool.offer(i, 0, 0, "k" + std::to_string(i));
  pool.offer(5, 0, 0, "low");
  EXPECT_EQ(pool.size(), 16u);
  // The same key again (same db) replaces its old score rather than taking two slots.
  pool.offer(500, 0, 3, "k100");
  EXPECT_EQ(pool.size(), 16u);
  EvictionCandidate c;
  ASSERT_TRUE(pool.pop_best(c));
  EXPECT_EQ(c.key, "k100");
  EXPECT_EQ(c.score, 500u);
  EXPECT_EQ(c.shard, 3u);
  // The same name in another database is another key.
  pool.offer(1000, 1, 0, "k101");
  ASSERT_TRUE(pool.pop_best(c));
  EXPECT_EQ(c.db, 1);
  ASSERT_TRUE(pool.pop_best(c));
  EXPECT_EQ(c.key, "k115");
}

}  // namespace
}  // namespace terndb::storage
