// A connection's request bytes: unparsed data in [begin, end) of one heap block, grown
// without zero-filling (reads overwrite it) and compacted only when space is needed.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace terndb::server {

class InputBuffer {
 public:
  const char* data() const { return block_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  size_t capacity() const { return cap_; }
  // `keep_position`: a read into the free end is in flight, so the data must not move
  // (an emptied buffer is rewound only when no read is pending).
  void consume(size_t n, bool keep_position = false) {
    begin_ += n;
    if (begin_ == end_ && !keep_position) begin_ = end_ = 0;
  }
  // Returns room for at least `n` more bytes after the data.
  char* prepare(size_t n) {
    if (cap_ - end_ >= n) return block_.get() + end_;
    size_t len = size();
    if (begin_ > 0 && cap_ - len >= n && len < cap_ / 2) {
      memmove(block_.get(), block_.get() + begin_, len);
    } else {
      size_t new_cap = std::max(cap_ * 2, len + n);
      auto fresh = std::make_unique_for_overwrite<char[]>(new_cap);
      if (len) memcpy(fresh.get(), block_.get() + begin_, len);
      block_ = std::move(fresh);
      cap_ = new_cap;
    }
    begin_ = 0;
    end_ = len;
    return block_.get() + end_;
  }
  size_t writable() const { return cap_ - end_; }
  void commit(size_t n) { end_ += n; }
  // Gives back a big block once it is no longer needed (after a huge request).
  void release_if_oversized(size_t keep) {
    if (cap_ > keep && size() < keep / 4) {
      auto fresh = std::make_unique_for_overwrite<char[]>(keep);
      size_t len = size();
      if (len) memcpy(fresh.get(), block_.get() + begin_, len);
      block_ = std::move(fresh);
      cap_ = keep;
      begin_ = 0;
      end_ = len;
    }
  }

 private:
  std::unique_ptr<char[]> block_;
  size_t cap_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace terndb::server
