#include "server/eviction.h"

#include <cmath>
#include <limits>
#include <vector>

#include "server/client_pause.h"
#include "server/implicit_delete.h"
#include "server/memory_stats.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/access_stamp.h"
#include "storage/clock.h"
#include "storage/key_handle.h"

namespace terndb::server {
namespace {

constexpr int64_t kRefreshIntervalUs = 10000;

bool volatile_only(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

uint64_t score_of(EvictionPolicy p, const storage::Entry* e, int64_t now, std::mt19937_64& rng) {
  switch (p) {
    case EvictionPolicy::kVolatileLru:
    case EvictionPolicy::kAllkeysLru:
      return storage::lru_idle_ms(e, now);
    case EvictionPolicy::kVolatileLfu:
    case EvictionPolicy::kAllkeysLfu:
      return storage::lfu_eviction_score(e, now);
    case EvictionPolicy::kVolatileTtl:
      return std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(e->expire_at());
    default:
      return rng();
  }
}

struct Sampled {
  uint64_t score;
  int db;
  std::string key;
};

}  // namespace

const char* const kOomError = "OOM command not allowed when used memory > 'maxmemory'.";

bool& oom_before_command() {
  thread_local bool oom = false;
  return oom;
}

int64_t eviction_time_limit_us(int64_t tenacity) {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return -1;
}

Evictor::Evictor(Server& server)
    : server_(server),
      ks_(server.keyspace()),
      opt_maxmemory_(*server.config().find("maxmemory")),
      opt_policy_(*server.config().find("maxmemory-policy")),
      opt_samples_(*server.config().find("maxmemory-samples")),
      opt_tenacity_(*server.config().find("maxmemory-eviction-tenacity")) {}

int64_t Evictor::tracked_bytes() const {
  return thread_counters_available() ? registered_threads_live_bytes() : ks_.dataset_bytes();
}

void Evictor::refresh(int64_t now_us) {
  const int64_t allocated = static_cast<int64_t>(allocated_bytes());
  overhead_.store(allocated - tracked_bytes(), std::memory_order_relaxed);
  refreshed_at_us_.store(now_us, std::memory_order_relaxed);
}

int64_t Evictor::used_memory() {
  const int64_t now = storage::now_us();
  int64_t last = refreshed_at_us_.load(std::memory_order_relaxed);
  // One thread refreshes; the others use the figure it is about to replace.
  if (now - last >= kRefreshIntervalUs &&
      refreshed_at_us_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    refresh(now);
  }
  return tracked_bytes() + overhead_.load(std::memory_order_relaxed);
}

Evictor::Result Evictor::perform_evictions(bool all_locked) {
  const int64_t limit = maxmemory();
  if (limit <= 0 || used_memory() <= limit) return Result::kOk;
  // Clients are paused so that the dataset stays as it is (a failover): no evictions.
  if (server_.client_pause().active()) return Result::kOk;
  if (policy() == EvictionPolicy::kNoEviction) return Result::kFail;
  const int64_t start = storage::now_us();
  // With flash, reads bring keys back into RAM (MGET of 200 cached pages: megabytes), and
  // evicting to flash deletes nothing: catch up fully rather than by tenacity's time slice.
  const int64_t time_limit = ks_.flash() ? -1 : eviction_time_limit_us(opt_tenacity_.num.load());
  uint64_t freed_keys = 0;
  while (used_memory() > limit) {
    if (!evict_one(all_locked, start / 1000)) return Result::kFail;
    ++freed_keys;
    if (freed_keys % 16 == 0 && time_limit >= 0 && storage::now_us() - start > time_limit) {
      exceeded_time_ms_.fetch_add(static_cast<uint64_t>(time_limit / 1000),
                                  std::memory_order_relaxed);
      return Result::kRunning;
    }
  }
  return Result::kOk;
}

bool Evictor::evict_one(bool all_locked, int64_t now) {
  const size_t shards = ks_.shard_count();
  const size_t samples = static_cast<size_t>(std::max<int64_t>(1, opt_samples_.num.load()));
  // Each round samples shards in turn until it has maxmemory-samples candidates (or went
  // round once), then tries the pool's best keys. A round that finds no candidate in any
  // shard means nothing is evictable.
  while (true) {
    size_t found = 0;
    for (size_t visited = 0; visited < shards && found < samples; ++visited) {
      size_t index;
      {
        std::lock_guard<std::mutex> g(pool_mu_);
        index = next_shard_++ % shards;
      }
      found += populate(index, all_locked, now);
    }
    if (found == 0) {
      std::lock_guard<std::mutex> g(pool_mu_);
      if (pool_.size() == 0) return false;
    }
    while (true) {
      storage::EvictionCandidate best;
      {
        std::lock_guard<std::mutex> g(pool_mu_);
        if (!pool_.pop_best(best)) break;
      }
      if (try_evict(best, all_locked, now)) return true;
    }
  }
}

size_t Evictor::populate(size_t index, bool all_locked, int64_t now) {
  const EvictionPolicy p = policy();
  const bool only_volatile = volatile_only(p);
  const size_t samples = static_cast<size_t>(std::max<int64_t>(1, opt_samples_.num.load()));
  std::vector<Sampled> found;
  {
    storage::Shard& s = ks_.shard(index);
    std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
    if (!all_locked) g.lock();
    for (int db = 0; db < ks_.databases(); ++db) {
      const storage::Table& t = s.dbs[static_cast<size_t>(db)];
      const size_t eligible = only_volatile ? t.volatile_count() : t.size();
      if (eligible == 0) continue;
      size_t taken = 0;
      auto take = [&](storage::Entry* e) {
        if (only_volatile && !e->has_expire) return;
        ++taken;
        found.push_back({score_of(p, e, now, s.rng), db, std::string(e->key())});
      };
      t.sample(s.rng, samples, take);
      // Volatile keys among many persistent ones: sample harder, and as a last resort
      // walk the table, so that "nothing to evict" is never said of a table that has some.
      for (int round = 0; taken == 0 && only_volatile && round < 8; ++round) {
        t.sample(s.rng, samples * 4, take);
      }
      if (taken == 0 && only_volatile) {
        t.for_each([&](storage::Entry* e) {
          if (taken < samples) take(e);
        });
      }
    }
  }
  if (found.empty()) return 0;
  std::lock_guard<std::mutex> g(pool_mu_);
  for (auto& f : found) pool_.offer(f.score, f.db, index, f.key);
  return found.size();
}

bool Evictor::try_evict(const storage::EvictionCandidate& c, bool all_locked, int64_t now) {
  storage::Shard& s = ks_.shard(c.shard);
  std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
  if (!all_locked) g.lock();
  storage::KeyHandle k(ks_, c.db, c.key, now, true);
  // A candidate already moved to flash must not be read back just to be evicted again.
  if (ks_.flash() && !k.table().find(c.key, k.hash())) return false;
  storage::Entry* e = k.get();  // an expired key is deleted here, as an expiry
  if (!e) return false;
  if (volatile_only(policy()) && !e->has_expire) return false;
  if (ks_.flash()) return k.drop_from_memory();  // stays on flash: not a deletion
  k.erase();
  evicted_keys_.fetch_add(1, std::memory_order_relaxed);
  notify_keyspace_event(server_, notify::kEvicted, "evicted", c.key, c.db);
  record_implicit_delete(server_, c.db, c.key);
  return true;
}

}  // namespace terndb::server
