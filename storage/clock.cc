#include "storage/clock.h"

#include <time.h>

namespace terndb::storage {

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

uint32_t lru_clock() { return static_cast<uint32_t>(now_ms() / 1000) & kLruClockMax; }

uint64_t lru_idle_seconds(uint32_t stamp, uint32_t now) {
  if (now >= stamp) return now - stamp;
  return (kLruClockMax - stamp) + now;
}

}  // namespace terndb::storage
