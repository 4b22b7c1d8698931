// Forkless snapshots: whatever clients do while the walk runs (overwrite, delete, create,
// edit in place, change expiries, FLUSHDB, SWAPDB), the file holds the keyspace exactly as
// it was at the snapshot point; a stopped snapshot leaves no mark behind.
#include "storage/forkless_snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "storage/digest.h"
#include "storage/hash_value.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"

namespace st = terndb::storage;
namespace rdb = terndb::storage::rdb;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int kKeys = 20000;  // 5000 a table with 4 shards: several walk chunks each

void register_digests() {
  static bool done = [] {
    st::register_hash_digest();
    return true;
  }();
  (void)done;
}

void put_string(st::Keyspace& ks, int db, const std::string& key, const std::string& value,
                int64_t expire_at = -1) {
  st::KeyHandle h(ks, db, key, kNow, false);
  h.put(st::make_string_entry(key, value, expire_at));
}

void hset(st::Keyspace& ks, int db, const std::string& key, const std::string& field,
          const std::string& value) {
  st::KeyHandle h(ks, db, key, kNow, false);
  if (!h.get()) {
    h.put(st::make_object_entry(key, st::ValueType::kHash, new st::HashValue(), -1));
  }
  h.modify_object(
      [&](st::CompositeValue* v) { static_cast<st::HashValue*>(v)->set(field, value); });
}

// Strings in db 0 (every tenth with an expiry far ahead), hashes in db 1.
void fill(st::Keyspace& ks) {
  for (int i = 0; i < kKeys; ++i) {
    std::string k = "key:" + std::to_string(i);
    put_string(ks, 0, k, "value-" + std::to_string(i), i % 10 == 0 ? kNow + 3'600'000 : -1);
  }
  for (int i = 0; i < 500; ++i) {
    for (int f = 0; f < 5; ++f) {
      hset(ks, 1, "h:" + std::to_string(i), "f" + std::to_string(f), std::to_string(i * f));
    }
  }
}

std::string digest(st::Keyspace& ks) { return st::dataset_digest_hex(ks, kNow); }

std::unique_ptr<st::ForklessSnapshot> start(st::Keyspace& ks) {
  ks.lock_all();
  auto snap = std::make_unique<st::ForklessSnapshot>(ks, rdb::WriteOptions{});
  ks.unlock_all();
  return snap;
}

// Loads an RDB into a fresh keyspace and returns its digest.
std::string loaded_digest(const std::string& data, size_t* keys = nullptr) {
  st::Keyspace ks(16, 2);
  rdb::MemorySource src(data);
  rdb::LoadOptions opt;
  opt.now_ms = kNow;
  rdb::LoadResult r = rdb::load_rdb(src, ks, opt);
  EXPECT_TRUE(r.ok) << r.reason << " at " << r.offset;
  if (keys) *keys = r.keys_loaded;
  return digest(ks);
}

// One random change: overwrite, delete, create, append in place, expire, edit a hash.
void random_change(st::Keyspace& ks, std::mt19937& rng) {
  const int i = static_cast<int>(rng() % (kKeys + kKeys / 4));
  const std::string k = "key:" + std::to_string(i);
  switch (rng() % 6) {
    case 0:
      put_string(ks, 0, k, "new-" + std::to_string(rng()));
      break;
    case 1: {
      st::KeyHandle h(ks, 0, k, kNow, false);
      h.erase();
      break;
    }
    case 2: {  // grow the value: detach, reallocate, attach
      st::KeyHandle h(ks, 0, k, kNow, false);
      st::Entry* e = h.get();
      if (!e || e->value_encoding() == st::Encoding::kObject) break;
      std::string v = e->string_copy();
      h.put(st::make_string_entry(k, v + "+", e->expire_at()));
      break;
    }
    case 3: {
      st::KeyHandle h(ks, 0, k, kNow, false);
      h.set_expire(rng() % 2 ? kNow + 1'000'000 : -1);
      break;
    }
    case 4:
      hset(ks, 1, "h:" + std::to_string(rng() % 600), "f" + std::to_string(rng() % 8), "x");
      break;
    case 5: {
      const std::string hk = "h:" + std::to_string(rng() % 600);  // the handle keeps a view
      st::KeyHandle h(ks, 1, hk, kNow, false);
      h.erase();
      break;
    }
  }
}

// Writes `snap` while another thread makes random changes (from `seed`) until it is done;
// returns the file (empty, with a test failure, when the write failed).
std::string write_under_writes(st::Keyspace& ks, st::ForklessSnapshot& snap, unsigned seed,
                               const st::ForklessSnapshot::StepRunner& run = {}) {
  std::atomic<bool> walking{true};
  std::thread writer([&] {
    std::mt19937 rng(seed);
    while (walking.load()) random_change(ks, rng);
  });
  rdb::StringSink out;
  std::string err;
  const bool ok = snap.write(out, &err, run);
  walking.store(false);
  writer.join();
  EXPECT_TRUE(ok) << err;
  return ok ? std::move(out.str()) : std::string();
}

// A filled keyspace and a snapshot of it just started.
class ForklessSnapshotUnderWrites : public ::testing::Test {
 protected:
  void SetUp() override {
    register_digests();
    fill(ks);
    at_start = digest(ks);
    snap = start(ks);
  }
  st::Keyspace ks{16, 2};
  std::string at_start;
  std::unique_ptr<st::ForklessSnapshot> snap;
};

