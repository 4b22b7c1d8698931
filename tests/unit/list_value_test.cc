// The packed list (storage/list_value.h) against a std::deque model: pushes and pops at both
// ends, positional reads and writes, inserts, removals and trims, under each kind of node
// size limit, with elements around the framing's size boundaries; plus memory accounting,
// clone, cursors and the DEBUG DIGEST mixing.
#include "storage/list_value.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "storage/digest.h"
#include "storage/encoding_limits.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"

using terndb::storage::ListEnd;
using terndb::storage::ListValue;

namespace {

// Sets list-max-listpack-size for one test and restores the default after it.
class FillSetting {
 public:
  explicit FillSetting(int64_t fill) {
    terndb::storage::encoding_limits().list_max_listpack_size.store(fill);
  }
  ~FillSetting() { terndb::storage::encoding_limits().list_max_listpack_size.store(-2); }
};

std::vector<std::string> contents(const ListValue& l) {
  std::vector<std::string> out;
  ListValue::Cursor c(l, 0, false);
  std::string_view v;
  while (c.next(v)) out.emplace_back(v);
  return out;
}

std::vector<std::string> as_vector(const std::deque<std::string>& d) {
  return {d.begin(), d.end()};
}

void expect_same(const ListValue& l, const std::deque<std::string>& model) {
  ASSERT_EQ(l.size(), model.size());
  ASSERT_EQ(contents(l), as_vector(model));
  // Backward walk from the tail gives the reverse.
  std::vector<std::string> back;
  ListValue::Cursor c(l, 0, true);
  std::string_view v;
  while (c.next(v)) back.emplace_back(v);
  std::vector<std::string> expected(model.rbegin(), model.rend());
  ASSERT_EQ(back, expected);
}

// Element of `len` bytes whose content also tells which push made it.
std::string element(size_t len, int tag) {
  std::string s = std::to_string(tag) + ":";
  s.resize(std::max(len, s.size()), static_cast<char>('a' + tag % 26));
  return s;
}

TEST(ListFrame, RoundTripsAtLengthBoundaries) {
  for (size_t len : {0, 1, 127, 128, 129, 16383, 16384, 70000}) {
    std::string v(len, 'q');
    std::vector<char> buf(terndb::storage::list_frame::size(len));
    char* end = terndb::storage::list_frame::write(buf.data(), v);
    ASSERT_EQ(end, buf.data() + buf.size());
    size_t frame = 0;
    EXPECT_EQ(terndb::storage::list_frame::read_forward(buf.data(), &frame), v);
    EXPECT_EQ(frame, buf.size());
    EXPECT_EQ(terndb::storage::list_frame::read_backward(end, &frame), v);
    EXPECT_EQ(frame, buf.size());
  }
  EXPECT_EQ(terndb::storage::list_frame::size(5), 7u);  // small elements cost 2 bytes
}

TEST(ListValue, PushPopBothEnds) {
  ListValue l;
  std::deque<std::string> model;
  for (int i = 0; i < 5000; ++i) {
    std::string v = element(i % 40, i);
    if (i % 3 == 0) {
      l.push(ListEnd::kHead, v);
      model.push_front(v);
    } else {
      l.push(ListEnd::kTail, v);
      model.push_back(v);
    }
  }
  expect_same(l, model);
  EXPECT_GT(l.node_count(), 1u);
  std::string out;
  while (!model.empty()) {
    if (model.size() % 2) {
      l.pop(ListEnd::kHead, &out);
      EXPECT_EQ(out, model.front());
      model.pop_front();
    } else {
      l.pop(ListEnd::kTail, &out);
      EXPECT_EQ(out, model.back());
      model.pop_back();
    }
  }
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.node_count(), 0u);
}

TEST(ListValue, NodesRespectByteLimit) {
  FillSetting fill(-1);  // 4 KB nodes
  ListValue l;
  for (int i = 0; i < 10000; ++i) l.push(ListEnd::kTail, element(10, i));
  // 10000 frames of 12 bytes in 4 KB nodes: at least 30 nodes, and not wastefully many.
  EXPECT_GE(l.node_count(), 30u);
  EXPECT_LE(l.node_count(), 40u);
  // Memory per element stays close to the framed size.
  EXPECT_LT(l.memory_usage(), 10000u * 12 * 3 / 2);
}

TEST(ListValue, CountLimitAndBigElements) {
  FillSetting fill(3);
  ListValue l;
  std::deque<std::string> model;
  for (int i = 0; i < 20; ++i) {
    std::string v = element(i == 7 ? 20000 : 5, i);
    l.push(ListEnd::kTail, v);
    model.push_back(v);
  }
  expect_same(l, model);
  EXPECT_GE(l.node_count(), 7u);
  l.set(3, std::string(9000, 'z'));
  model[3] = std::string(9000, 'z');
  expect_same(l, model);
  ASSERT_TRUE(l.insert(model[10], "after-ten", true));
  model.insert(model.begin() + 11, "after-ten");
  expect_same(l, model);
}

TEST(ListValue, MemoryAccountingFollowsContents) {
  ListValue l;
  size_t empty = l.memory_usage();
  for (int i = 0; i < 1000; ++i) l.push(ListEnd::kTail, std::string(100, 'x'));
  size_t full = l.memory_usage();
  EXPECT_GE(full, empty + 1000 * 100);
  std::string out;
  for (int i = 0; i < 1000; ++i) l.pop(ListEnd::kHead, &out);
  // Only a small ring of node slots stays allocated once every node is gone.
  EXPECT_LE(l.memory_usage(), empty + 8 * sizeof(void*) + 16);
}

// Random operations under several node limits, checked against the model after each step.
class ListValueRandom : public ::testing::TestWithParam<int64_t> {};

