// Key versions for active replication: the order of versions, the clock, the version slot
// of entries (kept across expiry changes), tombstones left by deletes and expiry, DUMP
// payloads, and versions and tombstones through an RDB round trip and a merge.
#include <gtest/gtest.h>

#include <string>

#include "storage/clock.h"
#include "storage/entry.h"
#include "storage/hash_value.h"
#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"
#include "storage/version.h"

namespace st = terndb::storage;
namespace rdb = terndb::storage::rdb;

namespace {

// Turns versioned entries on for one test and off again after it.
class Versioned : public ::testing::Test {
 protected:
  void SetUp() override {
    st::set_local_origin(st::intern_origin("11111111-1111-4111-8111-111111111111"));
    st::set_versioned_entries(true);
  }
  void TearDown() override { st::set_versioned_entries(false); }
};

st::Version version_of(st::Keyspace& ks, const std::string& key, int db = 0) {
  st::KeyHandle h(ks, db, key, st::now_ms(), false);
  st::Entry* e = h.get();
  return e ? e->version() : st::Version{};
}

const st::Tombstone* tombstone_of(st::Keyspace& ks, const std::string& key, int db = 0) {
  st::Shard& s = ks.shard(ks.shard_of(st::hash_key(key)));
  auto& m = s.tombstones[static_cast<size_t>(db)];
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

TEST(VersionOrder, MvccFirstThenOriginUuid) {
  uint32_t a = st::intern_origin("aaaaaaaa-0000-4000-8000-000000000000");
  uint32_t b = st::intern_origin("bbbbbbbb-0000-4000-8000-000000000000");
  EXPECT_EQ(st::intern_origin("aaaaaaaa-0000-4000-8000-000000000000"), a);
  EXPECT_EQ(st::origin_uuid(b), "bbbbbbbb-0000-4000-8000-000000000000");
  EXPECT_TRUE(st::version_less({5, b}, {6, a}));
  EXPECT_FALSE(st::version_less({6, a}, {5, b}));
  EXPECT_TRUE(st::version_less({6, a}, {6, b}));  // tie on mvcc: the larger uuid wins
  EXPECT_FALSE(st::version_less({6, b}, {6, a}));
  EXPECT_FALSE(st::version_less({6, a}, {6, a}));
  EXPECT_TRUE(st::version_less({}, {1, a}));
}

TEST(HybridClock, RisesAboveWallClockAndEverythingSeen) {
  uint64_t wall = st::hlc_mvcc_of_ms(st::now_ms());
  uint64_t a = st::hlc_next();
  EXPECT_GE(a, wall);
  uint64_t b = st::hlc_next();
  EXPECT_GT(b, a);
  uint64_t far = st::hlc_mvcc_of_ms(st::now_ms() + 3'600'000);  // a peer an hour ahead
  st::hlc_observe(far);
  EXPECT_GT(st::hlc_next(), far);
  st::hlc_observe(1);  // an old stamp changes nothing
  EXPECT_GT(st::hlc_next(), far);
}

TEST_F(Versioned, EntriesCarryAVersionSlotKeptAcrossExpiryChanges) {
  st::Entry* e = st::make_string_entry("k", "value", -1);
  ASSERT_TRUE(e->has_version);
  EXPECT_TRUE(e->version().empty());
  e->set_version({42, 7});
  EXPECT_EQ(e->key(), "k");
  char scratch[24];
  EXPECT_EQ(e->string_value(scratch), "value");
  e = st::with_expire(e, 123456);
  EXPECT_EQ(e->expire_at(), 123456);
  EXPECT_EQ(e->version(), (st::Version{42, 7}));
  EXPECT_EQ(e->key(), "k");
  EXPECT_EQ(e->string_value(scratch), "value");
  e = st::with_expire(e, -1);
  EXPECT_EQ(e->version(), (st::Version{42, 7}));
  st::free_entry(e);

  st::set_versioned_entries(false);
  st::Entry* plain = st::make_int_entry("n", 5, -1);
  EXPECT_FALSE(plain->has_version);
  EXPECT_EQ(plain->int_value(), 5);
  st::free_entry(plain);
}

TEST_F(Versioned, WritesStampFreshVersionsAndDeletesLeaveTombstones) {
  st::Keyspace ks(1, 2);
  {
    st::KeyHandle h(ks, 0, "k", st::now_ms(), false);
    h.put(st::make_string_entry("k", "v1", -1));
  }
  st::Version v1 = version_of(ks, "k");
  EXPECT_EQ(v1.origin, st::local_origin());
  EXPECT_GT(v1.mvcc, 0u);
  {
    st::KeyHandle h(ks, 0, "k", st::now_ms(), false);
    h.put(st::make_string_entry("k", "v2", -1));
  }
  st::Version v2 = version_of(ks, "k");
  EXPECT_TRUE(st::version_less(v1, v2));
  {
    st::KeyHandle h(ks, 0, "k", st::now_ms(), false);
    EXPECT_TRUE(h.erase());
  }
  const st::Tombstone* t = tombstone_of(ks, "k");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(st::version_less(v2, t->version));
  // Writing the key again clears its tombstone.
  {
    st::KeyHandle h(ks, 0, "k", st::now_ms(), false);
    h.put(st::make_string_entry("k", "v3", -1));
  }
  EXPECT_EQ(tombstone_of(ks, "k"), nullptr);
  // A peer's version is kept as it is.
  st::Version peer{st::hlc_next() + 1000, st::intern_origin("22222222-2222-4222-8222-222222222222")};
  {
    const st::Version* saved = st::version_override();
    st::version_override() = &peer;
    {
      st::KeyHandle h(ks, 0, "p", st::now_ms(), false);
      h.put(st::make_string_entry("p", "from-peer", -1));
    }
    st::version_override() = saved;
  }
  EXPECT_EQ(version_of(ks, "p"), peer);
}

TEST_F(Versioned, ExpiryLeavesTheKeysOwnVersion) {
  st::Keyspace ks(1, 0);
  int64_t now = st::now_ms();
  {
    st::KeyHandle h(ks, 0, "e", now, false);
    h.put(st::make_string_entry("e", "v", now + 10));
  }
  st::Version v = version_of(ks, "e");
  {
    st::KeyHandle h(ks, 0, "e", now + 20, false);
    EXPECT_EQ(h.get(), nullptr);  // lazily expired
  }
  const st::Tombstone* t = tombstone_of(ks, "e");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->version, v);
  EXPECT_EQ(ks.purge_tombstones(st::now_ms() + 1), 1u);
  EXPECT_EQ(tombstone_of(ks, "e"), nullptr);
}

TEST_F(Versioned, DumpPayloadRoundTrips) {
  auto* h = new st::HashValue();
  h->set("field", "value");
  h->set("n", "12");
  st::Entry* e = st::make_object_entry("h", st::ValueType::kHash, h, -1);
  std::string payload = rdb::dump_value(*e);
  std::string why;
  st::Entry* back = rdb::restore_value(payload, "h", 99, &why);
  ASSERT_NE(back, nullptr) << why;
  EXPECT_EQ(back->value_type(), st::ValueType::kHash);
  EXPECT_EQ(back->expire_at(), 99);
  auto* hv = static_cast<st::HashValue*>(back->object());
  EXPECT_EQ(hv->size(), 2u);
  st::free_entry(back);
  // A flipped bit fails the checksum.
  payload[1] ^= 1;
  EXPECT_EQ(rdb::restore_value(payload, "h", -1, &why), nullptr);
  EXPECT_EQ(why, "DUMP payload version or checksum are wrong");
  st::free_entry(e);
}

TEST_F(Versioned, RdbCarriesVersionsAndTombstones) {
  st::Keyspace ks(2, 2);
  uint32_t other = st::intern_origin("33333333-3333-4333-8333-333333333333");
  st::Version peer{st::hlc_next(), other};
  {
    st::KeyHandle h(ks, 0, "mine", st::now_ms(), false);
    h.put(st::make_string_entry("mine", "a", -1));
  }
  {
    const st::Version* saved = st::version_override();
    st::version_override() = &peer;
    {
      st::KeyHandle h(ks, 1, "theirs", st::now_ms(), false);
      h.put(st::make_string_entry("theirs", "b", -1));
    }
    {
      st::KeyHandle h(ks, 1, "gone key", st::now_ms(), false);
      h.put(st::make_string_entry("gone key", "c", -1));
    }
    st::version_override() = saved;
  }
  {
    st::KeyHandle h(ks, 1, "gone key", st::now_ms(), false);
    h.erase();
  }
  st::Version mine = version_of(ks, "mine");
  st::Version gone = tombstone_of(ks, "gone key", 1)->version;

  rdb::StringSink sink;
  rdb::WriteOptions wo;
  wo.versions = true;
  std::string err;
  ASSERT_TRUE(rdb::write_rdb(ks, sink, wo, &err)) << err;

  st::Keyspace back(2, 2);
  rdb::MemorySource src(sink.str());
  rdb::LoadOptions lo;
  lo.now_ms = st::now_ms();
  auto res = rdb::load_rdb(src, back, lo);
  ASSERT_TRUE(res.ok) << res.reason;
  EXPECT_EQ(version_of(back, "mine"), mine);
  EXPECT_EQ(version_of(back, "theirs", 1), peer);
  ASSERT_NE(tombstone_of(back, "gone key", 1), nullptr);
  EXPECT_EQ(tombstone_of(back, "gone key", 1)->version, gone);

  // A merge sees each key and tombstone with its version instead.
  size_t keys = 0, tombs = 0;
  rdb::MemorySource src2(sink.str());
  rdb::LoadOptions merge;
  merge.take_key = [&](int, std::string key, st::Entry* e, const st::Version& v) {
    ++keys;
    if (key == "theirs") {
      EXPECT_EQ(v, peer);
    }
    st::free_entry(e);
  };
  merge.on_tombstone = [&](int db, std::string key, const st::Version& v) {
    ++tombs;
    EXPECT_EQ(db, 1);
    EXPECT_EQ(key, "gone key");
    EXPECT_EQ(v, gone);
  };
  st::Keyspace untouched(2, 2);
  ASSERT_TRUE(rdb::load_rdb(src2, untouched, merge).ok);
  EXPECT_EQ(keys, 2u);
  EXPECT_EQ(tombs, 1u);
  EXPECT_EQ(untouched.db_size(0) + untouched.db_size(1), 0u);
}
