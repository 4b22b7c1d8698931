// RDB writer and loader together: every type in every encoding survives a round trip
// (same DEBUG DIGEST, same encodings, same expiries); old encodings written by hand load;
// truncated, bit-flipped and wrongly checksummed files are refused with an offset.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/crc64.h"
#include "storage/digest.h"
#include "storage/encoding_limits.h"
#include "storage/hash_value.h"
#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/list_value.h"
#include "storage/rdb_blobs.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace st = terndb::storage;
namespace rdb = terndb::storage::rdb;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

void register_digests() {
  static bool done = [] {
    st::register_hash_digest();
    st::register_set_digest();
    st::register_list_digest();
    st::register_zset_digest();
    return true;
  }();
  (void)done;
}

void put(st::Keyspace& ks, int db, const std::string& key, st::Entry* e) {
  st::KeyHandle h(ks, db, key, kNow, false);
  h.put(e);
}

std::string obj_encoding(st::Keyspace& ks, int db, const std::string& key) {
  st::KeyHandle h(ks, db, key, kNow, false);
  st::Entry* e = h.get();
  if (!e) return "<absent>";
  if (e->value_encoding() != st::Encoding::kObject) return std::to_string(e->encoding);
  return e->object()->encoding_name();
}

int64_t expiry(st::Keyspace& ks, int db, const std::string& key) {
  st::KeyHandle h(ks, db, key, kNow, false);
  st::Entry* e = h.get();
  return e ? e->expire_at() : -2;
}

// One key of every type in every encoding, some with expiries, in two databases.
void fill(st::Keyspace& ks) {
  put(ks, 0, "int", st::make_string_entry("int", "12345", -1));
  put(ks, 0, "bigint", st::make_string_entry("bigint", "-9223372036854775808", -1));
  put(ks, 0, "emb", st::make_string_entry("emb", "hello", kNow + 5000));
  put(ks, 0, "raw", st::make_string_entry("raw", std::string(300, 'r') + "end", -1));
  std::string noisy;
  for (int i = 0; i < 200; ++i) noisy += static_cast<char>((i * 7919) % 251);
  put(ks, 0, "noisy", st::make_string_entry("noisy", noisy, -1));
  put(ks, 0, "empty", st::make_string_entry("empty", "", -1));

  auto* small_list = new st::ListValue();
  for (int i = 0; i < 10; ++i) small_list->push(st::ListEnd::kTail, "e" + std::to_string(i));
  small_list->push(st::ListEnd::kTail, "42");
  put(ks, 0, "list", st::make_object_entry("list", st::ValueType::kList, small_list, -1));
  auto* big_list = new st::ListValue();
  for (int i = 0; i < 5000; ++i) big_list->push(st::ListEnd::kHead, std::to_string(i * 13));
  big_list->push(st::ListEnd::kTail, std::string(20000, 'L'));
  put(ks, 1, "biglist",
      st::make_object_entry("biglist", st::ValueType::kList, big_list, kNow + 60000));

  auto* ints = st::SetValue::create_intset();
  for (int v : {5, -3, 70000, 1}) ints->add(std::to_string(v));
  ints->add("5000000000");
  put(ks, 0, "intset", st::make_object_entry("intset", st::ValueType::kSet, ints, -1));
  auto* strs = st::SetValue::create_for("a");
  for (int i = 0; i < 100; ++i) strs->add("m" + std::to_string(i));
  put(ks, 0, "set", st::make_object_entry("set", st::ValueType::kSet, strs, -1));
  auto* many_ints = st::SetValue::create_intset();
  for (int i = 0; i < 600; ++i) many_ints->add(std::to_string(i));
  put(ks, 0, "bigintset", st::make_object_entry("bigintset", st::ValueType::kSet, many_ints, -1));

  auto* hlp = new st::HashValue();
  hlp->set("f1", "v1");
  hlp->set("n", "-77");
  hlp->set("", "empty field");
  put(ks, 0, "hash", st::make_object_entry("hash", st::ValueType::kHash, hlp, -1));
  auto* hht = new st::HashValue();
  for (int i = 0; i < 600; ++i) hht->set("field" + std::to_string(i), std::to_string(i));
  put(ks, 1, "bighash", st::make_object_entry("bighash", st::ValueType::kHash, hht, -1));
  auto* hlong = new st::HashValue();
  hlong->set("long", std::string(100, 'v'));
  put(ks, 0, "longhash", st::make_object_entry("longhash", st::ValueType::kHash, hlong, -1));

  double score;
  auto* zlp = new st::ZSetValue();
  zlp->add("a", 1.5, 0, &score);
  zlp->add("b", -2, 0, &score);
  zlp->add("c", 1e17, 0, &score);
  zlp->add("inf", INFINITY, 0, &score);
  zlp->add("ninf", -INFINITY, 0, &score);
  zlp->add("third", 1.0 / 3, 0, &score);
  put(ks, 0, "zset", st::make_object_entry("zset", st::ValueType::kZSet, zlp, kNow + 1));
  auto* zsl = new st::ZSetValue();
  for (int i = 0; i < 300; ++i) zsl->add("m" + std::to_string(i), i * 0.25, 0, &score);
  put(ks, 0, "bigzset", st::make_object_entry("bigzset", st::ValueType::kZSet, zsl, -1));
}

