#include "storage/rdb_blobs.h"

#include <cstring>

#include "protocol/numbers.h"

namespace terndb::storage::rdb {
namespace {

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}
int64_t le_signed(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  int shift = 64 - 8 * bytes;
  return static_cast<int64_t>(v << shift) >> shift;  // sign-extend
}
void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::string int_text(int64_t v) {
  return protocol::int64_to_string(v);
}

bool fail(std::string* why, const char* what) {
  if (why) *why = what;
  return false;
}

// Size of a listpack entry's back-length for an entry of `l` bytes (encoding + data).
size_t backlen_size(size_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

void put_backlen(std::string& out, size_t l) {
  size_t n = backlen_size(l);
  // Most significant 7-bit group first; every byte but the first has its top bit set, so
  // a reader walking backwards knows where the length starts.
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = static_cast<uint8_t>((l >> (7 * (n - 1 - i))) & 127);
    if (i > 0) b |= 128;
    out.push_back(static_cast<char>(b));
  }
}

// Encoding and data of one listpack entry.
void encode_entry(std::string& out, std::string_view s) {
  int64_t v;
  if (s.size() <= 20 && protocol::parse_int64(s, v)) {
    if (v >= 0 && v <= 127) {
      out.push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      uint64_t u = static_cast<uint64_t>(v) & 0x1fff;
      out.push_back(static_cast<char>(0xC0 | (u >> 8)));
      out.push_back(static_cast<char>(u & 0xff));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out.push_back(static_cast<char>(0xF1));
      put_le(out, static_cast<uint64_t>(v), 2);
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      out.push_back(static_cast<char>(0xF2));
      put_le(out, static_cast<uint64_t>(v), 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out.push_back(static_cast<char>(0xF3));
      put_le(out, static_cast<uint64_t>(v), 4);
    } else {
      out.push_back(static_cast<char>(0xF4));
      put_le(out, static_cast<uint64_t>(v), 8);
    }
    return;
  }
  size_t n = s.size();
  if (n < 64) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n < 4096) {
    out.push_back(static_cast<char>(0xE0 | (n >> 8)));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0xF0));
    put_le(out, n, 4);
  }
  out.append(s);
}

}  // namespace

ListpackWriter::ListpackWriter() {
  buf_.assign(6, '\0');
}

size_t ListpackWriter::entry_size(std::string_view s) {
  std::string tmp;
  encode_entry(tmp, s);
  return tmp.size() + backlen_size(tmp.size());
}

void ListpackWriter::append(std::string_view s) {
  size_t start = buf_.size();
  encode_entry(buf_, s);
  put_backlen(buf_, buf_.size() - start);
  ++count_;
}

std::string ListpackWriter::finish() {
  buf_.push_back(static_cast<char>(0xFF));
  uint32_t total = static_cast<uint32_t>(buf_.size());
  uint16_t n = count_ < 65535 ? static_cast<uint16_t>(count_) : 65535;
  for (int i = 0; i < 4; ++i) buf_[i] = static_cast<char>((total >> (8 * i)) & 0xff);
  buf_[4] = static_cast<char>(n & 0xff);
  buf_[5] = static_cast<char>(n >> 8);
  std::string out;
  out.swap(buf_);
  buf_.assign(6, '\0');
  count_ = 0;
  return out;
}

