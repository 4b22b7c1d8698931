// The 24-bit `lru` field every entry keeps, as Redis keeps it in each object:
//
//   LRU policies (and no policy): seconds since the epoch modulo 2^24 at the last access.
//   LFU policies: 16 bits of minutes (modulo 2^16) of the last decrement, then an 8-bit
//                 logarithmic access counter. A new key starts at 5 so that it is not
//                 evicted before it had a chance to be read; each access first decays the
//                 counter by one per `lfu-decay-time` minutes elapsed, then increments it
//                 with probability 1 / ((counter - 5) * lfu-log-factor + 1).
//
// Which meaning the field has follows maxmemory-policy (the server keeps access_policy()
// equal to the config). Switching policy at run time reinterprets the stamps, as Redis does.
#pragma once

#include <atomic>
#include <cstdint>

#include "storage/entry.h"

namespace terndb::storage {

struct AccessPolicy {
  std::atomic<bool> lfu{false};
  std::atomic<int64_t> lfu_log_factor{10};
  std::atomic<int64_t> lfu_decay_time{1};  // minutes per decrement; 0 never decays
};
AccessPolicy& access_policy();

constexpr uint8_t kLfuInitialCounter = 5;

// Minutes since the epoch modulo 2^16, the LFU stamp's resolution.
uint16_t lfu_minutes(int64_t now_ms);
// Minutes from `stamp` to `now` on the wrapping 16-bit clock.
uint32_t lfu_elapsed_minutes(uint16_t stamp, uint16_t now);
// The counter of an LFU stamp after the decay due at `now_ms`.
uint8_t lfu_decayed_counter(uint32_t stamp, int64_t now_ms, int64_t decay_time);
// One logarithmic increment; `uniform` is a draw from [0, 1).
uint8_t lfu_log_increment(uint8_t counter, int64_t log_factor, double uniform);
uint32_t lfu_stamp(uint16_t minutes, uint8_t counter);

// The stamp a value gets when it is created.
uint32_t initial_access_stamp(int64_t now_ms);
// Records one access to `e` under the current policy.
void touch_entry(Entry* e, int64_t now_ms);
// How good an eviction candidate `e` is under LRU (idle milliseconds) or LFU (255 minus
// the decayed counter): higher evicts first.
uint64_t lru_idle_ms(const Entry* e, int64_t now_ms);
uint64_t lfu_eviction_score(const Entry* e, int64_t now_ms);

}  // namespace terndb::storage
