// ReplyBuilder costs for the replies that dominate traffic: bulk strings (GET), integers
// (INCR, DEL, EXISTS) and arrays of bulks (MGET, SCAN, LRANGE).
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/reply_builder.h"

namespace {

using terndb::protocol::ReplyBuilder;

// Replies per iteration: the output buffer is cleared between batches, as the connection
// does after a write, so the measurement is formatting, not buffer growth.
constexpr int kBatch = 64;

void BM_ReplyBulk(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string out;
  out.reserve(kBatch * (value.size() + 32));
  ReplyBuilder reply(&out, 2);
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatch; ++i) reply.bulk(value);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_ReplyBulk)->Arg(16)->Arg(1024);

void BM_ReplyInteger(benchmark::State& state) {
  std::string out;
  out.reserve(kBatch * 32);
  ReplyBuilder reply(&out, 2);
  int64_t v = state.range(0);
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatch; ++i) reply.integer(v + i);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
// Small counters (the shared-integer range in Redis) and large ones.
BENCHMARK(BM_ReplyInteger)->Arg(1)->Arg(1234567890123);

void BM_ReplyArrayOfBulks(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::string out;
  out.reserve(n * 48);
  ReplyBuilder reply(&out, static_cast<int>(state.range(1)));
  const std::string value(16, 'v');
  for (auto _ : state) {
    out.clear();
    reply.array(n);
    for (size_t i = 0; i < n; ++i) reply.bulk(value);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_ReplyArrayOfBulks)->Args({10, 2})->Args({1000, 2})->Args({1000, 3});

}  // namespace
