// maxmemory: what counts as used memory, and evicting keys to stay under the limit.
//
// Used memory, checked before every command while maxmemory is set, must be cheap to read
// and close to what jemalloc reports as allocated (INFO's used_memory, what a monitoring
// tool samples). jemalloc's stats.allocated itself needs an epoch advance (tens of
// microseconds, a global lock) to be current, too much for every command. So the check
// adds two parts:
//   - what the io threads allocated minus what they freed, from jemalloc's per-thread
//     counters (thread.allocatedp / deallocatedp: one load per thread, no lock). Every
//     command runs on an io thread, so this follows at once whatever commands allocate or
//     free: keys and values, query buffers, queued transactions, replies;
//   - the rest of used_memory (jemalloc's stats.allocated less the freed objects its
//     thread caches keep, see memory_stats.h: what other threads hold), taken at the last
//     refresh, at most 10 ms old; the check refreshes it when older, and so does the cron.
// Without jemalloc (sanitizer builds) the first part is the keyspace's dataset bytes, which
// every table keeps exactly from the allocator's usable sizes of its entries and values
// (storage::Keyspace::dataset_bytes(), also INFO's used_memory_dataset).
// A per-shard dataset count alone was tried first: it misses connection buffers and
// transaction queues until the next refresh, enough to overshoot a small limit by a whole
// pipeline's worth.
//
// Eviction follows Redis: keys are sampled (maxmemory-samples per database of a shard, from
// shards in turn until a round has maxmemory-samples candidates, so every shard and
// database is visited alike) into a pool of the best
// candidates (storage/eviction_pool.h), and the best is deleted, until used memory is
// under the limit. maxmemory-eviction-tenacity bounds the time one call spends; the rest is
// left to the next command or the cron. Locks: a shard lock is taken only while this holds
// no other lock (or the caller holds them all: EXEC, scripts); the pool's mutex is taken
// last and never held while waiting for a shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "conf/config_registry.h"
#include "storage/eviction_pool.h"
#include "storage/keyspace.h"

namespace terndb::server {

class Server;

enum class EvictionPolicy : int {
  kVolatileLru = 0,
  kVolatileLfu = 1,
  kVolatileRandom = 2,
  kVolatileTtl = 3,
  kAllkeysLru = 4,
  kAllkeysLfu = 5,
  kAllkeysRandom = 6,
  kNoEviction = 7,
};

class Evictor {
 public:
  explicit Evictor(Server& server);

  enum class Result { kOk, kRunning, kFail };
  // Evicts until used memory is at most maxmemory. kRunning: stopped at the time bound,
  // the command may run; kFail: over the limit with nothing left to evict.
  Result perform_evictions(bool all_locked);
  // Used memory as counted against maxmemory.
  int64_t used_memory();
  // Re-reads jemalloc's allocated bytes now (INFO, the cron).
  void refresh(int64_t now_us);
  bool over_limit() { return maxmemory() > 0 && used_memory() > maxmemory(); }

  int64_t maxmemory() const { return opt_maxmemory_.num.load(std::memory_order_relaxed); }
  EvictionPolicy policy() const {
    return static_cast<EvictionPolicy>(opt_policy_.num.load(std::memory_order_relaxed));
  }
  uint64_t evicted_keys() const { return evicted_keys_.load(std::memory_order_relaxed); }
  uint64_t exceeded_time_ms() const { return exceeded_time_ms_.load(std::memory_order_relaxed); }
  void reset_stats() { evicted_keys_ = 0; }

 private:
  // The part of used memory followed at once (see the header comment).
  int64_t tracked_bytes() const;
  bool evict_one(bool all_locked, int64_t now);
  // Samples the shard at `index` into the pool; returns how many candidates it offered.
  size_t populate(size_t index, bool all_locked, int64_t now);
  bool try_evict(const storage::EvictionCandidate& c, bool all_locked, int64_t now);

  Server& server_;
  storage::Keyspace& ks_;
  const conf::Option& opt_maxmemory_;
  const conf::Option& opt_policy_;
  const conf::Option& opt_samples_;
  const conf::Option& opt_tenacity_;
  std::atomic<int64_t> overhead_{0};
  std::atomic<int64_t> refreshed_at_us_{0};
  std::atomic<uint64_t> evicted_keys_{0};
  std::atomic<uint64_t> exceeded_time_ms_{0};
  std::mutex pool_mu_;  // guards pool_ and next_shard_; a leaf lock
  storage::EvictionPool pool_;
  size_t next_shard_ = 0;
};

// Whether the command this thread runs found memory over the limit with nothing to evict
// before it started: a script's commands that may grow memory are refused then, as Redis
// refuses them from the state taken before EVAL ran.
bool& oom_before_command();

extern const char* const kOomError;

// Microseconds one eviction call may take for a maxmemory-eviction-tenacity value (Redis's
// curve: 50 us per step up to 10, then 15% more per step, unlimited at 100). -1: no bound.
int64_t eviction_time_limit_us(int64_t tenacity);

}  // namespace terndb::server