std::string save(st::Keyspace& ks, rdb::WriteOptions opt = {}) {
  rdb::StringSink sink;
  std::string err;
  EXPECT_TRUE(rdb::write_rdb(ks, sink, opt, &err)) << err;
  return sink.str();
}

rdb::LoadResult load(const std::string& data, st::Keyspace& ks, bool drop_expired = true) {
  rdb::MemorySource src(data);
  rdb::LoadOptions opt;
  opt.now_ms = kNow;
  opt.drop_expired = drop_expired;
  return rdb::load_rdb(src, ks, opt);
}

TEST(RdbRoundTrip, EveryTypeAndEncoding) {
  register_digests();
  st::Keyspace a(16, 2);
  fill(a);
  for (bool compress : {true, false}) {
    rdb::WriteOptions wo;
    wo.compress = compress;
    wo.aux = rdb::standard_aux("7.0.15", 12345);
    std::string file = save(a, wo);
    ASSERT_EQ(file.substr(0, 9), "REDIS0010");
    st::Keyspace b(16, 3);  // a different shard layout on purpose
    rdb::LoadResult r = load(file, b);
    ASSERT_TRUE(r.ok) << r.offset << ": " << r.reason;
    EXPECT_EQ(r.keys_loaded, 16u);
    EXPECT_EQ(r.aux.front().first, "redis-ver");
    EXPECT_EQ(r.aux.front().second, "7.0.15");
    EXPECT_EQ(st::dataset_digest_hex(a, kNow), st::dataset_digest_hex(b, kNow));
    for (const char* k : {"list", "intset", "set", "bigintset", "hash", "longhash", "zset",
                          "bigzset", "int", "emb", "raw"}) {
      EXPECT_EQ(obj_encoding(a, 0, k), obj_encoding(b, 0, k)) << k;
    }
    EXPECT_EQ(obj_encoding(b, 1, "bighash"), "hashtable");
    EXPECT_EQ(expiry(b, 0, "emb"), kNow + 5000);
    EXPECT_EQ(expiry(b, 1, "biglist"), kNow + 60000);
    EXPECT_EQ(expiry(b, 0, "raw"), -1);
  }
  // Compression makes the repetitive values smaller.
  rdb::WriteOptions plain;
  plain.compress = false;
  EXPECT_LT(save(a).size(), save(a, plain).size());
}

TEST(RdbRoundTrip, ExpiredKeysDroppedOnlyWhenAsked) {
  register_digests();
  st::Keyspace a(16, 1);
  put(a, 0, "old", st::make_string_entry("old", "x", kNow - 1));
  put(a, 0, "live", st::make_string_entry("live", "y", kNow + 100000));
  std::string file = save(a);
  st::Keyspace master(16, 1), replica(16, 1);
  rdb::LoadResult r = load(file, master, true);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.keys_loaded, 1u);
  EXPECT_EQ(r.keys_expired, 1u);
  r = load(file, replica, false);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.keys_loaded, 2u);
}

TEST(RdbRoundTrip, MvccTimestampsTravelAsKeyDbAux) {
  st::Keyspace a(16, 1);
  put(a, 0, "k1", st::make_string_entry("k1", "x", -1));
  put(a, 3, "k2", st::make_string_entry("k2", "y", -1));
  rdb::WriteOptions wo;
  wo.key_mvcc = [](int db, const st::Entry& e) {
    return static_cast<uint64_t>(db) * 1000 + e.key().size() + (uint64_t(1) << 40);
  };
  std::string file = save(a, wo);
  EXPECT_NE(file.find("mvcc-tstamp"), std::string::npos);
  st::Keyspace b(16, 1);
  rdb::MemorySource src(file);
  rdb::LoadOptions lo;
  lo.now_ms = kNow;
  std::vector<std::tuple<int, std::string, uint64_t>> seen;
  lo.on_key_mvcc = [&](int db, std::string_view key, uint64_t ts) {
    seen.emplace_back(db, std::string(key), ts);
  };
  rdb::LoadResult r = rdb::load_rdb(src, b, lo);
  ASSERT_TRUE(r.ok) << r.reason;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_tuple(0, std::string("k1"), (uint64_t(1) << 40) + 2));
  EXPECT_EQ(seen[1], std::make_tuple(3, std::string("k2"), (uint64_t(1) << 40) + 3002));
  for (const auto& [k, v] : r.aux) EXPECT_NE(k, "mvcc-tstamp");
}

