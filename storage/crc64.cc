#include "storage/crc64.h"

#include <array>

namespace terndb::storage {
namespace {

// Bit-reversed form of the Jones polynomial, for the right-shifting (reflected) update.
constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;

// tables[k][b]: the CRC of byte b followed by k zero bytes, so eight input bytes can be
// folded in with eight lookups and no per-byte dependency chain (slicing-by-8).
struct Tables {
  std::array<std::array<uint64_t, 256>, 8> t{};
  Tables() {
    for (uint64_t b = 0; b < 256; ++b) {
      uint64_t c = b;
      for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ kReflectedPoly : c >> 1;
      t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k) {
      for (size_t b = 0; b < 256; ++b) t[k][b] = t[0][t[k - 1][b] & 0xff] ^ (t[k - 1][b] >> 8);
    }
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

}  // namespace

uint64_t crc64(uint64_t crc, const void* data, size_t len) {
  const auto& t = tables().t;
  const auto* p = static_cast<const uint8_t*>(data);
  while (len >= 8) {
    uint64_t v = crc ^ (uint64_t(p[0]) | uint64_t(p[1]) << 8 | uint64_t(p[2]) << 16 |
                        uint64_t(p[3]) << 24 | uint64_t(p[4]) << 32 | uint64_t(p[5]) << 40 |
                        uint64_t(p[6]) << 48 | uint64_t(p[7]) << 56);
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    len -= 8;
  }
  while (len--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

}  // namespace terndb::storage
