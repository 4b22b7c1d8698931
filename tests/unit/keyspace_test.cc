// Storage units: Table (insert, find, unlink, resize, reverse-binary scan), KeyHandle lazy
// expiry, Keyspace flush/swap/scan/active expiry, and Redis's glob matching.
#include "storage/keyspace.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "storage/clock.h"
#include "storage/entry.h"
#include "storage/glob.h"
#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/table.h"

using terndb::storage::Entry;
using terndb::storage::glob_match;
using terndb::storage::hash_key;
using terndb::storage::KeyHandle;
using terndb::storage::Keyspace;
using terndb::storage::KeyspaceObserver;
using terndb::storage::make_string_entry;
using terndb::storage::Table;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // a fixed "now" in ms for expiry decisions

std::string key_name(int i) {
  return "key:" + std::to_string(i);
}

void insert_key(Table& t, const std::string& key, int64_t expire_at = -1) {
  t.insert(make_string_entry(key, "value-" + key, expire_at), hash_key(key));
}

bool table_has(const Table& t, const std::string& key) {
  return t.find(key, hash_key(key)) != nullptr;
}

void erase_key(Table& t, const std::string& key) {
  Entry** link = t.find(key, hash_key(key));
  ASSERT_NE(link, nullptr) << key;
  terndb::storage::free_entry(t.unlink(link));
}

// Inserts a key through a KeyHandle into database `db` of `ks`.
void put_key(Keyspace& ks, int db, const std::string& key, int64_t expire_at = -1) {
  KeyHandle k(ks, db, key, kNow, false);
  k.put(make_string_entry(key, "v", expire_at));
}

bool keyspace_has(Keyspace& ks, int db, const std::string& key, int64_t now = kNow) {
  KeyHandle k(ks, db, key, now, false);
  return k.get() != nullptr;
}

struct CountingObserver : KeyspaceObserver {
  std::vector<std::string> expired;
  void key_expired(int, std::string_view key) override { expired.emplace_back(key); }
};

}  // namespace

TEST(Table, InsertFindUnlink) {
  Table t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find("nope", hash_key("nope")), nullptr);
  for (int i = 0; i < 100; ++i) insert_key(t, key_name(i), i % 2 ? kNow : -1);
  EXPECT_EQ(t.size(), 100u);
  EXPECT_EQ(t.volatile_count(), 50u);
  for (int i = 0; i < 100; ++i) {
    Entry** link = t.find(key_name(i), hash_key(key_name(i)));
    ASSERT_NE(link, nullptr);
    EXPECT_EQ((*link)->key(), key_name(i));
    EXPECT_EQ((*link)->string_copy(), "value-" + key_name(i));
  }
  Entry** link = t.find(key_name(7), hash_key(key_name(7)));
  Entry* e = t.unlink(link);
  EXPECT_EQ(e->key(), key_name(7));
  EXPECT_EQ(e->next, nullptr);
  terndb::storage::free_entry(e);
  EXPECT_EQ(t.size(), 99u);
  EXPECT_EQ(t.volatile_count(), 49u);
  EXPECT_FALSE(table_has(t, key_name(7)));
  EXPECT_TRUE(table_has(t, key_name(8)));
}

TEST(Table, ReplaceKeepsCountersRight) {
  Table t;
  insert_key(t, "k");
  size_t before = t.memory();
  Entry** link = t.find("k", hash_key("k"));
  Entry* old = *link;
  t.replace(link, make_string_entry("k", std::string(200, 'x'), kNow));
  terndb::storage::free_entry(old);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.volatile_count(), 1u);
  EXPECT_GT(t.memory(), before);
  EXPECT_EQ((*t.find("k", hash_key("k")))->string_copy(), std::string(200, 'x'));
}

