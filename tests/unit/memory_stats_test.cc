// Memory figures for INFO memory, through the allocator this binary has (the unit tests
// do not link jemalloc, so this exercises the fallback the sanitizer builds use too).
#include "server/memory_stats.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

using terndb::server::bytes_to_human;
using terndb::server::peak_allocated;
using terndb::server::read_memory_stats;

TEST(MemoryStats, FollowsAllocations) {
  auto before = read_memory_stats();
  EXPECT_EQ(before.allocator, "libc");
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 100; ++i) {
    blocks.emplace_back(new char[100000]);
    memset(blocks.back().get(), i, 100000);
  }
  auto after = read_memory_stats();
  EXPECT_GE(after.allocated, before.allocated + 9000000);
  EXPECT_GT(after.rss, 10000000u);
  EXPECT_GE(peak_allocated(), after.allocated);
  blocks.clear();
  EXPECT_LT(read_memory_stats().allocated, after.allocated);
  EXPECT_GE(peak_allocated(), after.allocated);
}

TEST(MemoryStats, BytesToHumanAsRedisPrintsThem) {
  EXPECT_EQ(bytes_to_human(0), "0B");
  EXPECT_EQ(bytes_to_human(1023), "1023B");
  EXPECT_EQ(bytes_to_human(1024), "1.00K");
  EXPECT_EQ(bytes_to_human(1039984), "1015.61K");
  EXPECT_EQ(bytes_to_human(12480512), "11.90M");
  EXPECT_EQ(bytes_to_human(1073741824), "1.00G");
  EXPECT_EQ(bytes_to_human(25276063744ull), "23.54G");
  EXPECT_EQ(bytes_to_human(5ull << 40), "5.00T");
}
