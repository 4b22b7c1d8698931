// HashValue and SetValue: encodings, the conversions Redis 7.0 makes at the configured
// limits, memory accounting, copies, and DEBUG DIGEST equal to redis-server 7.0.15's.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/digest.h"
#include "storage/encoding_limits.h"
#include "storage/hash_value.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/set_value.h"
#include "storage/sha1.h"

using terndb::storage::CompositeValue;
using terndb::storage::Digest;
using terndb::storage::encoding_limits;
using terndb::storage::HashValue;
using terndb::storage::KeyHandle;
using terndb::storage::Keyspace;
using terndb::storage::SetValue;
using terndb::storage::ValueType;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::vector<std::pair<std::string, std::string>> pairs_of(const HashValue& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.for_each([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

std::string get(const HashValue& h, std::string_view field) {
  char scratch[HashValue::kScratchSize];
  std::string_view v;
  return h.get(field, scratch, &v) ? std::string(v) : "<absent>";
}

// Restores a limit changed by a test.
struct LimitGuard {
  std::atomic<int64_t>& limit;
  int64_t saved;
  explicit LimitGuard(std::atomic<int64_t>& l, int64_t v) : limit(l), saved(l.load()) {
    limit.store(v);
  }
  ~LimitGuard() { limit.store(saved); }
};

}  // namespace

TEST(HashValue, ListpackKeepsInsertionOrder) {
  HashValue h;
  EXPECT_STREQ(h.encoding_name(), "listpack");
  EXPECT_TRUE(h.set("b", "1"));
  EXPECT_TRUE(h.set("a", "hello"));
  EXPECT_TRUE(h.set("123", "-5"));
  EXPECT_FALSE(h.set("b", "replaced"));
  EXPECT_EQ(pairs_of(h), (std::vector<std::pair<std::string, std::string>>{
                             {"b", "replaced"}, {"a", "hello"}, {"123", "-5"}}));
  EXPECT_EQ(get(h, "123"), "-5");
  EXPECT_EQ(get(h, "12"), "<absent>");
  EXPECT_EQ(h.value_length("a"), 5u);
  EXPECT_EQ(h.value_length("123"), 2u);
  EXPECT_EQ(h.value_length("zzz"), 0u);
  EXPECT_TRUE(h.erase("b"));
  EXPECT_FALSE(h.erase("b"));
  EXPECT_EQ(h.size(), 2u);
  EXPECT_TRUE(h.contains("a"));
  EXPECT_FALSE(h.contains("b"));
}

TEST(HashValue, ConvertsPastTheEntryLimit) {
  LimitGuard guard(encoding_limits().hash_max_listpack_entries, 4);
  HashValue h;
  for (int i = 0; i < 4; ++i) h.set("f" + std::to_string(i), std::to_string(i));
  EXPECT_TRUE(h.is_listpack());
  h.set("f0", "again");  // an update adds no entry
  EXPECT_TRUE(h.is_listpack());
  h.set("f4", "4");
  EXPECT_STREQ(h.encoding_name(), "hashtable");
  EXPECT_EQ(h.size(), 5u);
  EXPECT_EQ(get(h, "f0"), "again");
  EXPECT_EQ(get(h, "f4"), "4");
  for (int i = 0; i < 5; ++i) h.erase("f" + std::to_string(i));
  EXPECT_FALSE(h.is_listpack());  // never converts back
}

TEST(HashValue, ConvertsForLongFieldsOrValues) {
  const std::string at_limit(64, 'x'), over(65, 'x');
  HashValue a, b, c;
  a.set(at_limit, at_limit);
  EXPECT_TRUE(a.is_listpack());
  b.set("f", over);
  EXPECT_FALSE(b.is_listpack());
  c.set("f", "short");
  c.set(over, "v");
  EXPECT_FALSE(c.is_listpack());
  EXPECT_EQ(get(c, "f"), "short");
  EXPECT_EQ(get(c, over), "v");
  {
    LimitGuard guard(encoding_limits().hash_max_listpack_value, 0);
    HashValue d;
    d.set("", "");
    EXPECT_TRUE(d.is_listpack());
    d.set("a", "");
    EXPECT_FALSE(d.is_listpack());
  }
}

TEST(HashValue, MemoryUsageFollowsContentAndCloneIsDeep) {
  HashValue h;
  const size_t empty = h.memory_usage();
  for (int i = 0; i < 10; ++i) h.set("field:" + std::to_string(i), "value");
  const size_t small = h.memory_usage();
  EXPECT_GT(small, empty);
  EXPECT_LT(small, 256u);  // one packed buffer: ~10 * (7 + 6) bytes
  std::unique_ptr<CompositeValue> copy(h.clone());
  h.set("field:0", "changed");
  auto* hc = static_cast<HashValue*>(copy.get());
  EXPECT_EQ(get(*hc, "field:0"), "value");
  EXPECT_EQ(pairs_of(*hc).size(), 10u);
  h.convert_to_hashtable();
  EXPECT_GT(h.memory_usage(), small);
  std::unique_ptr<CompositeValue> copy2(h.clone());
  h.erase("field:1");
  EXPECT_EQ(static_cast<HashValue*>(copy2.get())->size(), 10u);
  EXPECT_STREQ(copy2->encoding_name(), "hashtable");
}

TEST(SetValue, FirstMemberPicksTheEncoding) {
  std::unique_ptr<SetValue> ints(SetValue::create_for("12"));
  std::unique_ptr<SetValue> strs(SetValue::create_for("x"));
  std::unique_ptr<SetValue> zero(SetValue::create_for("-0"));
  EXPECT_STREQ(ints->encoding_name(), "intset");
  EXPECT_STREQ(strs->encoding_name(), "hashtable");
  EXPECT_STREQ(zero->encoding_name(), "hashtable");
  EXPECT_TRUE(ints->add("12"));
  EXPECT_TRUE(ints->add("-3"));
  EXPECT_FALSE(ints->add("12"));
  EXPECT_FALSE(ints->contains("012"));
  EXPECT_FALSE(ints->remove("abc"));
  EXPECT_EQ(ints->members(), (std::vector<std::string>{"-3", "12"}));
  EXPECT_TRUE(ints->add("abc"));  // a non-integer converts
  EXPECT_STREQ(ints->encoding_name(), "hashtable");
  EXPECT_TRUE(ints->contains("12"));
  EXPECT_TRUE(ints->contains("abc"));
  EXPECT_EQ(ints->size(), 3u);
}

TEST(SetValue, ConvertsPastTheIntsetLimit) {
  LimitGuard guard(encoding_limits().set_max_intset_entries, 3);
  std::unique_ptr<SetValue> s(SetValue::create_intset());
  for (const char* m : {"3", "1", "2", "2"}) s->add(m);
  EXPECT_TRUE(s->is_intset());
  s->add("4");
  EXPECT_FALSE(s->is_intset());
  std::set<std::string> got;
  s->for_each([&](std::string_view m) { got.emplace(m); });
  EXPECT_EQ(got, (std::set<std::string>{"1", "2", "3", "4"}));
}

TEST(SetValue, RandomAndPop) {
  for (const char* first : {"1", "m"}) {
    std::unique_ptr<SetValue> s(SetValue::create_for(first));
    std::set<std::string> model;
    for (int i = 0; i < 40; ++i) {
      std::string m = (first[0] == 'm' ? "m" : "") + std::to_string(i);
      s->add(m);
      model.insert(m);
    }
    std::mt19937_64 rng(3);
    std::set<std::string> drawn;
    for (int i = 0; i < 1000; ++i) drawn.insert(s->random_member(rng));
    EXPECT_EQ(drawn, model);
    std::set<std::string> popped;
    while (s->size() > 0) EXPECT_TRUE(popped.insert(s->pop_random(rng)).second);
    EXPECT_EQ(popped, model);
  }
}

TEST(SetValue, CloneIsDeepAndMemoryIsCounted) {
  std::unique_ptr<SetValue> s(SetValue::create_intset());
  const size_t empty = s->memory_usage();
  for (int i = 0; i < 100; ++i) s->add(std::to_string(i));
  EXPECT_GE(s->memory_usage(), empty + 190);  // 2 bytes a member
  std::unique_ptr<CompositeValue> copy(s->clone());
  s->remove("5");
  EXPECT_EQ(static_cast<SetValue*>(copy.get())->size(), 100u);
  s->add("x");
  std::unique_ptr<CompositeValue> copy2(s->clone());
  s->remove("x");
  EXPECT_TRUE(static_cast<SetValue*>(copy2.get())->contains("x"));
}

// Reference digests from redis-server 7.0.15 (DEBUG DIGEST-VALUE / DEBUG DIGEST) for:
//   HSET hsmall a 1 b hello c -5
//   HSET hbig f0 v0 ... f599 v599        (hashtable)
//   SADD sints 1 2 300000 -7             (intset)
//   SADD sstrs a b c 12                  (hashtable)
//   HSET hempty f ""
// then SET str v and PEXPIREAT sints 99999999999999.
class CollectionDigest : public ::testing::Test {
 protected:
  void SetUp() override {
    terndb::storage::register_hash_digest();
    terndb::storage::register_set_digest();
    auto* small = new HashValue();
    small->set("a", "1");
    small->set("b", "hello");
    small->set("c", "-5");
    put("hsmall", ValueType::kHash, small);
    auto* big = new HashValue();
    for (int i = 0; i < 600; ++i) big->set("f" + std::to_string(i), "v" + std::to_string(i));
    EXPECT_FALSE(big->is_listpack());
    put("hbig", ValueType::kHash, big);
    SetValue* ints = SetValue::create_intset();
    for (const char* m : {"1", "2", "300000", "-7"}) ints->add(m);
    put("sints", ValueType::kSet, ints);
    SetValue* strs = SetValue::create_for("a");
    for (const char* m : {"a", "b", "c", "12"}) strs->add(m);
    put("sstrs", ValueType::kSet, strs);
    auto* empty_value = new HashValue();
    empty_value->set("f", "");
    put("hempty", ValueType::kHash, empty_value);
  }

  void put(const std::string& key, ValueType type, CompositeValue* v, int64_t expire = -1) {
    KeyHandle k(ks_, 0, key, kNow, false);
    k.put(terndb::storage::make_object_entry(key, type, v, expire));
  }

  // DEBUG DIGEST's formula over database 0: SHA1 of each key's digest (the key mixed in,
  // then its value) XORed together, after the database number is mixed in.
  std::string dataset_digest(const std::vector<std::string>& keys) {
    Digest all{};
    uint32_t db_be = 0;
    terndb::storage::digest_mix(all, &db_be, 4);
    for (const auto& key : keys) {
      KeyHandle k(ks_, 0, key, kNow, false);
      Digest d{};
      terndb::storage::digest_mix(d, key.data(), key.size());
      terndb::storage::digest_value(d, k.get());
      terndb::storage::digest_xor(all, d.data(), d.size());
    }
    return terndb::storage::Sha1::hex(all);
  }

  std::string value_digest(const std::string& key) {
    KeyHandle k(ks_, 0, key, kNow, false);
    Digest d{};
    terndb::storage::digest_value(d, k.get());
    return terndb::storage::Sha1::hex(d);
  }

  Keyspace ks_{16, 2};
};

TEST_F(CollectionDigest, EqualsRedis) {
  EXPECT_EQ(value_digest("hsmall"), "dc337cf7231fba79d825ca5fc3ed12c9296e6be1");
  EXPECT_EQ(value_digest("hbig"), "da5884fc7ba8a8dc69e963590622d30a3baf7439");
  EXPECT_EQ(value_digest("sints"), "f3aee49620ac0e61c9297caf1f0e36850c765704");
  EXPECT_EQ(value_digest("sstrs"), "226e248f1c907f6e27712c43643e43684a38df26");
  EXPECT_EQ(value_digest("hempty"), "b9a41d95edec8ed50878b0c4af72cb811b3eab45");
  std::vector<std::string> keys = {"hsmall", "hbig", "sints", "sstrs", "hempty"};
  EXPECT_EQ(dataset_digest(keys), "721f87b61092e1f51806e9282476e6d514907ce2");
  {
    KeyHandle k(ks_, 0, "str", kNow, false);
    k.put(terndb::storage::make_string_entry("str", "v", -1));
  }
  {
    KeyHandle k(ks_, 0, "sints", kNow, false);
    k.set_expire(99999999999999);
  }
  keys.push_back("str");
  EXPECT_EQ(dataset_digest(keys), "f2955219a7a78ae2268953e7af20cdf38e74efcb");
  EXPECT_EQ(value_digest("sints"), "152b1a69fc95e435083f97575a64f91e16d81687");
}

TEST_F(CollectionDigest, DoesNotDependOnEncodingOrOrder) {
  const std::string before = value_digest("hsmall");
  auto* reordered = new HashValue();
  reordered->set("c", "-5");
  reordered->set("a", "1");
  reordered->set("b", "hello");
  reordered->convert_to_hashtable();
  put("hsmall", ValueType::kHash, reordered);
  EXPECT_EQ(value_digest("hsmall"), before);
}
