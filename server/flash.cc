#include "server/flash.h"

#include <sys/types.h>

#include <cstdarg>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "protocol/resp_parser.h"
#include "server/info_line.h"
#include "server/log.h"
#include "server/server.h"

// jemalloc's control interface, present only when jemalloc is linked.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace terndb::server {
namespace {

// With flash, values stream through RAM (written, evicted, read back): jemalloc's default
// of keeping freed pages for 10 s would hold tens of megabytes above maxmemory. Return
// them within a second instead (every arena, and arenas made later).
void return_freed_pages_sooner() {
  if (!mallctl) return;
  ssize_t ms = 1000;
  mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &ms, sizeof(ms));
  mallctl("arenas.muzzy_decay_ms", nullptr, nullptr, &ms, sizeof(ms));
  unsigned arenas = 0;
  size_t len = sizeof(arenas);
  if (mallctl("arenas.narenas", &arenas, &len, nullptr, 0) != 0) return;
  for (unsigned i = 0; i < arenas; ++i) {
    std::string dirty = "arena." + std::to_string(i) + ".dirty_decay_ms";
    std::string muzzy = "arena." + std::to_string(i) + ".muzzy_decay_ms";
    mallctl(dirty.c_str(), nullptr, nullptr, &ms, sizeof(ms));
    mallctl(muzzy.c_str(), nullptr, nullptr, &ms, sizeof(ms));
  }
}

size_t clamp_budget(int64_t maxmemory, int64_t divisor, size_t low, size_t high, size_t none) {
  if (maxmemory <= 0) return none;
  size_t b = static_cast<size_t>(maxmemory / divisor);
  return b < low ? low : b > high ? high : b;
}


}  // namespace

std::unique_ptr<storage::FlashStore> open_flash_store(conf::Registry& config, int64_t now_ms) {
  std::vector<std::string> words;
  protocol::split_args(config.text("storage-provider"), words);
  if (words.empty() || words[0] == "none") return nullptr;
  if (words[0] != "flash" || words.size() != 2) {
    throw std::runtime_error("storage-provider: expected 'none' or 'flash <path>', got '" +
                             config.text("storage-provider") + "'");
  }
  storage::FlashOptions opt;
  opt.path = words[1];
  opt.databases = static_cast<int>(config.num("databases"));
  opt.flush_period_ms = config.num("storage-flush-period");
  // RocksDB's memory counts in used_memory: a small share of maxmemory when one is set.
  const int64_t maxmemory = config.num("maxmemory");
  opt.write_buffer_bytes = clamp_budget(maxmemory, 8, 4 << 20, 64 << 20, 64 << 20);
  opt.block_cache_bytes = clamp_budget(maxmemory, 16, 2 << 20, 64 << 20, 32 << 20);
  std::string err;
  auto store = storage::FlashStore::open(opt, now_ms, &err);
  if (!store) throw std::runtime_error(err);
  return_freed_pages_sooner();
  // CONFIG SET storage-flush-period takes effect at the next sync.
  if (conf::Option* period = config.find("storage-flush-period")) {
    auto previous = period->on_change;
    period->on_change = [period, previous, s = store.get()](std::string& e) {
      if (previous && !previous(e)) return false;
      s->set_flush_period(period->num.load());
      return true;
    };
  }
  int64_t keys = 0;
  for (int db = 0; db < opt.databases; ++db) keys += store->offloaded(db);
  logf(LogLevel::kNotice, "Flash storage at %s: %lld keys, WAL synced every %lld ms",
       opt.path.c_str(), static_cast<long long>(keys), static_cast<long long>(opt.flush_period_ms));
  return store;
}

namespace {

// SCAN positions on flash: cursor -> (database, last key visited).
class ScanCursors {
 public:
  static constexpr size_t kKept = 4096;

  bool find(uint64_t cursor, int db, std::string& last) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = positions_.find(cursor);
    if (it == positions_.end() || it->second.first != db) return false;
    last = it->second.second;
    return true;
  }
  uint64_t add(int db, std::string last) {
    std::lock_guard<std::mutex> g(mu_);
    uint64_t id;
    do {
      id = rng_() >> 1;  // positive as a signed number too, for clients that parse it so
    } while (id == 0 || positions_.count(id));
    positions_.emplace(id, std::make_pair(db, std::move(last)));
    order_.push_back(id);
    if (order_.size() > kKept) {
      positions_.erase(order_.front());
      order_.pop_front();
    }
    return id;
  }

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, std::pair<int, std::string>> positions_;
  std::deque<uint64_t> order_;
  std::mt19937_64 rng_{std::random_device{}()};
};

