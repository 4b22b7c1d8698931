// The packed blobs that RDB files embed as strings: Redis's listpack (written and read),
// and, read only, the older ziplist, zipmap and intset layouts. These are Redis's on-disk
// byte layouts, independent of how terndb keeps values in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace terndb::storage::rdb {

// Builds a Redis listpack: [total bytes u32][count u16][entries][0xFF], each entry its
// encoding, its data and its back-length. Strings that are canonical integers are stored
// as integers, as Redis stores them.
class ListpackWriter {
 public:
  ListpackWriter();
  void append(std::string_view s);
  size_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }  // with the end marker
  // The finished listpack; the writer is reset.
  std::string finish();
  // Bytes append(s) would add.
  static size_t entry_size(std::string_view s);

 private:
  std::string buf_;
  size_t count_ = 0;
};

// Decoders append each element's text to `out` and return false (with a reason) on any
// malformed or out-of-bounds content.
bool decode_listpack(std::string_view blob, std::vector<std::string>& out, std::string* why);
bool decode_ziplist(std::string_view blob, std::vector<std::string>& out, std::string* why);
// Zipmap: fields and values alternate in `out`.
bool decode_zipmap(std::string_view blob, std::vector<std::string>& out, std::string* why);
bool decode_intset(std::string_view blob, std::vector<int64_t>& out, std::string* why);

// Intset layout: [encoding u32 = 2, 4 or 8][count u32][members ascending, little-endian].
std::string encode_intset(const std::vector<int64_t>& sorted_members);

}  // namespace terndb::storage::rdb
