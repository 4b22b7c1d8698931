// Sorted set costs under ZADD: the skiplist encoding at 100,000 members, updated with
// random scores (what redis-benchmark's "ZADD myzset __rand_int__ element:__rand_int__"
// does once the set is full: nearly every call moves a member), re-added with an unchanged
// score (a hash lookup and nothing else), and ZRANK's rank walk.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "storage/zset_value.h"

namespace {

using namespace terndb::storage;

constexpr size_t kMembers = 100000;

std::vector<std::string> member_names() {
  std::vector<std::string> names;
  names.reserve(kMembers);
  for (size_t i = 0; i < kMembers; ++i) names.push_back("element:" + std::to_string(i));
  return names;
}

// A full set: every member present with a random integral score below kMembers.
ZSetValue* full_set(const std::vector<std::string>& names, std::mt19937_64& rng) {
  auto* z = new ZSetValue();
  for (const auto& name : names) {
    double ignored;
    z->add(name, static_cast<double>(rng() % kMembers), 0, &ignored);
  }
  return z;
}

void BM_ZAddRandomScore(benchmark::State& state) {
  const auto names = member_names();
  std::mt19937_64 rng(42);
  ZSetValue* z = full_set(names, rng);
  for (auto _ : state) {
    double out;
    benchmark::DoNotOptimize(
        z->add(names[rng() % kMembers], static_cast<double>(rng() % kMembers), 0, &out));
  }
  delete z;
}
BENCHMARK(BM_ZAddRandomScore);

void BM_ZAddSameScore(benchmark::State& state) {
  const auto names = member_names();
  std::mt19937_64 rng(42);
  ZSetValue* z = full_set(names, rng);
  for (auto _ : state) {
    const std::string& name = names[rng() % kMembers];
    double cur = 0, out;
    z->score(name, &cur);
    benchmark::DoNotOptimize(z->add(name, cur, 0, &out));
  }
  delete z;
}
BENCHMARK(BM_ZAddSameScore);

void BM_ZRank(benchmark::State& state) {
  const auto names = member_names();
  std::mt19937_64 rng(42);
  ZSetValue* z = full_set(names, rng);
  for (auto _ : state) benchmark::DoNotOptimize(z->rank(names[rng() % kMembers]));
  delete z;
}
BENCHMARK(BM_ZRank);

}  // namespace
