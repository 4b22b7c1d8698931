// storage/shard_lock_carry.h: a KeyHandle's shard lock kept for the next handle on the
// same shard, released before any other shard is locked, and never kept unless allowed.
#include "storage/shard_lock_carry.h"

#include <gtest/gtest.h>

#include <future>
#include <string>

#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"

namespace {

using terndb::storage::hash_key;
using terndb::storage::KeyHandle;
using terndb::storage::Keyspace;
namespace lock_carry = terndb::storage::lock_carry;

constexpr int64_t kNow = 1'700'000'000'000;

// Whether another thread finds the shard of `key` locked.
bool locked_elsewhere(Keyspace& ks, const std::string& key) {
  std::mutex& mu = ks.shard(ks.shard_of(hash_key(key))).mu;
  return std::async(std::launch::async,
                    [&mu] {
                      if (!mu.try_lock()) return true;
                      mu.unlock();
                      return false;
                    })
      .get();
}

// Two keys in different shards.
std::pair<std::string, std::string> keys_in_two_shards(Keyspace& ks) {
  std::string a = "a";
  for (int i = 0;; ++i) {
    std::string b = "b" + std::to_string(i);
    if (ks.shard_of(hash_key(a)) != ks.shard_of(hash_key(b))) return {a, b};
  }
}

class ShardLockCarry : public ::testing::Test {
 protected:
  void TearDown() override {
    lock_carry::allow(false);
    lock_carry::release();
  }
  Keyspace ks{1, 4};
};

TEST_F(ShardLockCarry, NotKeptUnlessAllowed) {
  { KeyHandle k(ks, 0, "a", kNow, false); }
  EXPECT_FALSE(locked_elsewhere(ks, "a"));
}

TEST_F(ShardLockCarry, KeptForTheNextHandleOnTheSameShard) {
  lock_carry::allow(true);
  { KeyHandle k(ks, 0, "a", kNow, false); }
  EXPECT_TRUE(locked_elsewhere(ks, "a"));
  // Taken over (a plain lock here would never return), and kept again.
  { KeyHandle k(ks, 0, "a", kNow, false); }
  EXPECT_TRUE(locked_elsewhere(ks, "a"));
  lock_carry::release();
  EXPECT_FALSE(locked_elsewhere(ks, "a"));
}

TEST_F(ShardLockCarry, ReleasedBeforeAnotherShardIsLocked) {
  auto [a, b] = keys_in_two_shards(ks);
  lock_carry::allow(true);
  { KeyHandle k(ks, 0, a, kNow, false); }
  {
    KeyHandle k(ks, 0, b, kNow, false);
    EXPECT_FALSE(locked_elsewhere(ks, a));
  }
  EXPECT_TRUE(locked_elsewhere(ks, b));
  lock_carry::allow(false);
  { KeyHandle k(ks, 0, b, kNow, false); }  // takes it over, then unlocks
  EXPECT_FALSE(locked_elsewhere(ks, b));
}

TEST_F(ShardLockCarry, LetGoAfterARunOfKeeps) {
  lock_carry::allow(true);
  int kept_in_a_row = 0;
  for (int i = 0; i < 100; ++i) {
    { KeyHandle k(ks, 0, "a", kNow, false); }
    if (!locked_elsewhere(ks, "a")) break;
    ++kept_in_a_row;
  }
  EXPECT_GT(kept_in_a_row, 8);
  EXPECT_LT(kept_in_a_row, 100);
}

TEST_F(ShardLockCarry, HandlesOnLockedShardsKeepNothing) {
  lock_carry::allow(true);
  std::mutex& mu = ks.shard(ks.shard_of(hash_key("a"))).mu;
  mu.lock();
  { KeyHandle k(ks, 0, "a", kNow, true); }  // the caller holds the lock (EXEC, scripts)
  mu.unlock();
  EXPECT_FALSE(locked_elsewhere(ks, "a"));
}

}  // namespace
