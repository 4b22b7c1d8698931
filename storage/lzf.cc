#include "storage/lzf.h"

#include <cstdint>
#include <cstring>

namespace terndb::storage::lzf {
namespace {

constexpr unsigned kHashBits = 14;
constexpr size_t kMaxLiteral = 32;
constexpr size_t kMaxOffset = 1 << 13;
constexpr size_t kMaxMatch = 7 + 255 + 2;

inline unsigned hash3(const uint8_t* p) {
  uint32_t v = uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
  return (v * 2654435761u) >> (32 - kHashBits);
}

}  // namespace

size_t compress(const void* in_v, size_t in_len, void* out_v, size_t out_cap) {
  const auto* in = static_cast<const uint8_t*>(in_v);
  auto* out = static_cast<uint8_t*>(out_v);
  if (in_len == 0 || out_cap == 0) return 0;
  // Positions of recent 3-byte sequences. The table is never cleared: a stale entry (from
  // an earlier call) is only a candidate, checked against the bounds and the bytes.
  thread_local const uint8_t* table[1u << kHashBits];

  const uint8_t* ip = in;
  const uint8_t* const in_end = in + in_len;
  size_t op = 1;  // out[lit_start] holds the current literal run's control byte
  size_t lit_start = 0;
  size_t lit = 0;

  auto close_literal = [&] {
    if (lit) {
      out[lit_start] = static_cast<uint8_t>(lit - 1);
    } else {
      --op;  // no literal bytes: drop the reserved control byte
    }
  };

  while (ip + 2 < in_end) {
    unsigned h = hash3(ip);
    const uint8_t* ref = table[h];
    table[h] = ip;
    if (ref >= in && ref < ip && static_cast<size_t>(ip - ref) <= kMaxOffset && ref[0] == ip[0] &&
        ref[1] == ip[1] && ref[2] == ip[2]) {
      size_t max = static_cast<size_t>(in_end - ip);
      if (max > kMaxMatch) max = kMaxMatch;
      size_t len = 3;
      while (len < max && ref[len] == ip[len]) ++len;
      // Worst case: close the literal run, then 3 bytes of reference, then a new run's
      // control byte.
      if (op + 4 > out_cap) return 0;
      close_literal();
      size_t off = static_cast<size_t>(ip - ref) - 1;
      size_t l = len - 2;
      if (l < 7) {
        out[op++] = static_cast<uint8_t>((l << 5) | (off >> 8));
      } else {
        out[op++] = static_cast<uint8_t>((7 << 5) | (off >> 8));
        out[op++] = static_cast<uint8_t>(l - 7);
      }
      out[op++] = static_cast<uint8_t>(off & 0xff);
      lit_start = op++;
      lit = 0;
      ip += len;
      continue;
    }
    if (op >= out_cap) return 0;
    out[op++] = *ip++;
    if (++lit == kMaxLiteral) {
      out[lit_start] = static_cast<uint8_t>(lit - 1);
      if (op >= out_cap) return 0;
      lit_start = op++;
      lit = 0;
    }
  }
  while (ip < in_end) {
    if (op >= out_cap) return 0;
    out[op++] = *ip++;
    if (++lit == kMaxLiteral) {
      out[lit_start] = static_cast<uint8_t>(lit - 1);
      if (op >= out_cap) return 0;
      lit_start = op++;
      lit = 0;
    }
  }
  close_literal();
  return op;
}

size_t decompress(const void* in_v, size_t in_len, void* out_v, size_t out_cap) {
  const auto* ip = static_cast<const uint8_t*>(in_v);
  const uint8_t* const in_end = ip + in_len;
  auto* out = static_cast<uint8_t*>(out_v);
  size_t op = 0;
  while (ip < in_end) {
    unsigned ctrl = *ip++;
    if (ctrl < 32) {
      size_t len = ctrl + 1;
      if (static_cast<size_t>(in_end - ip) < len || out_cap - op < len) return 0;
      memcpy(out + op, ip, len);
      ip += len;
      op += len;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in_end) return 0;
      len += *ip++;
    }
    if (ip >= in_end) return 0;
    size_t back = ((ctrl & 0x1f) << 8) + *ip++ + 1;
    len += 2;
    if (back > op || out_cap - op < len) return 0;
    // Byte by byte: the source may overlap the bytes being produced (runs).
    const uint8_t* ref = out + op - back;
    for (size_t i = 0; i < len; ++i) out[op + i] = ref[i];
    op += len;
  }
  return op;
}

}  // namespace terndb::storage::lzf
