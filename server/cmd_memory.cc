// MEMORY USAGE | STATS | DOCTOR | PURGE | MALLOC-STATS | HELP, with Redis 7.0's replies
// and errors, answered from terndb's own accounting (server/eviction.h explains it).
#include <climits>
#include <string>

#include "protocol/numbers.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/eviction.h"
#include "server/memory_stats.h"
#include "server/server.h"

extern "C" void malloc_stats_print(void (*write_cb)(void*, const char*), void* cbopaque,
                                   const char* opts) __attribute__((weak));

namespace terndb::server {
namespace {

// MEMORY USAGE key [SAMPLES count]: the entry's allocation, its value's heap, and its
// share of the bucket array. terndb keeps exact sizes for every value, so no sampling is
// needed; the option is checked as Redis checks it.
void memory_usage_command(CommandContext& c) {
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string opt(c.arg(j));
    for (char& ch : opt) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    if (opt == "samples" && j + 1 < c.argc()) {
      int64_t samples;
      if (!protocol::parse_int64(c.arg(j + 1), samples)) return c.not_integer();
      if (samples < 0) return c.syntax_error();
      ++j;
    } else {
      return c.syntax_error();
    }
  }
  storage::KeyHandle k = c.open(c.arg(2));
  storage::Entry* e = k.get();  // looking at a key is not an access to it
  if (!e) return c.reply.null();
  c.reply.integer(static_cast<int64_t>(storage::entry_memory(e) + sizeof(storage::Entry*)));
}

struct MemoryFigures {
  MemoryStats m;
  uint64_t peak, startup, dataset, overhead, keys;
};

MemoryFigures figures(CommandContext& c) {
  MemoryFigures f;
  f.m = read_memory_stats();
  f.peak = std::max(peak_allocated(), f.m.allocated);
  f.startup = std::min(startup_allocated(), f.m.allocated);
  const int64_t ds = std::max<int64_t>(0, c.keyspace().dataset_bytes());
  f.dataset = std::min<uint64_t>(static_cast<uint64_t>(ds), f.m.allocated - f.startup);
  f.overhead = f.m.allocated - f.dataset;
  f.keys = 0;
  for (int db = 0; db < c.keyspace().databases(); ++db) {
    f.keys += c.keyspace().db_size(db, c.all_locked);
  }
  return f;
}

double ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

void memory_stats_command(CommandContext& c) {
  const MemoryFigures f = figures(c);
  storage::Keyspace& ks = c.keyspace();
  // Per database: the bucket arrays (Redis's main dict); terndb keeps expiries inside the
  // entries, so there is no second table.
  std::vector<std::pair<int, uint64_t>> dbs;
  for (int db = 0; db < ks.databases(); ++db) {
    uint64_t buckets = 0, keys = 0;
    for (size_t i = 0; i < ks.shard_count(); ++i) {
      storage::Shard& s = ks.shard(i);
      std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
      if (!c.all_locked) g.lock();
      const storage::Table& t = s.dbs[static_cast<size_t>(db)];
      keys += t.size();
      buckets += t.bucket_count() * sizeof(storage::Entry*);
    }
    if (keys) dbs.emplace_back(db, buckets);
  }
  const MemoryStats& m = f.m;
  c.reply.map(27 + dbs.size());
  auto num = [&](const char* name, int64_t v) {
    c.reply.bulk(name);
    c.reply.integer(v);
  };
  auto real = [&](const char* name, double v) {
    c.reply.bulk(name);
    c.reply.dbl(v);
  };
  auto i64 = [](uint64_t v) { return static_cast<int64_t>(v); };
  num("peak.allocated", i64(f.peak));
  num("total.allocated", i64(m.allocated));
  num("startup.allocated", i64(f.startup));
  num("replication.backlog", 0);
  num("clients.slaves", 0);
  num("clients.normal", 0);
  num("cluster.links", 0);
  num("aof.buffer", 0);
  num("lua.caches", 0);
  num("functions.caches", 0);
  for (auto [db, buckets] : dbs) {
    c.reply.bulk("db." + std::to_string(db));
    c.reply.map(3);
    num("overhead.hashtable.main", i64(buckets));
    num("overhead.hashtable.expires", 0);
    num("overhead.hashtable.slot-to-keys", 0);
  }
  num("overhead.total", i64(f.overhead));
  num("keys.count", i64(f.keys));
  num("keys.bytes-per-key", f.keys ? i64((m.allocated - f.startup) / f.keys) : 0);
  num("dataset.bytes", i64(f.dataset));
  real("dataset.percentage", ratio(f.dataset, m.allocated - f.startup) * 100);
  real("peak.percentage", ratio(m.allocated, f.peak) * 100);
  num("allocator.allocated", i64(m.allocator_allocated));
  num("allocator.active", i64(m.active));
  num("allocator.resident", i64(m.resident));
  real("allocator-fragmentation.ratio", ratio(m.active, m.allocator_allocated));
  num("allocator-fragmentation.bytes", i64(m.active) - i64(m.allocator_allocated));
  real("allocator-rss.ratio", ratio(m.resident, m.active));
  num("allocator-rss.bytes", i64(m.resident) - i64(m.active));
  real("rss-overhead.ratio", ratio(m.rss, m.resident));
  num("rss-overhead.bytes", i64(m.rss) - i64(m.resident));
  real("fragmentation", ratio(m.rss, m.allocated));
  num("fragmentation.bytes", i64(m.rss) - i64(m.allocated));
}

// Redis's doctor, reduced to the conditions terndb can have: an almost empty instance, a
// peak far above the present, and fragmentation.
void memory_doctor_command(CommandContext& c) {
  const MemoryFigures f = figures(c);
  std::string report;
  if (f.m.allocated < 5 * 1024 * 1024) {
    report =
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill it "
        "with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.";
  } else {
    std::string issues;
    if (f.peak / 2 > f.m.allocated) {
      issues +=
          " * Peak memory: In the past this instance used more than 150% the memory that is "
          "currently using. The allocator is normally not able to release memory after a peak, "
          "so you can expect to see a big fragmentation ratio, however this is actually "
          "harmless and is only due to the memory peak, and if the Redis instance Resident Set "
          "Size (RSS) is currently bigger than expected, the memory will be used as soon as you "
          "fill the Redis instance with more data. If the memory peak was only occasional and "
          "you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise "
          "the only other option is to shutdown and restart the instance.\n\n";
    }
    if (ratio(f.m.active, f.m.allocated) > 1.1 && f.m.active - f.m.allocated > 10 << 20) {
      issues +=
          " * High allocator fragmentation: This instance has an allocator external "
          "fragmentation greater than 1.1. This problem is usually due either to a large peak "
          "memory (check if there is a peak memory entry above in the report) or may result "
          "from a workload that causes the allocator to fragment memory a lot. You can try "
          "enabling 'activedefrag' config option.\n\n";
    }
    if (issues.empty()) {
      report =
          "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
          "occurs on this base.";
    } else {
      report = "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + issues +
               "I'm here to keep you safe, Sam. I want to help you.\n";
    }
  }
  c.reply.verbatim(report);
}

void memory_purge_command(CommandContext& c) {
  purge_allocator();
  c.reply.ok();
}

void memory_malloc_stats_command(CommandContext& c) {
  std::string text;
  if (malloc_stats_print != nullptr) {
    malloc_stats_print([](void* out, const char* s) { static_cast<std::string*>(out)->append(s); },
                       &text, nullptr);
  } else {
    text = "Stats not supported for the current allocator";
  }
  c.reply.verbatim(text);
}

void memory_help_command(CommandContext& c) {
  reply_help(c.reply, "MEMORY",
             {
                 "DOCTOR",
                 "    Return memory problems reports.",
                 "MALLOC-STATS",
                 "    Return internal statistics report from the memory allocator.",
                 "PURGE",
                 "    Attempt to purge dirty pages for reclamation by the allocator.",
                 "STATS",
                 "    Return information about the memory usage of the server.",
                 "USAGE <key> [SAMPLES <count>]",
                 "    Return memory in bytes used by <key> and its value. Nested values are",
                 "    sampled up to <count> times (default: 5, 0 means sample all).",
             });
}

}  // namespace

