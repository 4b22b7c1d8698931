#include "storage/access_stamp.h"

#include "storage/clock.h"

namespace terndb::storage {
namespace {

// A cheap per-thread generator for the LFU increment's coin toss.
double next_uniform() {
  thread_local uint64_t state = 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(&state);
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<double>(state >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

AccessPolicy& access_policy() {
  static AccessPolicy policy;
  return policy;
}

uint16_t lfu_minutes(int64_t now_ms) {
  return static_cast<uint16_t>((now_ms / 60000) & 0xffff);
}

uint32_t lfu_elapsed_minutes(uint16_t stamp, uint16_t now) {
  if (now >= stamp) return now - stamp;
  return 65535u - stamp + now;
}

uint8_t lfu_decayed_counter(uint32_t stamp, int64_t now_ms, int64_t decay_time) {
  const uint8_t counter = stamp & 0xff;
  if (decay_time <= 0) return counter;
  const uint32_t elapsed =
      lfu_elapsed_minutes(static_cast<uint16_t>(stamp >> 8), lfu_minutes(now_ms));
  const uint64_t periods = elapsed / static_cast<uint64_t>(decay_time);
  return periods >= counter ? 0 : static_cast<uint8_t>(counter - periods);
}

uint8_t lfu_log_increment(uint8_t counter, int64_t log_factor, double uniform) {
  if (counter == 255) return 255;
  const double base = counter > kLfuInitialCounter ? counter - kLfuInitialCounter : 0;
  const double p = 1.0 / (base * static_cast<double>(log_factor) + 1.0);
  return uniform < p ? static_cast<uint8_t>(counter + 1) : counter;
}

uint32_t lfu_stamp(uint16_t minutes, uint8_t counter) {
  return (static_cast<uint32_t>(minutes) << 8) | counter;
}

uint32_t initial_access_stamp(int64_t now_ms) {
  if (access_policy().lfu.load(std::memory_order_relaxed)) {
    return lfu_stamp(lfu_minutes(now_ms), kLfuInitialCounter);
  }
  return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
}

void touch_entry(Entry* e, int64_t now_ms) {
  const AccessPolicy& p = access_policy();
  if (!p.lfu.load(std::memory_order_relaxed)) {
    e->lru = static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
    return;
  }
  uint8_t counter =
      lfu_decayed_counter(e->lru, now_ms, p.lfu_decay_time.load(std::memory_order_relaxed));
  counter =
      lfu_log_increment(counter, p.lfu_log_factor.load(std::memory_order_relaxed), next_uniform());
  e->lru = lfu_stamp(lfu_minutes(now_ms), counter);
}

uint64_t lru_idle_ms(const Entry* e, int64_t now_ms) {
  const uint32_t now = static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
  return lru_idle_seconds(e->lru, now) * 1000;
}

uint64_t lfu_eviction_score(const Entry* e, int64_t now_ms) {
  const int64_t decay = access_policy().lfu_decay_time.load(std::memory_order_relaxed);
  return 255u - lfu_decayed_counter(e->lru, now_ms, decay);
}

}  // namespace terndb::storage
