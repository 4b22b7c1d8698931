// RequestParser throughput on the request shapes the server sees most: pipelined
// SET/GET multibulk frames, inline commands (redis-cli, telnet) and one large bulk that
// arrives in many reads.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>

#include "protocol/resp_parser.h"

namespace {

using terndb::protocol::ParserLimits;
using terndb::protocol::ParseStatus;
using terndb::protocol::RequestParser;

std::string multibulk(std::initializer_list<std::string> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// A buffer of `n` commands, alternately SET key:i <value> and GET key:i.
std::string pipelined_set_get(int n, size_t value_size) {
  std::string buf;
  std::string value(value_size, 'x');
  for (int i = 0; i < n; ++i) {
    std::string key = "key:" + std::to_string(i);
    buf += (i % 2 == 0) ? multibulk({"SET", key, value}) : multibulk({"GET", key});
  }
  return buf;
}

// Parses every command in `buf` as the connection loop does: parse, drop consumed bytes.
// Returns the number of commands.
int parse_all(RequestParser& p, const std::string& buf, const ParserLimits& limits) {
  const char* data = buf.data();
  size_t left = buf.size();
  int commands = 0;
  while (left > 0) {
    ParseStatus st = p.parse(data, left, limits);
    if (st == ParseStatus::kNeedMore || st == ParseStatus::kError) break;
    if (st == ParseStatus::kCommand) {
      ++commands;
      benchmark::DoNotOptimize(p.args().data());
    }
    data += p.consumed();
    left -= p.consumed();
  }
  return commands;
}

void BM_ParsePipelinedSetGet(benchmark::State& state) {
  const int pipeline = static_cast<int>(state.range(0));
  const std::string buf = pipelined_set_get(pipeline, 16);
  RequestParser parser;
  ParserLimits limits;
  int64_t commands = 0;
  for (auto _ : state) commands += parse_all(parser, buf, limits);
  if (commands != pipeline * static_cast<int64_t>(state.iterations())) {
    state.SkipWithError("parser did not return every command");
  }
  state.SetItemsProcessed(commands);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_ParsePipelinedSetGet)->Arg(1)->Arg(16)->Arg(256);

void BM_ParseInline(benchmark::State& state) {
  std::string buf;
  const int pipeline = 16;
  for (int i = 0; i < pipeline; ++i) {
    buf += (i % 2 == 0) ? "SET key:" + std::to_string(i) + " \"hello world\"\r\n"
                        : "GET key:" + std::to_string(i) + "\r\n";
  }
  RequestParser parser;
  ParserLimits limits;
  int64_t commands = 0;
  for (auto _ : state) commands += parse_all(parser, buf, limits);
  if (commands != pipeline * static_cast<int64_t>(state.iterations())) {
    state.SkipWithError("parser did not return every command");
  }
  state.SetItemsProcessed(commands);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_ParseInline);

// One SET with a large value whose bytes arrive `chunk` at a time. The parser must resume
// where it stopped instead of rescanning the frame on every read, so the cost per call
// should stay flat as the value grows (parse_calls_per_second is the figure to watch; the
// bytes are never copied here, so bytes/s only shows that the payload is not rescanned).
void BM_ParseLargeBulkInChunks(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  const size_t chunk = 16 * 1024;
  const std::string buf = multibulk({"SET", "big", std::string(value_size, 'v')});
  RequestParser parser;
  ParserLimits limits;
  int64_t calls = 0;
  for (auto _ : state) {
    size_t avail = 0;
    ParseStatus st = ParseStatus::kNeedMore;
    while (st == ParseStatus::kNeedMore) {
      avail = std::min(buf.size(), avail + chunk);
      st = parser.parse(buf.data(), avail, limits);
      ++calls;
    }
    if (st != ParseStatus::kCommand || parser.args().size() != 3 ||
        parser.args()[2].size() != value_size) {
      state.SkipWithError("large bulk not parsed");
      break;
    }
  }
  state.counters["parse_calls_per_second"] =
      benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_ParseLargeBulkInChunks)->Arg(1 << 20)->Arg(16 << 20);

}  // namespace
