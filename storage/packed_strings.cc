#include "storage/packed_strings.h"

#include <cstring>

#include "protocol/numbers.h"
#include "storage/byte_buffer.h"

namespace terndb::storage::packed {
namespace {

constexpr size_t kHeader = 8;

constexpr uint8_t kLongString = 0xF0;
constexpr uint8_t kInt16 = 0xF1;
constexpr uint8_t kInt24 = 0xF2;
constexpr uint8_t kInt32 = 0xF3;
constexpr uint8_t kInt64 = 0xF4;

using bytes::load32;
using bytes::store32;

void set_used(uint8_t* buf, size_t used) {
  store32(buf, static_cast<uint32_t>(used));
}
void set_count(uint8_t* buf, uint32_t n) {
  store32(buf + 4, n);
}

// Little-endian signed integer of `width` bytes.
int64_t load_int(const uint8_t* p, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  if (width < 8) {
    const uint64_t sign = 1ull << (8 * width - 1);
    if (v & sign) v |= ~((sign << 1) - 1);
  }
  return static_cast<int64_t>(v);
}

void store_int(uint8_t* p, int64_t v, int width) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(u >> (8 * i));
}

struct Layout {
  size_t head_len;  // header bytes (including any integer payload)
  size_t str_len;   // string bytes after the header (0 for integers)
  bool is_int;
  int64_t int_value;
};

Layout layout(const uint8_t* p) {
  const uint8_t b = p[0];
  if (b < 0x80) return {1, 0, true, b};
  if ((b & 0xC0) == 0x80) return {1, static_cast<size_t>(b & 0x3F), false, 0};
  if ((b & 0xE0) == 0xC0) {
    int64_t v = (static_cast<int64_t>(b & 0x1F) << 8) | p[1];
    if (v & 0x1000) v -= 0x2000;
    return {2, 0, true, v};
  }
  if ((b & 0xF0) == 0xE0) return {2, (static_cast<size_t>(b & 0x0F) << 8) | p[1], false, 0};
  switch (b) {
    case kLongString:
      return {5, load32(p + 1), false, 0};
    case kInt16:
      return {3, 0, true, load_int(p + 1, 2)};
    case kInt24:
      return {4, 0, true, load_int(p + 1, 3)};
    case kInt32:
      return {5, 0, true, load_int(p + 1, 4)};
    default:
      return {9, 0, true, load_int(p + 1, 8)};
  }
}

using bytes::resize;

}  // namespace

Encoded encode(std::string_view s) {
  Encoded e;
  int64_t v;
  if (protocol::parse_int64(s, v)) {
    if (v >= 0 && v <= 127) {
      e.head[0] = static_cast<uint8_t>(v);
      e.head_len = 1;
    } else if (v >= -4096 && v <= 4095) {
      const uint64_t u = static_cast<uint64_t>(v) & 0x1FFF;
      e.head[0] = static_cast<uint8_t>(0xC0 | (u >> 8));
      e.head[1] = static_cast<uint8_t>(u & 0xFF);
      e.head_len = 2;
    } else {
      int width = 8;
      uint8_t tag = kInt64;
      if (v >= INT16_MIN && v <= INT16_MAX) {
        width = 2, tag = kInt16;
      } else if (v >= -(1 << 23) && v < (1 << 23)) {
        width = 3, tag = kInt24;
      } else if (v >= INT32_MIN && v <= INT32_MAX) {
        width = 4, tag = kInt32;
      }
      e.head[0] = tag;
      store_int(e.head + 1, v, width);
      e.head_len = static_cast<uint8_t>(1 + width);
    }
    return e;
  }
  const size_t n = s.size();
  if (n < 64) {
    e.head[0] = static_cast<uint8_t>(0x80 | n);
    e.head_len = 1;
  } else if (n < 4096) {
    e.head[0] = static_cast<uint8_t>(0xE0 | (n >> 8));
    e.head[1] = static_cast<uint8_t>(n & 0xFF);
    e.head_len = 2;
  } else {
    e.head[0] = kLongString;
    store32(e.head + 1, static_cast<uint32_t>(n));
    e.head_len = 5;
  }
  e.tail = s;
  return e;
}

uint8_t* create() {
  uint8_t* buf = bytes::allocate(kHeader);
  set_used(buf, kHeader);
  set_count(buf, 0);
  return buf;
}

void destroy(uint8_t* buf) {
  free(buf);
}

uint8_t* clone(const uint8_t* buf) {
  return bytes::clone(buf, used_bytes(buf));
}

uint32_t count(const uint8_t* buf) {
  return load32(buf + 4);
}
size_t used_bytes(const uint8_t* buf) {
  return load32(buf);
}
size_t allocated_bytes(const uint8_t* buf) {
  return bytes::usable_size(buf);
}

size_t first_offset() {
  return kHeader;
}
size_t end_offset(const uint8_t* buf) {
  return used_bytes(buf);
}

size_t next_offset(const uint8_t* buf, size_t offset) {
  Layout l = layout(buf + offset);
  return offset + l.head_len + l.str_len;
}

std::string_view read(const uint8_t* buf, size_t offset, char* scratch) {
  Layout l = layout(buf + offset);
  if (l.is_int) return {scratch, protocol::format_int64(l.int_value, scratch)};
  return {reinterpret_cast<const char*>(buf + offset + l.head_len), l.str_len};
}

size_t text_length(const uint8_t* buf, size_t offset) {
  Layout l = layout(buf + offset);
  if (!l.is_int) return l.str_len;
  char scratch[kScratchSize];
  return protocol::format_int64(l.int_value, scratch);
}

bool matches(const uint8_t* buf, size_t offset, const Encoded& e) {
  const uint8_t* p = buf + offset;
  // Equal first bytes imply equal header lengths, so the comparisons below stay inside
  // the element.
  if (p[0] != e.head[0]) return false;
  if (memcmp(p + 1, e.head + 1, e.head_len - 1u) != 0) return false;
  return e.tail.empty() || memcmp(p + e.head_len, e.tail.data(), e.tail.size()) == 0;
}

void append(uint8_t*& buf, const Encoded& e) {
  const size_t used = used_bytes(buf);
  buf = resize(buf, used + e.size());
  memcpy(buf + used, e.head, e.head_len);
  if (!e.tail.empty()) memcpy(buf + used + e.head_len, e.tail.data(), e.tail.size());
  set_used(buf, used + e.size());
  set_count(buf, count(buf) + 1);
}

void replace(uint8_t*& buf, size_t offset, const Encoded& e) {
  const size_t used = used_bytes(buf);
  const size_t old_end = next_offset(buf, offset);
  const size_t old_size = old_end - offset;
  const size_t new_used = used - old_size + e.size();
  if (e.size() > old_size) buf = resize(buf, new_used);
  memmove(buf + offset + e.size(), buf + old_end, used - old_end);
  memcpy(buf + offset, e.head, e.head_len);
  if (!e.tail.empty()) memcpy(buf + offset + e.head_len, e.tail.data(), e.tail.size());
  if (e.size() < old_size) buf = resize(buf, new_used);
  set_used(buf, new_used);
}

void erase(uint8_t*& buf, size_t offset, size_t n) {
  const size_t used = used_bytes(buf);
  size_t end = offset;
  for (size_t i = 0; i < n; ++i) end = next_offset(buf, end);
  memmove(buf + offset, buf + end, used - end);
  const size_t new_used = used - (end - offset);
  buf = resize(buf, new_used);
  set_used(buf, new_used);
  set_count(buf, count(buf) - static_cast<uint32_t>(n));
}

}  // namespace terndb::storage::packed