bool decode_listpack(std::string_view blob, std::vector<std::string>& out, std::string* why) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  size_t size = blob.size();
  if (size < 7) return fail(why, "listpack too short");
  if (le32(p) != size) return fail(why, "listpack header size mismatch");
  size_t declared = le16(p + 4);
  if (p[size - 1] != 0xFF) return fail(why, "listpack without end marker");
  size_t pos = 6, n = 0;
  while (pos < size - 1) {
    uint8_t b = p[pos];
    size_t avail = size - 1 - pos;
    size_t enc_len;  // encoding + data
    if ((b & 0x80) == 0) {
      out.push_back(int_text(b & 0x7f));
      enc_len = 1;
    } else if ((b & 0xC0) == 0x80) {
      size_t len = b & 0x3f;
      enc_len = 1 + len;
      if (enc_len > avail) return fail(why, "listpack entry out of bounds");
      out.emplace_back(reinterpret_cast<const char*>(p + pos + 1), len);
    } else if ((b & 0xE0) == 0xC0) {
      if (avail < 2) return fail(why, "listpack entry out of bounds");
      int64_t v = ((b & 0x1f) << 8) | p[pos + 1];
      if (v >= 4096) v -= 8192;
      out.push_back(int_text(v));
      enc_len = 2;
    } else if ((b & 0xF0) == 0xE0) {
      if (avail < 2) return fail(why, "listpack entry out of bounds");
      size_t len = ((b & 0x0f) << 8) | p[pos + 1];
      enc_len = 2 + len;
      if (enc_len > avail) return fail(why, "listpack entry out of bounds");
      out.emplace_back(reinterpret_cast<const char*>(p + pos + 2), len);
    } else if (b == 0xF0) {
      if (avail < 5) return fail(why, "listpack entry out of bounds");
      size_t len = le32(p + pos + 1);
      if (len > avail - 5) return fail(why, "listpack entry out of bounds");
      enc_len = 5 + len;
      out.emplace_back(reinterpret_cast<const char*>(p + pos + 5), len);
    } else if (b >= 0xF1 && b <= 0xF4) {
      int bytes = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
      if (avail < static_cast<size_t>(1 + bytes)) {
        return fail(why, "listpack entry out of bounds");
      }
      out.push_back(int_text(le_signed(p + pos + 1, bytes)));
      enc_len = 1 + bytes;
    } else {
      return fail(why, "listpack entry with an unknown encoding");
    }
    size_t total = enc_len + backlen_size(enc_len);
    if (total > avail) return fail(why, "listpack entry out of bounds");
    pos += total;
    ++n;
  }
  if (declared != 65535 && declared != n) return fail(why, "listpack count mismatch");
  return true;
}

bool decode_ziplist(std::string_view blob, std::vector<std::string>& out, std::string* why) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  size_t size = blob.size();
  if (size < 11) return fail(why, "ziplist too short");
  if (le32(p) != size) return fail(why, "ziplist header size mismatch");
  size_t declared = le16(p + 8);
  size_t pos = 10, n = 0;
  while (true) {
    if (pos >= size) return fail(why, "ziplist without end marker");
    if (p[pos] == 0xFF) break;
    // Previous entry length: one byte, or 0xFE and four more.
    pos += p[pos] < 254 ? 1 : 5;
    if (pos >= size) return fail(why, "ziplist entry out of bounds");
    uint8_t b = p[pos];
    size_t avail = size - pos;
    auto need = [&](size_t k) { return k <= avail; };
    switch (b >> 6) {
      case 0: {
        size_t len = b & 0x3f;
        if (!need(1 + len)) return fail(why, "ziplist entry out of bounds");
        out.emplace_back(reinterpret_cast<const char*>(p + pos + 1), len);
        pos += 1 + len;
        break;
      }
      case 1: {
        if (!need(2)) return fail(why, "ziplist entry out of bounds");
        size_t len = ((b & 0x3f) << 8) | p[pos + 1];
        if (!need(2 + len)) return fail(why, "ziplist entry out of bounds");
        out.emplace_back(reinterpret_cast<const char*>(p + pos + 2), len);
        pos += 2 + len;
        break;
      }
      case 2: {
        if (b != 0x80 || !need(5)) return fail(why, "ziplist entry out of bounds");
        size_t len = size_t(p[pos + 1]) << 24 | size_t(p[pos + 2]) << 16 | size_t(p[pos + 3]) << 8 |
                     p[pos + 4];
        if (len > avail - 5) return fail(why, "ziplist entry out of bounds");
        out.emplace_back(reinterpret_cast<const char*>(p + pos + 5), len);
        pos += 5 + len;
        break;
      }
      default: {
        int bytes;
        if (b == 0xC0) {
          bytes = 2;
        } else if (b == 0xD0) {
          bytes = 4;
        } else if (b == 0xE0) {
          bytes = 8;
        } else if (b == 0xF0) {
          bytes = 3;
        } else if (b == 0xFE) {
          bytes = 1;
        } else if (b >= 0xF1 && b <= 0xFD) {
          out.push_back(int_text((b & 0x0f) - 1));
          pos += 1;
          break;
        } else {
          return fail(why, "ziplist entry with an unknown encoding");
        }
        if (!need(1 + static_cast<size_t>(bytes))) {
          return fail(why, "ziplist entry out of bounds");
        }
        out.push_back(int_text(le_signed(p + pos + 1, bytes)));
        pos += 1 + bytes;
      }
    }
    ++n;
  }
  if (pos != size - 1) return fail(why, "ziplist end marker before its end");
  if (declared != 65535 && declared != n) return fail(why, "ziplist count mismatch");
  return true;
}

