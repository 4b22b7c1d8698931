#include "protocol/resp_parser.h"

#include <cstring>
#include <limits>

namespace terndb::protocol {
namespace {

// Longest header or inline line accepted without its newline, as Redis (64 KB).
constexpr size_t kMaxInlineSize = 64 * 1024;
// Limits applied before a client has authenticated.
constexpr int64_t kUnauthMaxArgs = 10;
constexpr int64_t kUnauthMaxBulk = 16384;

// Strict decimal parse of a whole string into int64 (no spaces, no '+', no leading zeros).
bool parse_ll(const char* s, size_t len, int64_t& out) {
  if (len == 0 || len > 20) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (len == 1) return false;
  }
  if (s[i] == '0' && len - i > 1) return false;
  uint64_t v = 0;
  for (; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return false;
    out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(v);
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

}  // namespace

bool split_args(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;  // unterminated quotes
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_value(line[i + 2]) >= 0 &&
            hex_value(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n': cur.push_back('\n'); break;
            case 'r': cur.push_back('\r'); break;
            case 't': cur.push_back('\t'); break;
            case 'b': cur.push_back('\b'); break;
            case 'a': cur.push_back('\a'); break;
            default: cur.push_back(line[i]); break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < n && !is_space(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !is_space(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else {
        if (i >= n) break;
        char c = line[i];
        if (is_space(c)) {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      if (i < n) ++i;
    }
    out.push_back(std::move(cur));
  }
}

void RequestParser::reset() {
  state_ = State::kIdle;
  expected_args_ = 0;
  pos_ = 0;
  offsets_.clear();
  hint_size_ = 0;
}

ParseStatus RequestParser::fail(std::string msg) {
  error_ = std::move(msg);
  reset();
  return ParseStatus::kError;
}

ParseStatus RequestParser::parse(const char* data, size_t size, const ParserLimits& limits) {
  consumed_ = 0;
  hint_size_ = 0;
  if (size == 0) return ParseStatus::kNeedMore;
  if (state_ == State::kIdle && data[0] != '*') return parse_inline(data, size);
  return parse_multibulk(data, size, limits);
}

ParseStatus RequestParser::parse_inline(const char* data, size_t size) {
  const char* nl = static_cast<const char*>(memchr(data, '\n', size));
  if (!nl) {
    if (size > kMaxInlineSize) return fail("Protocol error: too big inline request");
    return ParseStatus::kNeedMore;
  }
  size_t line_len = static_cast<size_t>(nl - data);
  consumed_ = line_len + 1;
  if (line_len > 0 && data[line_len - 1] == '\r') --line_len;
  std::vector<std::string> parts;
  if (!split_args(std::string_view(data, line_len), parts)) {
    return fail("Protocol error: unbalanced quotes in request");
  }
  args_.clear();
  if (parts.empty()) return ParseStatus::kEmpty;
  // Keep the unquoted bytes alive in one string; views point into it.
  inline_storage_.clear();
  inline_bounds_.clear();
  for (auto& p : parts) {
    inline_bounds_.push_back(inline_storage_.size());
    inline_storage_ += p;
  }
  inline_bounds_.push_back(inline_storage_.size());
  for (size_t i = 0; i + 1 < inline_bounds_.size(); ++i) {
    args_.emplace_back(inline_storage_.data() + inline_bounds_[i],
                       inline_bounds_[i + 1] - inline_bounds_[i]);
  }
  return ParseStatus::kCommand;
}

ParseStatus RequestParser::parse_multibulk(const char* data, size_t size,
                                           const ParserLimits& limits) {
  if (state_ == State::kIdle) {
    const char* cr = static_cast<const char*>(memchr(data, '\r', size));
    if (!cr) {
      if (size > kMaxInlineSize) return fail("Protocol error: too big mbulk count string");
      return ParseStatus::kNeedMore;
    }
    size_t header_len = static_cast<size_t>(cr - data);
    if (header_len + 2 > size) return ParseStatus::kNeedMore;  // wait for the '\n'
    int64_t count = 0;
    bool ok = parse_ll(data + 1, header_len - 1, count);
    if (!ok || count > std::numeric_limits<int32_t>::max() ||
        count > limits.max_multibulk_len) {
      return fail("Protocol error: invalid multibulk length");
    }
    if (!limits.authenticated && count > kUnauthMaxArgs) {
      return fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = header_len + 2;
    if (count <= 0) {
      consumed_ = pos_;
      reset();
      args_.clear();
      return ParseStatus::kEmpty;
    }
    expected_args_ = count;
    offsets_.clear();
    offsets_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
    state_ = State::kMultibulk;
  }

  while (static_cast<int64_t>(offsets_.size()) < expected_args_) {
    if (pos_ >= size) return ParseStatus::kNeedMore;
    const char* p = data + pos_;
    size_t avail = size - pos_;
    const char* cr = static_cast<const char*>(memchr(p, '\r', avail));
    if (!cr) {
      if (avail > kMaxInlineSize) return fail("Protocol error: too big bulk count string");
      return ParseStatus::kNeedMore;
    }
    if (p[0] != '$') {
      return fail(std::string("Protocol error: expected '$', got '") + p[0] + "'");
    }
    size_t header_len = static_cast<size_t>(cr - p);
    if (header_len + 2 > avail) return ParseStatus::kNeedMore;
    int64_t len = 0;
    bool ok = parse_ll(p + 1, header_len - 1, len);
    if (!ok || len < 0 || len > limits.max_bulk_len) {
      return fail("Protocol error: invalid bulk length");
    }
    if (!limits.authenticated && len > kUnauthMaxBulk) {
      return fail("Protocol error: unauthenticated bulk length");
    }
    size_t start = pos_ + header_len + 2;
    size_t need = start + static_cast<size_t>(len) + 2;
    if (need > size) {
      hint_size_ = need;
      return ParseStatus::kNeedMore;
    }
    offsets_.emplace_back(start, static_cast<size_t>(len));
    pos_ = need;
  }

  args_.clear();
  for (auto [start, len] : offsets_) args_.emplace_back(data + start, len);
  consumed_ = pos_;
  reset();
  return ParseStatus::kCommand;
}

}  // namespace terndb::protocol
