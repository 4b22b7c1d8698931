// Incremental parser for client requests: RESP multibulk frames and inline commands.
//
// The parser reads from a caller-owned buffer. `parse()` consumes at most one complete
// command starting at the buffer's current read position. A partial frame leaves the
// read position untouched but keeps enough state (argument offsets, the bulk length it
// waits for) that the next call resumes in O(new bytes), so a 500 MB bulk that arrives
// in thousands of reads is not rescanned each time.
//
// Arguments are returned as views into the buffer; they stay valid until the caller
// moves or compacts the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace terndb::protocol {

struct ParserLimits {
  int64_t max_bulk_len = 512ll * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = 2147483647;  // INT_MAX, as Redis
  // Unauthenticated clients get much smaller limits, as in Redis, so that a
  // stranger cannot make the server reserve memory before AUTH.
  bool authenticated = true;
};

enum class ParseStatus {
  kNeedMore,  // no complete command yet; feed more bytes
  kCommand,   // `args` holds one command; `consumed` bytes were used
  kEmpty,     // an empty inline line or empty multibulk (*0 / *-1): skip it
  kError,     // protocol error: reply `error` and close the connection
};

class RequestParser {
 public:
  // Parses one command from data[0, size). On kCommand/kEmpty, `consumed()` bytes may be
  // dropped from the front of the buffer. On kNeedMore, `hint_size()` says how many bytes
  // the buffer should be able to hold to finish the frame (0 if unknown).
  ParseStatus parse(const char* data, size_t size, const ParserLimits& limits);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }
  size_t hint_size() const { return hint_size_; }
  // True while a frame has been started but is not complete.
  bool in_frame() const { return state_ != State::kIdle; }
  void reset();

 private:
  enum class State { kIdle, kMultibulk };
  ParseStatus parse_inline(const char* data, size_t size);
  ParseStatus parse_multibulk(const char* data, size_t size, const ParserLimits& limits);
  ParseStatus fail(std::string msg);

  State state_ = State::kIdle;
  int64_t expected_args_ = 0;
  size_t pos_ = 0;  // resume offset inside the current frame
  std::vector<std::pair<size_t, size_t>> offsets_;  // (start, len) per parsed argument
  std::vector<std::string_view> args_;
  std::string inline_storage_;  // unquoted inline arguments need their own bytes
  std::vector<size_t> inline_bounds_;
  size_t consumed_ = 0;
  size_t hint_size_ = 0;
  std::string error_;
};

// Splits a line the way redis.conf and inline commands are split: spaces separate,
// "double quotes" accept \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' accept \'.
// Returns false on unbalanced quotes.
bool split_args(std::string_view line, std::vector<std::string>& out);

}  // namespace terndb::protocol