ScanCursors& scan_cursors() {
  static ScanCursors cursors;
  return cursors;
}

bool live(int64_t expire_at, int64_t now) {
  return expire_at < 0 || expire_at > now;
}

}  // namespace

void flash_keys(storage::FlashTier& flash, int db, int64_t now, bool all_locked,
                const FlashKeyFn& fn) {
  flash.flush_all_dirty(all_locked);
  flash.walk_keys(
      db, {}, true,
      [&](std::string_view key, int64_t expire_at, storage::ValueType type) {
        if (live(expire_at, now)) fn(key, type);
        return true;
      },
      nullptr);
}

uint64_t flash_scan(storage::FlashTier& flash, int db, uint64_t cursor, size_t count, int64_t now,
                    bool all_locked, const FlashKeyFn& fn) {
  flash.flush_all_dirty(all_locked);
  std::string after;
  const bool from_start = cursor == 0 || !scan_cursors().find(cursor, db, after);
  size_t seen = 0;
  std::string last;
  bool more = flash.walk_keys(
      db, after, from_start,
      [&](std::string_view key, int64_t expire_at, storage::ValueType type) {
        if (live(expire_at, now)) fn(key, type);
        return ++seen < count;
      },
      &last);
  return more ? scan_cursors().add(db, std::move(last)) : 0;
}

bool flash_random_key(storage::FlashTier& flash, int db, bool all_locked, std::string& out) {
  flash.flush_all_dirty(all_locked);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return flash.random_key(db, rng(), out);
}

bool flash_is_authoritative(Server& server) {
  storage::FlashTier* f = server.keyspace().flash();
  if (!f) return false;
  int64_t keys = 0;
  for (int db = 0; db < f->databases(); ++db) keys += f->offloaded(db);
  if (keys == 0) return false;
  logf(LogLevel::kNotice,
       "Flash storage holds %lld keys: it is authoritative, the RDB file is not loaded",
       static_cast<long long>(keys));
  return true;
}

void flash_info(Server& server, std::string& out) {
  auto* store = dynamic_cast<storage::FlashStore*>(server.keyspace().flash());
  if (!store) {
    info_line(out, "storage_provider:none");
    return;
  }
  storage::FlashStore::Stats st = store->stats();
  int64_t offloaded = 0;
  for (int db = 0; db < store->databases(); ++db) offloaded += store->offloaded(db);
  const uint64_t ram_hits = store->ram_hits.load();
  const uint64_t reads = store->flash_reads.load();
  const uint64_t flash_hits = store->flash_hits.load();
  const uint64_t lookups = ram_hits + reads;
  info_line(out, "storage_provider:flash");
  info_line(out, "storage_path:%s", store->path().c_str());
  info_line(out, "flash_keys_only_on_flash:%lld", static_cast<long long>(offloaded));
  info_line(out, "flash_sst_bytes:%llu", static_cast<unsigned long long>(st.sst_bytes));
  info_line(out, "flash_live_data_bytes:%llu", static_cast<unsigned long long>(st.live_data_bytes));
  info_line(out, "flash_memtable_bytes:%llu", static_cast<unsigned long long>(st.memtable_bytes));
  info_line(out, "flash_block_cache_bytes:%llu", static_cast<unsigned long long>(st.block_cache_bytes));
  info_line(out, "flash_ram_hits:%llu", static_cast<unsigned long long>(ram_hits));
  info_line(out, "flash_reads:%llu", static_cast<unsigned long long>(reads));
  info_line(out, "flash_read_hits:%llu", static_cast<unsigned long long>(flash_hits));
  info_line(out, "flash_ram_hit_rate:%.4f", lookups ? static_cast<double>(ram_hits) / lookups : 0.0);
  info_line(out, "flash_evictions:%llu",
       static_cast<unsigned long long>(store->evictions_to_flash.load()));
  info_line(out, "flash_writes:%llu", static_cast<unsigned long long>(st.writes));
  info_line(out, "flash_deletes:%llu", static_cast<unsigned long long>(st.deletes));
  info_line(out, "flash_wal_syncs:%llu", static_cast<unsigned long long>(st.wal_syncs));
  info_line(out, "flash_errors:%llu", static_cast<unsigned long long>(st.errors));
}

}  // namespace terndb::server
