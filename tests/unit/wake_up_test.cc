// Waking blocked clients changes the keyspace from inside another command: a served
// BLMOVE pushes into a second key of the same table, which may wake more clients. These
// tests pin down what that needs from storage: handles whose cached links survive other
// handles' inserts and deletions, and wait queues that tolerate being served re-entrantly.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/list_value.h"

using terndb::storage::Entry;
using terndb::storage::KeyHandle;
using terndb::storage::Keyspace;
using terndb::storage::ListEnd;
using terndb::storage::ListValue;
using terndb::storage::Waiter;

namespace {

Entry* list_entry(const std::string& key, const std::string& value) {
  auto* l = new ListValue;
  l->push(ListEnd::kTail, value);
  return terndb::storage::make_object_entry(key, terndb::storage::ValueType::kList, l, -1);
}

TEST(KeyHandleLinks, SurviveChangesThroughOtherHandles) {
  Keyspace ks(1, 0);  // one shard: every key shares one table
  KeyHandle a(ks, 0, "a", 0, false);
  a.put(terndb::storage::make_string_entry("a", "1", -1));
  // Many inserts through other handles grow (rehash) the table under `a`.
  for (int i = 0; i < 2000; ++i) {
    std::string key = "k" + std::to_string(i);
    KeyHandle k(ks, 0, key, 0, true);
    k.put(terndb::storage::make_string_entry(key, "v", -1));
  }
  ASSERT_NE(a.get(), nullptr);
  EXPECT_EQ(a.get()->key(), "a");
  // Deleting everything else shrinks it again.
  for (int i = 0; i < 2000; ++i) {
    std::string key = "k" + std::to_string(i);
    KeyHandle k(ks, 0, key, 0, true);
    EXPECT_TRUE(k.erase());
  }
  ASSERT_NE(a.get(), nullptr);
  EXPECT_EQ(a.get()->key(), "a");
  EXPECT_TRUE(a.erase());
  EXPECT_EQ(a.get(), nullptr);
}

// Moves one element from the key it waits on to `to` (or just takes it when `to` is
// empty), as a served BLMOVE / BLPOP does, and records what it got.
class MovingWaiter : public Waiter {
 public:
  MovingWaiter(Keyspace& ks, std::string name, std::string to, std::vector<std::string>& log)
      : ks_(ks), name_(std::move(name)), to_(std::move(to)), log_(log) {}

  Offer offer(KeyHandle& key) override {
    if (!claim()) return Offer::kServed;
    Entry* e = key.get();
    if (!e) {
      unclaim();
      return Offer::kCannot;
    }
    std::string v;
    key.modify_object([&](terndb::storage::CompositeValue* o) {
      static_cast<ListValue*>(o)->pop(ListEnd::kHead, &v);
    });
    if (static_cast<ListValue*>(key.get()->object())->empty()) key.erase();
    if (!to_.empty()) {
      // Same table, lock already held; creating the key wakes its waiters from here.
      KeyHandle dst(ks_, key.db(), to_, 0, true);
      dst.put(list_entry(to_, v));
    }
    log_.push_back(name_ + ":" + v);
    return Offer::kServed;
  }

 private:
  Keyspace& ks_;
  std::string name_, to_;
  std::vector<std::string>& log_;
};

TEST(WaitQueues, ServeToleratesNestedWakeUps) {
  Keyspace ks(1, 0);
  std::vector<std::string> log;
  auto w1 = std::make_shared<MovingWaiter>(ks, "w1", "dst", log);  // BLMOVE src dst
  auto w2 = std::make_shared<MovingWaiter>(ks, "w2", "src", log);  // BLMOVE dst src
  auto w3 = std::make_shared<MovingWaiter>(ks, "w3", "", log);     // BLPOP src
  auto& waiters = ks.shard(0).waiters;
  {
    std::lock_guard<std::mutex> g(ks.shard(0).mu);
    waiters.add(0, "src", w1);
    waiters.add(0, "dst", w2);
    waiters.add(0, "src", w3);
  }
  {
    KeyHandle k(ks, 0, "src", 0, false);
    k.put(list_entry("src", "x"));
  }  // the push wakes w1, whose push wakes w2, whose push wakes w3
  EXPECT_EQ(log, (std::vector<std::string>{"w3:x", "w2:x", "w1:x"}));
  EXPECT_TRUE(waiters.empty());
  KeyHandle src(ks, 0, "src", 0, false);
  EXPECT_EQ(src.get(), nullptr);
}

}  // namespace