TEST_F(ForklessSnapshotUnderWrites, HoldsThePointInTimeWhileClientsWrite) {
  // Changes before the walk starts, then more while it runs.
  std::mt19937 rng(7);
  for (int n = 0; n < 5000; ++n) random_change(ks, rng);
  const std::string file = write_under_writes(ks, *snap, 11);
  ASSERT_FALSE(file.empty());

  size_t keys = 0;
  EXPECT_EQ(loaded_digest(file, &keys), at_start);
  EXPECT_EQ(keys, static_cast<size_t>(kKeys + 500));
  EXPECT_EQ(snap->keys_written(), snap->keys_total());
  EXPECT_NE(digest(ks), at_start);  // the clients' changes are in the keyspace

  // Every table is detached and unmarked: a second snapshot holds the current data.
  const std::string now = digest(ks);
  auto again = start(ks);
  rdb::StringSink out2;
  std::string err;
  ASSERT_TRUE(again->write(out2, &err)) << err;
  EXPECT_EQ(loaded_digest(out2.str()), now);
}

// The server runs the walk's steps on its io threads while the save thread writes the
// file: steps on other threads (one each, in turn) give the same point in time.
TEST_F(ForklessSnapshotUnderWrites, StepsRunOnOtherThreads) {
  std::set<std::thread::id> ran_on;
  size_t steps = 0;
  auto run = [&](const std::function<void()>& step) {
    std::thread t([&] {
      step();
      ran_on.insert(std::this_thread::get_id());
    });
    t.join();
    ++steps;
  };
  const std::string file = write_under_writes(ks, *snap, 13, run);
  ASSERT_FALSE(file.empty());
  EXPECT_GT(steps, 1u);
  EXPECT_FALSE(ran_on.count(std::this_thread::get_id()));
  size_t keys = 0;
  EXPECT_EQ(loaded_digest(file, &keys), at_start);
  EXPECT_EQ(keys, static_cast<size_t>(kKeys + 500));
  EXPECT_EQ(snap->keys_written(), snap->keys_total());
}

TEST(ForklessSnapshot, FlushAndSwapDbDuringTheWalk) {
  register_digests();
  st::Keyspace ks(16, 2);
  fill(ks);
  const std::string at_start = digest(ks);
  auto snap = start(ks);
  put_string(ks, 0, "key:1", "changed");
  ks.swap_db(0, 1);  // the snapshot follows its contents into db 1's tables
  put_string(ks, 1, "key:2", "changed too");
  ks.flush_db(1);  // ... and takes them over when they are flushed
  put_string(ks, 1, "after-flush", "x");
  ks.flush_all();
  put_string(ks, 0, "after-flushall", "y");

  rdb::StringSink out;
  std::string err;
  ASSERT_TRUE(snap->write(out, &err)) << err;
  EXPECT_EQ(loaded_digest(out.str()), at_start);
  EXPECT_EQ(ks.db_size(0), 1u);
  EXPECT_EQ(ks.db_size(1), 0u);
}

TEST(ForklessSnapshot, CancelledSnapshotLeavesNoMarks) {
  register_digests();
  st::Keyspace ks(16, 2);
  fill(ks);
  auto snap = start(ks);
  std::mt19937 rng(3);
  for (int n = 0; n < 20000; ++n) random_change(ks, rng);  // marks many entries
  ks.lock_all();
  snap->cancel_locked();
  ks.unlock_all();
  rdb::StringSink out;
  std::string err;
  EXPECT_FALSE(snap->write(out, &err));

  const std::string now = digest(ks);
  auto again = start(ks);
  rdb::StringSink out2;
  ASSERT_TRUE(again->write(out2, &err)) << err;
  size_t keys = 0;
  EXPECT_EQ(loaded_digest(out2.str(), &keys), now);
  EXPECT_EQ(keys, ks.db_size(0) + ks.db_size(1));
}

TEST(ForklessSnapshot, AnUnwrittenSnapshotDetachesItsTablesWhenDestroyed) {
  // A save whose file cannot even be opened never walks: its tables must not keep
  // pointing at it.
  register_digests();
  st::Keyspace ks(16, 2);
  fill(ks);
  {
    auto snap = start(ks);
    std::mt19937 rng(5);
    for (int n = 0; n < 2000; ++n) random_change(ks, rng);
  }
  for (size_t s = 0; s < ks.shard_count(); ++s) {
    for (int db = 0; db < 2; ++db) EXPECT_EQ(ks.shard(s).dbs[db].snapshot(), nullptr);
  }
  const std::string now = digest(ks);
  auto again = start(ks);
  rdb::StringSink out;
  std::string err;
  ASSERT_TRUE(again->write(out, &err)) << err;
  EXPECT_EQ(loaded_digest(out.str()), now);
}

TEST(ForklessSnapshot, TableGrowsAgainAfterTheWalk) {
  st::Keyspace ks(1, 0);
  for (int i = 0; i < 1000; ++i) put_string(ks, 0, "a" + std::to_string(i), "v");
  st::Table& t = ks.shard(0).dbs[0];
  const size_t frozen = t.bucket_count();
  auto snap = start(ks);
  for (int i = 0; i < 5000; ++i) put_string(ks, 0, "b" + std::to_string(i), "v");
  EXPECT_EQ(t.bucket_count(), frozen);  // the array keeps its size while attached
  rdb::StringSink out;
  std::string err;
  ASSERT_TRUE(snap->write(out, &err)) << err;
  EXPECT_EQ(t.snapshot(), nullptr);
  EXPECT_GT(t.bucket_count() * 2, t.size());  // below two keys a bucket again
}

}  // namespace
