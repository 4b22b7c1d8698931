#include "storage/intset.h"

#include <cstring>

#include "storage/byte_buffer.h"

namespace terndb::storage::intset {
namespace {

constexpr size_t kHeader = 8;

using bytes::load32;
using bytes::store32;

uint32_t width_for(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

int64_t load_at(const uint8_t* data, uint32_t w, size_t i) {
  const uint8_t* p = data + i * w;
  switch (w) {
    case 2: {
      int16_t v;
      memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      memcpy(&v, p, 8);
      return v;
    }
  }
}

void store_at(uint8_t* data, uint32_t w, size_t i, int64_t v) {
  uint8_t* p = data + i * w;
  if (w == 2) {
    auto x = static_cast<int16_t>(v);
    memcpy(p, &x, 2);
  } else if (w == 4) {
    auto x = static_cast<int32_t>(v);
    memcpy(p, &x, 4);
  } else {
    memcpy(p, &v, 8);
  }
}

using bytes::resize;

// Position of `v`, or where it would be inserted; `found` tells which.
size_t search(const uint8_t* buf, int64_t v, bool& found) {
  const uint32_t w = width(buf);
  const uint8_t* data = buf + kHeader;
  size_t lo = 0, hi = count(buf);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t m = load_at(data, w, mid);
    if (m == v) {
      found = true;
      return mid;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  found = false;
  return lo;
}

}  // namespace

uint8_t* create() {
  uint8_t* buf = bytes::allocate(kHeader);
  store32(buf, 2);
  store32(buf + 4, 0);
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
uint32_t width(const uint8_t* buf) {
  return load32(buf);
}
size_t used_bytes(const uint8_t* buf) {
  return kHeader + size_t{count(buf)} * width(buf);
}
size_t allocated_bytes(const uint8_t* buf) {
  return bytes::usable_size(buf);
}

int64_t get(const uint8_t* buf, size_t i) {
  return load_at(buf + kHeader, width(buf), i);
}

bool contains(const uint8_t* buf, int64_t v) {
  if (width_for(v) > width(buf)) return false;
  bool found;
  search(buf, v, found);
  return found;
}

bool add(uint8_t*& buf, int64_t v) {
  const uint32_t n = count(buf);
  const uint32_t w = width(buf);
  const uint32_t need = width_for(v);
  if (need > w) {
    // A member wider than all others is smaller or larger than every one of them, so it
    // goes at one end; rewrite the others from the back so nothing is overwritten early.
    buf = resize(buf, kHeader + size_t{n + 1} * need);
    uint8_t* data = buf + kHeader;
    const size_t shift = v < 0 ? 1 : 0;
    for (size_t i = n; i-- > 0;) store_at(data, need, i + shift, load_at(data, w, i));
    store_at(data, need, v < 0 ? 0 : n, v);
    store32(buf, need);
    store32(buf + 4, n + 1);
    return true;
  }
  bool found;
  size_t pos = search(buf, v, found);
  if (found) return false;
  buf = resize(buf, kHeader + size_t{n + 1} * w);
  uint8_t* data = buf + kHeader;
  memmove(data + (pos + 1) * w, data + pos * w, (n - pos) * w);
  store_at(data, w, pos, v);
  store32(buf + 4, n + 1);
  return true;
}

void remove_at(uint8_t*& buf, size_t i) {
  const uint32_t n = count(buf);
  const uint32_t w = width(buf);
  uint8_t* data = buf + kHeader;
  memmove(data + i * w, data + (i + 1) * w, (n - i - 1) * w);
  store32(buf + 4, n - 1);
  buf = resize(buf, kHeader + size_t{n - 1} * w);
}

bool remove(uint8_t*& buf, int64_t v) {
  if (width_for(v) > width(buf)) return false;
  bool found;
  size_t pos = search(buf, v, found);
  if (!found) return false;
  remove_at(buf, pos);
  return true;
}

}  // namespace terndb::storage::intset