TEST_P(ListValueRandom, MatchesModel) {
  FillSetting fill(GetParam());
  std::mt19937 rng(static_cast<unsigned>(GetParam() + 100));
  const size_t lengths[] = {0, 1, 3, 8, 127, 128, 300, 16384};
  ListValue l;
  std::deque<std::string> model;
  for (int step = 0; step < 8000; ++step) {
    // Pushes outnumber removals so the list grows over many nodes.
    int op = static_cast<int>(rng() % 12);
    // Mostly distinct elements, with some repeats for LREM and LINSERT to find.
    int tag = rng() % 4 == 0 ? step % 7 : step;
    std::string v = element(lengths[rng() % 5 == 0 ? rng() % 8 : rng() % 4], tag);
    std::string out;
    if (op <= 4 || model.empty()) {
      bool head = rng() % 2;
      l.push(head ? ListEnd::kHead : ListEnd::kTail, v);
      head ? model.push_front(v) : model.push_back(v);
    } else if (op == 5) {
      l.pop(ListEnd::kHead, &out);
      ASSERT_EQ(out, model.front());
      model.pop_front();
    } else if (op == 6) {
      l.pop(ListEnd::kTail, &out);
      ASSERT_EQ(out, model.back());
      model.pop_back();
    } else if (op == 7) {
      size_t i = rng() % model.size();
      ASSERT_EQ(l.at(i), model[i]);
      l.set(i, v);
      model[i] = v;
    } else if (op == 8) {
      size_t i = rng() % model.size();
      std::string pivot = model[i];
      bool after = rng() % 2;
      ASSERT_TRUE(l.insert(pivot, v, after));
      auto it = std::find(model.begin(), model.end(), pivot);
      model.insert(after ? it + 1 : it, v);
    } else if (op == 9) {
      std::string target = model[rng() % model.size()];
      size_t limit = rng() % 3;
      bool from_tail = rng() % 2;
      size_t removed = 0;
      if (!from_tail) {
        for (auto it = model.begin(); it != model.end() && (!limit || removed < limit);) {
          if (*it == target) {
            it = model.erase(it);
            ++removed;
          } else {
            ++it;
          }
        }
      } else {
        for (size_t i = model.size(); i-- > 0 && (!limit || removed < limit);) {
          if (model[i] == target) {
            model.erase(model.begin() + static_cast<long>(i));
            ++removed;
          }
        }
      }
      ASSERT_EQ(l.remove(target, limit, from_tail), removed);
    } else if (op == 10 && model.size() > 4) {
      size_t head = rng() % 3, tail = rng() % 3;
      l.trim(head, tail);
      model.erase(model.begin(), model.begin() + static_cast<long>(head));
      model.erase(model.end() - static_cast<long>(tail), model.end());
    } else if (op == 11) {
      size_t start = rng() % model.size();
      bool reverse = rng() % 2;
      ListValue::Cursor c(l, start, reverse);
      std::string_view got;
      for (size_t k = 0; k < 5 && start + k < model.size(); ++k) {
        ASSERT_TRUE(c.next(got));
        size_t idx = reverse ? model.size() - 1 - start - k : start + k;
        ASSERT_EQ(got, model[idx]);
      }
    }
    ASSERT_EQ(l.size(), model.size());
  }
  expect_same(l, model);
  EXPECT_GT(l.node_count(), 2u);
  std::unique_ptr<ListValue> copy(static_cast<ListValue*>(l.clone()));
  expect_same(*copy, model);
  EXPECT_LE(copy->memory_usage(), l.memory_usage() + 64);
}

INSTANTIATE_TEST_SUITE_P(Fills, ListValueRandom, ::testing::Values(-2, -1, -5, 1, 4, 128));

TEST(ListValue, RemoveEverythingLeavesEmptyList) {
  ListValue l;
  for (int i = 0; i < 3000; ++i) l.push(ListEnd::kTail, i % 2 ? "x" : "y");
  EXPECT_EQ(l.remove("x", 0, false), 1500u);
  EXPECT_EQ(l.remove("y", 0, true), 1500u);
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.node_count(), 0u);
  l.push(ListEnd::kHead, "again");
  EXPECT_EQ(l.at(0), "again");
}

TEST(ListValue, RemovalsMergeSparseNodes) {
  ListValue l;
  for (int i = 0; i < 20000; ++i) l.push(ListEnd::kTail, i % 10 ? "drop" : "keep");
  size_t before = l.node_count();
  l.remove("drop", 0, false);
  EXPECT_EQ(l.size(), 2000u);
  EXPECT_LT(l.node_count(), before / 5);
}

// Digests as redis-server 7.0's DEBUG DIGEST reports them for the same data.
TEST(ListDigest, MatchesRedis) {
  terndb::storage::register_list_digest();
  terndb::storage::Keyspace ks(16, 2);
  auto add_list = [&](const std::string& key, const std::vector<std::string>& items) {
    auto* l = new ListValue;
    for (auto& v : items) l->push(ListEnd::kTail, v);
    terndb::storage::KeyHandle k(ks, 0, key, 0, false);
    k.put(terndb::storage::make_object_entry(key, terndb::storage::ValueType::kList, l, -1));
  };
  // RPUSH l a b c "" 12345
  add_list("l", {"a", "b", "c", "", "12345"});
  EXPECT_EQ(terndb::storage::dataset_digest_hex(ks, 0), "dd53bf483fa5ee3104894695be8ea268e3984eb7");
  ks.flush_all();
  // RPUSH big <20000 x>
  add_list("big", {std::string(20000, 'x')});
  EXPECT_EQ(terndb::storage::dataset_digest_hex(ks, 0), "521cb7496ec12a5f4f4d212561318da4e97595ed");
}

}  // namespace