TEST(RdbCorrupt, EveryTruncationIsRefused) {
  st::Keyspace a(16, 2);
  fill(a);
  std::string file = save(a);
  for (size_t cut = 0; cut < file.size(); cut += (cut < 200 ? 1 : 211)) {
    st::Keyspace b(16, 1);
    rdb::LoadResult r = load(file.substr(0, cut), b);
    ASSERT_FALSE(r.ok) << "cut at " << cut;
    EXPECT_LE(r.offset, cut);
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST(RdbCorrupt, EveryFlippedByteIsRefused) {
  st::Keyspace a(16, 1);
  put(a, 0, "s", st::make_string_entry("s", std::string(100, 'q') + "tail", -1));
  auto* h = new st::HashValue();
  h->set("f", "v");
  put(a, 0, "h", st::make_object_entry("h", st::ValueType::kHash, h, kNow + 9999));
  std::string file = save(a);
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    st::Keyspace b(16, 1);
    rdb::LoadResult r = load(bad, b);
    EXPECT_FALSE(r.ok) << "flip at " << i;
  }
}

TEST(RdbCorrupt, WrongChecksumNamesTheTrailerOffset) {
  st::Keyspace a(16, 1);
  put(a, 0, "k", st::make_string_entry("k", "v", -1));
  std::string file = save(a);
  file[file.size() - 3] ^= 1;
  st::Keyspace b(16, 1);
  rdb::LoadResult r = load(file, b);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.offset, file.size() - 8);
  EXPECT_NE(r.reason.find("checksum"), std::string::npos);
  // A zero checksum (rdbchecksum no) is not verified.
  rdb::WriteOptions wo;
  wo.checksum = false;
  std::string unchecked = save(a, wo);
  EXPECT_EQ(unchecked.substr(unchecked.size() - 8), std::string(8, '\0'));
  st::Keyspace c(16, 1);
  EXPECT_TRUE(load(unchecked, c).ok);
}

// A minimal RDB builder for encodings terndb never writes.
struct Builder {
  std::string s = "REDIS0009";
  void len(uint64_t n) {
    if (n < 64) {
      s.push_back(static_cast<char>(n));
    } else {
      s.push_back(static_cast<char>(0x40 | (n >> 8)));
      s.push_back(static_cast<char>(n & 0xff));
    }
  }
  void str(const std::string& v) {
    len(v.size());
    s += v;
  }
  void op(uint8_t b) { s.push_back(static_cast<char>(b)); }
  std::string finish(bool checksum) {
    op(0xFF);
    uint64_t crc = checksum ? st::crc64(0, s.data(), s.size()) : 0;
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(crc >> (8 * i)));
    return s;
  }
};

std::string ziplist(const std::vector<std::string>& items) {
  std::string z(10, '\0');
  unsigned char prev = 0;
  for (const auto& it : items) {
    size_t start = z.size();
    z.push_back(static_cast<char>(prev));
    z.push_back(static_cast<char>(it.size()));  // short strings only (< 64)
    z += it;
    prev = static_cast<unsigned char>(z.size() - start);
  }
  z.push_back(static_cast<char>(0xFF));
  uint32_t total = static_cast<uint32_t>(z.size());
  memcpy(z.data(), &total, 4);
  uint16_t n = static_cast<uint16_t>(items.size());
  memcpy(z.data() + 8, &n, 2);
  return z;
}