bool decode_zipmap(std::string_view blob, std::vector<std::string>& out, std::string* why) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  size_t size = blob.size();
  if (size < 2) return fail(why, "zipmap too short");
  size_t pos = 1;
  auto read_len = [&](size_t* len) -> bool {
    if (pos >= size) return false;
    uint8_t b = p[pos];
    if (b < 254) {
      *len = b;
      pos += 1;
      return true;
    }
    if (b == 254 && size - pos >= 5) {
      *len = le32(p + pos + 1);
      pos += 5;
      return true;
    }
    return false;
  };
  while (true) {
    if (pos >= size) return fail(why, "zipmap without end marker");
    if (p[pos] == 0xFF) break;
    size_t klen, vlen;
    if (!read_len(&klen) || klen > size - pos) return fail(why, "zipmap entry out of bounds");
    out.emplace_back(reinterpret_cast<const char*>(p + pos), klen);
    pos += klen;
    if (!read_len(&vlen) || pos >= size) return fail(why, "zipmap entry out of bounds");
    size_t free_bytes = p[pos++];
    if (vlen > size - pos || free_bytes > size - pos - vlen) {
      return fail(why, "zipmap entry out of bounds");
    }
    out.emplace_back(reinterpret_cast<const char*>(p + pos), vlen);
    pos += vlen + free_bytes;
  }
  if ((out.size() & 1) != 0) return fail(why, "zipmap with an odd element count");
  return true;
}

bool decode_intset(std::string_view blob, std::vector<int64_t>& out, std::string* why) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 8) return fail(why, "intset too short");
  uint32_t width = le32(p);
  uint32_t count = le32(p + 4);
  if (width != 2 && width != 4 && width != 8) return fail(why, "intset with an invalid encoding");
  if (blob.size() != 8 + uint64_t(count) * width) return fail(why, "intset size mismatch");
  out.reserve(out.size() + count);
  for (uint32_t i = 0; i < count; ++i) {
    int64_t v = le_signed(p + 8 + size_t(i) * width, static_cast<int>(width));
    if (i > 0 && v <= out.back()) return fail(why, "intset members out of order");
    out.push_back(v);
  }
  return true;
}

std::string encode_intset(const std::vector<int64_t>& members) {
  uint32_t width = 2;
  for (int64_t v : members) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
      break;
    }
    if (v < INT16_MIN || v > INT16_MAX) width = 4;
  }
  std::string out;
  out.reserve(8 + members.size() * width);
  put_le(out, width, 4);
  put_le(out, members.size(), 4);
  for (int64_t v : members) put_le(out, static_cast<uint64_t>(v), static_cast<int>(width));
  return out;
}

}  // namespace terndb::storage::rdb
