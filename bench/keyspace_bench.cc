// Storage-layer costs under the command handlers: entry creation, the hash table on its
// own, KeyHandle lookups and writes through the sharded Keyspace (from one and two
// threads, to show shard-lock contention), and one SCAN step.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "storage/clock.h"
#include "storage/entry.h"
#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/table.h"

namespace {

using namespace terndb::storage;

const std::string kValue16(16, 'v');

std::vector<std::string> make_keys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back("key:" + std::to_string(i));
  return keys;
}

// The keys in a fixed random order, so lookups do not walk memory in insertion order.
std::vector<size_t> shuffled_indices(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  return order;
}

void BM_MakeStringEntry(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  for (auto _ : state) {
    Entry* e = make_string_entry("key:123456", value, -1);
    benchmark::DoNotOptimize(e);
    free_entry(e);
  }
  state.SetItemsProcessed(state.iterations());
}
// 16 B (embstr) and 100 B (raw) values; integers are measured separately below.
BENCHMARK(BM_MakeStringEntry)->Arg(16)->Arg(100);

void BM_MakeIntEntryFromString(benchmark::State& state) {
  for (auto _ : state) {
    Entry* e = make_string_entry("counter", "1234567", -1);
    benchmark::DoNotOptimize(e);
    free_entry(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakeIntEntryFromString);

// Builds a table of n fresh entries and destroys it: allocation, insertion with every
// resize along the way, and freeing.
void BM_TableInsert(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto keys = make_keys(n);
  std::vector<uint64_t> hashes;
  for (const auto& k : keys) hashes.push_back(hash_key(k));
  for (auto _ : state) {
    Table t;
    for (size_t i = 0; i < n; ++i) t.insert(make_string_entry(keys[i], kValue16, -1), hashes[i]);
    benchmark::DoNotOptimize(t.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_TableInsert)->Arg(1000)->Arg(100000);

// Lookups of present keys with the hash computed per lookup, as a command does.
void BM_TableFind(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto keys = make_keys(n);
  Table t;
  for (const auto& k : keys) t.insert(make_string_entry(k, kValue16, -1), hash_key(k));
  const auto order = shuffled_indices(n, 1);
  size_t i = 0;
  for (auto _ : state) {
    const std::string& k = keys[order[i]];
    Entry** link = t.find(k, hash_key(k));
    benchmark::DoNotOptimize(link);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TableFind)->Arg(1000)->Arg(1000000);

void BM_TableFindMissing(benchmark::State& state) {
  const size_t n = 100000;
  const auto keys = make_keys(n);
  Table t;
  for (const auto& k : keys) t.insert(make_string_entry(k, kValue16, -1), hash_key(k));
  const auto missing = make_keys(2 * n);
  size_t i = n;
  for (auto _ : state) {
    const std::string& k = missing[i];
    benchmark::DoNotOptimize(t.find(k, hash_key(k)));
    if (++i == 2 * n) i = n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TableFindMissing);

// One keyspace shared by every benchmark thread, shaped as the server builds it for two
// io threads (16 databases, 64 shards), holding kKeyspaceKeys 16-byte strings in db 0.
constexpr size_t kKeyspaceKeys = 200000;

struct SharedKeyspace {
  Keyspace ks{16, 6};
  std::vector<std::string> keys = make_keys(kKeyspaceKeys);
  SharedKeyspace() {
    int64_t now = now_ms();
    for (const auto& k : keys) {
      KeyHandle h(ks, 0, k, now, false);
      h.put(make_string_entry(k, kValue16, -1));
    }
  }
};

SharedKeyspace& shared_keyspace() {
  static SharedKeyspace instance;
  return instance;
}

// GET's storage path: hash, lock the shard, look up with lazy expiry, read the value.
void BM_KeyHandleGet(benchmark::State& state) {
  SharedKeyspace& s = shared_keyspace();
  const auto order =
      shuffled_indices(kKeyspaceKeys, 7 + static_cast<uint64_t>(state.thread_index()));
  size_t i = 0;
  char scratch[32];
  const int64_t now = now_ms();
  for (auto _ : state) {
    KeyHandle h(s.ks, 0, s.keys[order[i]], now, false);
    Entry* e = h.get();
    benchmark::DoNotOptimize(e ? e->string_value(scratch).size() : 0);
    if (++i == kKeyspaceKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyHandleGet)->Threads(1)->Threads(2)->UseRealTime();

// SET's storage path on an existing key: build the new entry, replace and free the old.
void BM_KeyHandlePut(benchmark::State& state) {
  SharedKeyspace& s = shared_keyspace();
  const auto order =
      shuffled_indices(kKeyspaceKeys, 11 + static_cast<uint64_t>(state.thread_index()));
  size_t i = 0;
  const int64_t now = now_ms();
  for (auto _ : state) {
    const std::string& k = s.keys[order[i]];
    KeyHandle h(s.ks, 0, k, now, false);
    h.put(make_string_entry(k, kValue16, -1));
    if (++i == kKeyspaceKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyHandlePut)->Threads(1)->Threads(2)->UseRealTime();

// One SCAN call with COUNT n; the cursor carries over between iterations and wraps.
void BM_KeyspaceScanStep(benchmark::State& state) {
  SharedKeyspace& s = shared_keyspace();
  const size_t count = static_cast<size_t>(state.range(0));
  uint64_t cursor = 0;
  int64_t seen = 0;
  const int64_t now = now_ms();
  for (auto _ : state) {
    cursor = s.ks.scan(0, cursor, count, now, [&](const Entry* e) {
      ++seen;
      benchmark::DoNotOptimize(e);
    });
  }
  state.SetItemsProcessed(seen);
}
BENCHMARK(BM_KeyspaceScanStep)->Arg(10)->Arg(1000);

}  // namespace