TEST(RdbLoader, ReadsOlderEncodings) {
  register_digests();
  Builder b;
  b.op(0xFA);
  b.str("redis-ver");
  b.str("6.0.0");
  b.op(0xFE);
  b.len(0);
  b.op(0xFB);
  b.len(8);
  b.len(1);
  b.op(10);  // list as one ziplist
  b.str("zl");
  b.str(ziplist({"a", "b", "c"}));
  b.op(14);  // quicklist of ziplists
  b.str("ql");
  b.len(2);
  b.str(ziplist({"1", "2"}));
  b.str(ziplist({"3"}));
  b.op(1);  // plain list
  b.str("pl");
  b.len(2);
  b.str("x");
  b.str("y");
  b.op(9);  // zipmap hash
  b.str("zm");
  b.str(
      std::string("\x01\x01"
                  "f"
                  "\x01\x00"
                  "v"
                  "\xFF",
                  8));
  b.op(13);  // hash ziplist
  b.str("hz");
  b.str(ziplist({"f1", "v1", "f2", "v2"}));
  b.op(12);  // zset ziplist
  b.str("zz");
  b.str(ziplist({"m1", "1.5", "m2", "2"}));
  b.op(0xFD);  // EXPIRETIME in seconds
  uint32_t secs = static_cast<uint32_t>(kNow / 1000 + 100);
  b.s.append(reinterpret_cast<const char*>(&secs), 4);
  b.op(3);  // zset with text scores
  b.str("zt");
  b.len(3);
  b.str("a");
  b.s +=
      "\x03"
      "2.5";
  b.str("b");
  b.s += "\xFE";  // +inf
  b.str("c");
  b.s += "\xFF";  // -inf
  b.op(0xF8);     // FREQ
  b.op(5);
  b.op(0xF9);  // IDLE
  b.len(3);
  b.op(0);
  b.str("plainstr");
  b.str("v");
  std::string file = b.finish(false);
  st::Keyspace ks(16, 1);
  rdb::LoadResult r = load(file, ks);
  ASSERT_TRUE(r.ok) << r.offset << ": " << r.reason;
  EXPECT_EQ(r.keys_loaded, 8u);
  EXPECT_EQ(r.version, 9);
  EXPECT_EQ(expiry(ks, 0, "zt"), (kNow / 1000 + 100) * 1000);
  EXPECT_EQ(obj_encoding(ks, 0, "zm"), "listpack");
  {
    st::KeyHandle h(ks, 0, "ql", kNow, false);
    auto* l = static_cast<st::ListValue*>(h.get()->object());
    ASSERT_EQ(l->size(), 3u);
    EXPECT_EQ(l->at(2), "3");
  }
  {
    st::KeyHandle h(ks, 0, "zt", kNow, false);
    auto* z = static_cast<st::ZSetValue*>(h.get()->object());
    double s;
    ASSERT_TRUE(z->score("b", &s));
    EXPECT_EQ(s, INFINITY);
    ASSERT_TRUE(z->score("a", &s));
    EXPECT_EQ(s, 2.5);
  }
  // The same file with a checksum verifies.
  Builder c;
  c.s = file.substr(0, file.size() - 9);
  st::Keyspace ks2(16, 1);
  EXPECT_TRUE(load(c.finish(true), ks2).ok);
}

TEST(RdbLoader, RefusesStreamsAndModulesNamingTheKey) {
  for (uint8_t type : {15, 19, 7}) {
    Builder b;
    b.op(0xFE);
    b.len(0);
    size_t at = b.s.size();
    b.op(type);
    b.str("mystream");
    b.str("junk");
    std::string file = b.finish(false);
    st::Keyspace ks(16, 1);
    rdb::LoadResult r = load(file, ks);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.offset, at);
    EXPECT_NE(r.reason.find("'mystream'"), std::string::npos) << r.reason;
  }
}

TEST(RdbLoader, SkipsFunctionsAndModuleAux) {
  Builder b;
  b.op(245);  // FUNCTION2
  b.str("#!lua name=lib\nredis.register_function('f', function() return 1 end)");
  b.op(247);  // MODULE_AUX: id, when_opcode, when, then a value list ending in EOF
  b.s += "\x81";
  b.s += std::string("\x00\x00\x00\x00\x00\x00\x01\x02", 8);
  b.len(2);
  b.len(2);
  b.len(2);  // UINT
  b.len(7);
  b.len(5);  // STRING
  b.str("module data");
  b.len(0);  // EOF
  b.op(0);
  b.str("k");
  b.str("v");
  std::string file = b.finish(true);
  st::Keyspace ks(16, 1);
  rdb::LoadResult r = load(file, ks);
  ASSERT_TRUE(r.ok) << r.offset << ": " << r.reason;
  EXPECT_EQ(r.keys_loaded, 1u);
  EXPECT_EQ(r.warnings.size(), 2u);
}

TEST(RdbLoader, RefusesDuplicatesAndTooManyDatabases) {
  Builder b;
  b.op(0);
  b.str("k");
  b.str("v");
  b.op(0);
  b.str("k");
  b.str("w");
  st::Keyspace ks(16, 1);
  rdb::LoadResult r = load(b.finish(true), ks);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("duplicate key 'k'"), std::string::npos);

  Builder c;
  c.op(0xFE);
  c.len(20);
  st::Keyspace ks2(16, 1);
  r = load(c.finish(true), ks2);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 9u);
}

}  // namespace

namespace {

TEST(RdbLoader, KeyDbNegativeMvccStampIsTheUnsignedValue) {
  Builder b;
  b.op(0xFA);
  b.str("mvcc-tstamp");
  b.str("-2");
  b.op(0);
  b.str("k");
  b.str("v");
  std::string file = b.finish(true);
  st::Keyspace ks(16, 1);
  rdb::MemorySource src(file);
  rdb::LoadOptions lo;
  lo.now_ms = kNow;
  uint64_t seen = 0;
  lo.on_key_mvcc = [&](int, std::string_view, uint64_t ts) { seen = ts; };
  rdb::LoadResult r = rdb::load_rdb(src, ks, lo);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(seen, UINT64_MAX - 1);
}

}  // namespace