void register_memory_commands(CommandTable& t) {
  const char* g = "server";
  t.add(make_command("memory", -2, 0, 0, 0, 0, nullptr, g, "4.0.0",
                     "A container for memory diagnostics commands.", "Depends on subcommand."))
      .acl_categories = {"@slow"};
  CommandSpec& usage = t.add(make_command(
      "memory|usage", -3, kCmdReadonly, 2, 2, 1, memory_usage_command, g, "4.0.0",
      "Estimates the memory usage of a key.", "O(N) where N is the number of samples."));
  usage.args = {{"key", "key", "", false, false}, {"count", "integer", "SAMPLES", true, false}};
  t.add(make_command("memory|stats", 2, 0, 0, 0, 0, memory_stats_command, g, "4.0.0",
                     "Returns details about memory usage."));
  t.add(make_command("memory|doctor", 2, 0, 0, 0, 0, memory_doctor_command, g, "4.0.0",
                     "Outputs a memory problems report."));
  t.add(make_command("memory|purge", 2, 0, 0, 0, 0, memory_purge_command, g, "4.0.0",
                     "Asks the allocator to release memory."));
  t.add(make_command("memory|malloc-stats", 2, 0, 0, 0, 0, memory_malloc_stats_command, g, "4.0.0",
                     "Returns the allocator statistics."));
  t.add(make_command("memory|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, memory_help_command, g,
                     "4.0.0", "Returns helpful text about the different subcommands."));
}

}  // namespace terndb::server
