// maxmemory-clients' limit as Redis computes it: bytes, or a percentage of maxmemory (none
// without maxmemory), never below 128 KB; 0 turns client eviction off.
#include "server/client_eviction.h"

#include <gtest/gtest.h>

using terndb::server::client_eviction_limit;

TEST(ClientEvictionLimit, Bytes) {
  EXPECT_EQ(client_eviction_limit(0, 0), 0);
  EXPECT_EQ(client_eviction_limit(0, 1 << 30), 0);
  EXPECT_EQ(client_eviction_limit(5 << 20, 0), 5 << 20);
  EXPECT_EQ(client_eviction_limit(1, 0), 128 * 1024);  // the floor
}

TEST(ClientEvictionLimit, PercentOfMaxmemory) {
  // The registry keeps "10%" as -10.
  EXPECT_EQ(client_eviction_limit(-10, 100 << 20), 10 << 20);
  EXPECT_EQ(client_eviction_limit(-100, 64 << 20), 64 << 20);
  EXPECT_EQ(client_eviction_limit(-10, 0), 0);                // no maxmemory: no limit
  EXPECT_EQ(client_eviction_limit(-1, 1 << 20), 128 * 1024);  // 1% of 1 MB is below the floor
}
