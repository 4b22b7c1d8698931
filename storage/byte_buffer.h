// Helpers shared by the packed encodings (intset, packed strings): a malloc'ed byte buffer
// with a small header of 32-bit little-endian fields, grown in place with realloc.
//
// They live on malloc (jemalloc) rather than new[] so that realloc can grow a buffer without
// copying and malloc_usable_size can account it exactly.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace terndb::storage::bytes {

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

inline void store32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }

inline uint8_t* allocate(size_t n) {
  auto* buf = static_cast<uint8_t*>(malloc(n));
  if (!buf) throw std::bad_alloc();
  return buf;
}

inline uint8_t* resize(uint8_t* buf, size_t n) {
  auto* grown = static_cast<uint8_t*>(realloc(buf, n));
  if (!grown) throw std::bad_alloc();
  return grown;
}

// Copy of the first `used` bytes of `buf`, in a buffer of exactly that size.
inline uint8_t* clone(const uint8_t* buf, size_t used) {
  uint8_t* copy = allocate(used);
  memcpy(copy, buf, used);
  return copy;
}

inline size_t usable_size(const uint8_t* buf) {
  return malloc_usable_size(const_cast<uint8_t*>(buf));
}

}  // namespace terndb::storage::bytes
