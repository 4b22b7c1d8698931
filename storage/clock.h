// Wall-clock time in milliseconds and the 24-bit LRU clock kept in every entry.
#pragma once

#include <cstdint>

namespace terndb::storage {

int64_t now_ms();
int64_t now_us();
// Seconds since the epoch modulo 2^24, the resolution Redis's LRU clock has.
uint32_t lru_clock();
constexpr uint32_t kLruClockMax = (1u << 24) - 1;
// Seconds elapsed between an entry's stamp and `now` on the wrapping 24-bit clock.
uint64_t lru_idle_seconds(uint32_t stamp, uint32_t now);

}  // namespace terndb::storage