TEST(Table, GrowsAndShrinks) {
  Table t;
  EXPECT_EQ(t.bucket_count(), 0u);
  for (int i = 0; i < 5000; ++i) insert_key(t, key_name(i));
  // Load factor stays at most 2, and the array doubles only then (not at 1: 4096 buckets
  // for 5000 keys, not 8192).
  EXPECT_GE(t.bucket_count() * 2, t.size());
  EXPECT_LE(t.bucket_count(), t.size());
  size_t grown = t.bucket_count();
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(table_has(t, key_name(i))) << i;
  for (int i = 100; i < 5000; ++i) erase_key(t, key_name(i));
  t.maybe_shrink();
  EXPECT_LT(t.bucket_count(), grown);
  EXPECT_GE(t.bucket_count(), t.size());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(table_has(t, key_name(i))) << i;
  for (int i = 100; i < 200; ++i) EXPECT_FALSE(table_has(t, key_name(i))) << i;
}

TEST(Table, ReserveSizesOnceAndKeepsEntries) {
  Table t;
  for (int i = 0; i < 10; ++i) insert_key(t, key_name(i));
  t.reserve(3000);
  const size_t reserved = t.bucket_count();
  EXPECT_GE(reserved, 3000u);
  for (int i = 10; i < 3000; ++i) insert_key(t, key_name(i));
  EXPECT_EQ(t.bucket_count(), reserved);  // no resize while filling up to the reservation
  for (int i = 0; i < 3000; ++i) EXPECT_TRUE(table_has(t, key_name(i))) << i;
  t.reserve(16);  // never shrinks
  EXPECT_EQ(t.bucket_count(), reserved);
}

TEST(Table, ClearAndTake) {
  Table t;
  for (int i = 0; i < 50; ++i) insert_key(t, key_name(i), kNow);
  Table moved = t.take();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.volatile_count(), 0u);
  EXPECT_EQ(moved.size(), 50u);
  EXPECT_EQ(moved.volatile_count(), 50u);
  EXPECT_TRUE(table_has(moved, key_name(3)));
  moved.clear();
  EXPECT_EQ(moved.size(), 0u);
  EXPECT_EQ(moved.memory(), 0u);
}

TEST(Table, FullScanVisitsEveryEntryOnce) {
  Table t;
  for (int i = 0; i < 3000; ++i) insert_key(t, key_name(i));
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 3000u);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(seen.count(key_name(i)), 1u) << i;
}

TEST(Table, ScanGuaranteeWhileGrowing) {
  Table t;
  const int initial = 500;
  for (int i = 0; i < initial; ++i) insert_key(t, key_name(i));
  const size_t start_buckets = t.bucket_count();
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int next = initial;
  do {
    cursor = t.scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
    // Grow the table between steps so it resizes several times mid-iteration (bounded,
    // or the walk would never catch up with the growth).
    for (int j = 0; j < 20 && next < 20 * initial; ++j) insert_key(t, key_name(next++));
  } while (cursor != 0);
  EXPECT_GE(t.bucket_count(), start_buckets * 8) << "the table should have grown meanwhile";
  for (int i = 0; i < initial; ++i) EXPECT_TRUE(seen.count(key_name(i))) << key_name(i);
}

TEST(Table, ScanGuaranteeWhileShrinking) {
  Table t;
  const int total = 8000, kept = 300;
  for (int i = 0; i < total; ++i) insert_key(t, key_name(i));
  const size_t start_buckets = t.bucket_count();
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int next_victim = kept;
  do {
    cursor = t.scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
    // Delete keys that are not guaranteed; the kept ones stay present throughout.
    for (int j = 0; j < 100 && next_victim < total; ++j) erase_key(t, key_name(next_victim++));
    t.maybe_shrink();
  } while (cursor != 0);
  EXPECT_LE(t.bucket_count() * 8, start_buckets) << "the table should have shrunk meanwhile";
  for (int i = 0; i < kept; ++i) EXPECT_TRUE(seen.count(key_name(i))) << key_name(i);
}

TEST(Table, RandomEntryComesFromTheTable) {
  Table t;
  std::mt19937_64 rng(42);
  EXPECT_EQ(t.random_entry(rng), nullptr);
  for (int i = 0; i < 64; ++i) insert_key(t, key_name(i));
  std::set<std::string> picked;
  for (int i = 0; i < 2000; ++i) {
    Entry* e = t.random_entry(rng);
    ASSERT_NE(e, nullptr);
    ASSERT_TRUE(table_has(t, std::string(e->key())));
    picked.emplace(e->key());
  }
  EXPECT_GT(picked.size(), 48u) << "sampling should reach most keys";
}

