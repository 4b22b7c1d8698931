#include "storage/hashing.h"

#include <cstring>
#include <random>

namespace terndb::storage {
namespace {

uint64_t initial_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

uint64_t g_seed = initial_seed();

inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t read64(const unsigned char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

inline uint64_t read_tail(const unsigned char* p, size_t n) {
  // 1..7 bytes, every byte contributes.
  uint64_t v = 0;
  memcpy(&v, p, n);
  return v;
}

constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

}  // namespace

void set_hash_seed(uint64_t seed) { g_seed = seed; }

// A multiply-xorshift hash over 8-byte words: two 128-bit multiplies per 16 bytes,
// fast on short keys, and every output bit depends on the seed.
uint64_t hash_key(std::string_view key) {
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  size_t n = key.size();
  uint64_t h = g_seed ^ mix(n ^ kP0, kP1);
  while (n >= 16) {
    h = mix(read64(p) ^ kP1, read64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  if (n >= 8) {
    h = mix(read64(p) ^ kP2, h ^ kP0);
    p += 8;
    n -= 8;
  }
  if (n > 0) h = mix(read_tail(p, n) ^ kP1, h ^ kP2);
  return mix(h ^ kP0, h ^ kP2 ^ key.size());
}

}  // namespace terndb::storage