TEST(Entry, NewEntriesAreStampedWithTheLruClock) {
  uint32_t before = terndb::storage::lru_clock();
  Entry* e = make_string_entry("k", "v", -1);
  uint32_t after = terndb::storage::lru_clock();
  EXPECT_LE(terndb::storage::lru_idle_seconds(before, e->lru), 1u);
  EXPECT_LE(terndb::storage::lru_idle_seconds(e->lru, after), 1u);
  terndb::storage::free_entry(e);
}

TEST(KeyHandle, LazyExpiryDeletesOnMaster) {
  Keyspace ks(2, 2);
  CountingObserver obs;
  ks.set_observer(&obs);
  put_key(ks, 0, "short", kNow + 100);
  put_key(ks, 0, "forever");
  EXPECT_EQ(ks.db_size(0), 2u);
  EXPECT_EQ(ks.volatile_count(0), 1u);
  EXPECT_TRUE(keyspace_has(ks, 0, "short", kNow + 99));
  EXPECT_EQ(ks.db_size(0), 2u);
  EXPECT_FALSE(keyspace_has(ks, 0, "short", kNow + 100));  // expiry time is inclusive
  EXPECT_EQ(ks.db_size(0), 1u);
  EXPECT_EQ(ks.volatile_count(0), 0u);
  EXPECT_EQ(obs.expired, std::vector<std::string>{"short"});
  EXPECT_TRUE(keyspace_has(ks, 0, "forever", kNow + 1'000'000));
}

TEST(KeyHandle, ReplicaHidesExpiredKeysWithoutDeleting) {
  Keyspace ks(1, 1);
  ks.set_expire_on_access(false);
  put_key(ks, 0, "k", kNow);
  EXPECT_FALSE(keyspace_has(ks, 0, "k", kNow + 1));
  EXPECT_EQ(ks.db_size(0), 1u);
  // Writing the key again replaces the hidden entry.
  {
    KeyHandle k(ks, 0, "k", kNow + 1, false);
    k.put(make_string_entry("k", "new", -1));
  }
  EXPECT_EQ(ks.db_size(0), 1u);
  KeyHandle k(ks, 0, "k", kNow + 1, false);
  ASSERT_NE(k.get(), nullptr);
  EXPECT_EQ(k.get()->string_copy(), "new");
}

TEST(KeyHandle, SetExpireAndErase) {
  Keyspace ks(1, 0);
  put_key(ks, 0, "k");
  {
    KeyHandle k(ks, 0, "k", kNow, false);
    k.set_expire(kNow + 5000);
    EXPECT_EQ(k.get()->expire_at(), kNow + 5000);
  }
  EXPECT_EQ(ks.volatile_count(0), 1u);
  {
    KeyHandle k(ks, 0, "k", kNow, false);
    k.set_expire(-1);
    EXPECT_EQ(k.get()->expire_at(), -1);
  }
  EXPECT_EQ(ks.volatile_count(0), 0u);
  {
    KeyHandle k(ks, 0, "k", kNow, false);
    EXPECT_TRUE(k.erase());
    EXPECT_FALSE(k.erase());
  }
  EXPECT_EQ(ks.db_size(0), 0u);
}

TEST(Keyspace, FlushAndSwap) {
  Keyspace ks(3, 3);
  for (int i = 0; i < 200; ++i) put_key(ks, 0, key_name(i));
  for (int i = 0; i < 50; ++i) put_key(ks, 1, "one:" + std::to_string(i), kNow + 60000);
  put_key(ks, 2, "two");
  EXPECT_EQ(ks.db_size(0), 200u);
  EXPECT_EQ(ks.db_size(1), 50u);

  ks.swap_db(0, 1);
  EXPECT_EQ(ks.db_size(0), 50u);
  EXPECT_EQ(ks.db_size(1), 200u);
  EXPECT_EQ(ks.volatile_count(0), 50u);
  EXPECT_TRUE(keyspace_has(ks, 0, "one:7"));
  EXPECT_TRUE(keyspace_has(ks, 1, key_name(7)));
  EXPECT_FALSE(keyspace_has(ks, 0, key_name(7)));

  ks.flush_db(1);
  EXPECT_EQ(ks.db_size(1), 0u);
  EXPECT_EQ(ks.db_size(0), 50u);
  EXPECT_FALSE(keyspace_has(ks, 1, key_name(7)));

  ks.flush_all();
  for (int db = 0; db < 3; ++db) EXPECT_EQ(ks.db_size(db), 0u) << db;
  // Still usable after flushing.
  put_key(ks, 2, "again");
  EXPECT_TRUE(keyspace_has(ks, 2, "again"));
}

TEST(Keyspace, ScanCoversEveryShardAndSkipsExpired) {
  Keyspace ks(1, 4);
  std::set<std::string> live;
  for (int i = 0; i < 2000; ++i) {
    put_key(ks, 0, key_name(i));
    live.insert(key_name(i));
  }
  for (int i = 0; i < 100; ++i) put_key(ks, 0, "gone:" + std::to_string(i), kNow - 1);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = ks.scan(0, cursor, 10, kNow, [&](const Entry* e) { seen.emplace(e->key()); });
    ++calls;
  } while (cursor != 0);
  EXPECT_EQ(seen, live);
  EXPECT_GT(calls, 100) << "COUNT 10 should take many calls";
}

TEST(Keyspace, ScanGuaranteeAcrossShardsUnderChurn) {
  Keyspace ks(1, 3);
  const int stable = 3000;
  for (int i = 0; i < stable; ++i) put_key(ks, 0, key_name(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0, removed = 0;
  do {
    cursor = ks.scan(0, cursor, 10, kNow, [&](const Entry* e) { seen.emplace(e->key()); });
    // Grow first, then shrink, so tables resize in both directions mid-iteration.
    if (added < 20000) {
      for (int j = 0; j < 200; ++j) put_key(ks, 0, "churn:" + std::to_string(added++));
    } else {
      for (int j = 0; j < 400 && removed < added; ++j) {
        std::string k = "churn:" + std::to_string(removed++);
        KeyHandle h(ks, 0, k, kNow, false);
        h.erase();
      }
    }
  } while (cursor != 0);
  EXPECT_GT(added, 0);
  for (int i = 0; i < stable; ++i) EXPECT_TRUE(seen.count(key_name(i))) << key_name(i);
}

TEST(Keyspace, RandomKeyReturnsLiveKeys) {
  Keyspace ks(1, 2);
  std::string out;
  EXPECT_FALSE(ks.random_key(0, kNow, out));
  for (int i = 0; i < 20; ++i) put_key(ks, 0, key_name(i));
  std::set<std::string> picked;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(ks.random_key(0, kNow, out));
    picked.insert(out);
  }
  EXPECT_EQ(picked.size(), 20u);
}

TEST(Keyspace, ActiveExpireCycleRemovesExpiredKeys) {
  Keyspace ks(2, 2);
  CountingObserver obs;
  ks.set_observer(&obs);
  for (int i = 0; i < 1000; ++i) put_key(ks, 0, "dead:" + std::to_string(i), kNow - 10);
  for (int i = 0; i < 300; ++i) put_key(ks, 1, "dead1:" + std::to_string(i), kNow);
  for (int i = 0; i < 500; ++i) put_key(ks, 0, "later:" + std::to_string(i), kNow + 60000);
  for (int i = 0; i < 500; ++i) put_key(ks, 0, "plain:" + std::to_string(i));
  size_t deleted = 0;
  for (int round = 0; round < 10000 && deleted < 1300; ++round) {
    deleted += ks.active_expire_cycle(kNow, {20, 10, 1'000'000}).expired;
  }
  EXPECT_EQ(deleted, 1300u);
  EXPECT_EQ(obs.expired.size(), 1300u);
  EXPECT_EQ(ks.db_size(0), 1000u);
  EXPECT_EQ(ks.db_size(1), 0u);
  EXPECT_EQ(ks.volatile_count(0), 500u);
  EXPECT_TRUE(keyspace_has(ks, 0, "later:1"));
  EXPECT_TRUE(keyspace_has(ks, 0, "plain:1"));
  // Nothing left to expire at this time.
  EXPECT_EQ(ks.active_expire_cycle(kNow, {20, 10, 1'000'000}).expired, 0u);
}

TEST(Keyspace, DatasetBytesFollowTheTables) {
  Keyspace ks(2, 2);
  EXPECT_EQ(ks.dataset_bytes(), 0);
  for (int i = 0; i < 1000; ++i) put_key(ks, i % 2, "k:" + std::to_string(i));
  int64_t sum = 0;
  for (size_t i = 0; i < ks.shard_count(); ++i) {
    for (auto& t : ks.shard(i).dbs) sum += static_cast<int64_t>(t.memory());
  }
  EXPECT_EQ(ks.dataset_bytes(), sum);
  EXPECT_GT(sum, 1000 * 16);
  ks.swap_db(0, 1);
  EXPECT_EQ(ks.dataset_bytes(), sum);
  ks.flush_db(0);
  EXPECT_LT(ks.dataset_bytes(), sum);
  ks.flush_all();
  EXPECT_EQ(ks.dataset_bytes(), 0);
}

TEST(Glob, WildcardsAndLiterals) {
  // As in Redis, a pattern never matches an empty string (KEYS and SCAN special-case "*").
  EXPECT_FALSE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
  EXPECT_TRUE(glob_match("hello", "hello"));
  EXPECT_FALSE(glob_match("hello", "hell"));
  EXPECT_TRUE(glob_match("h?llo", "hallo"));
  EXPECT_FALSE(glob_match("h?llo", "hllo"));
  EXPECT_TRUE(glob_match("h*llo", "hllo"));
  EXPECT_TRUE(glob_match("h*llo", "heeeeello"));
  EXPECT_FALSE(glob_match("a*", "ba"));
  EXPECT_TRUE(glob_match("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(glob_match("*a*b*", "xxbxxaxx"));
  EXPECT_TRUE(glob_match("user:*:name", "user:42:name"));
  EXPECT_FALSE(glob_match("user:*:name", "user:42:age"));
  EXPECT_TRUE(glob_match("a**b", "ab"));
}

TEST(Glob, Classes) {
  EXPECT_TRUE(glob_match("h[ae]llo", "hello"));
  EXPECT_TRUE(glob_match("h[ae]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[ae]llo", "hillo"));
  EXPECT_TRUE(glob_match("h[^e]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
  EXPECT_TRUE(glob_match("h[a-c]llo", "hbllo"));
  EXPECT_FALSE(glob_match("h[a-c]llo", "hdllo"));
  EXPECT_TRUE(glob_match("[b-a]", "a")) << "reversed ranges are swapped";
  EXPECT_TRUE(glob_match("[b-a]", "b"));
  EXPECT_FALSE(glob_match("[^a-b]", "a"));
  EXPECT_TRUE(glob_match("[^a-b]", "c"));
  // "a-]" is a range from 'a' down to ']' and leaves the class unterminated.
  EXPECT_TRUE(glob_match("[a-]", "^"));
  EXPECT_TRUE(glob_match("[-a]", "-"));
  // An unterminated class still matches one character.
  EXPECT_TRUE(glob_match("[abc", "b"));
  EXPECT_FALSE(glob_match("[abc", "bc"));
  EXPECT_FALSE(glob_match("[]", "]"));
  EXPECT_FALSE(glob_match("a[", "a"));
}

TEST(Glob, Escapes) {
  EXPECT_TRUE(glob_match("h\\*llo", "h*llo"));
  EXPECT_FALSE(glob_match("h\\*llo", "hello"));
  EXPECT_TRUE(glob_match("h\\?llo", "h?llo"));
  EXPECT_FALSE(glob_match("h\\?llo", "hallo"));
  EXPECT_TRUE(glob_match("[\\]]", "]"));
  EXPECT_TRUE(glob_match("\\a", "a"));
  EXPECT_TRUE(glob_match("a\\", "a\\")) << "a trailing backslash matches itself";
  EXPECT_TRUE(glob_match("\\[x\\]", "[x]"));
}

TEST(Glob, NoCase) {
  EXPECT_FALSE(glob_match("HELLO", "hello"));
  EXPECT_TRUE(glob_match("HELLO", "hello", true));
  EXPECT_TRUE(glob_match("h[A-C]llo", "hbllo", true));
  EXPECT_TRUE(glob_match("H?LLO", "hello", true));
}
