// Serializes replies in RESP2 or RESP3 into a caller-owned output buffer.
//
// Callers describe replies by shape (map, set, null, double...) and the builder picks
// the wire form for the connection's protocol: a RESP2 map is a flat array, a RESP3
// null is `_`, and so on. Nothing here knows about sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace terndb::protocol {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out = nullptr, int resp = 2) : out_(out), resp_(resp) {}

  void set_output(std::string* out) { out_ = out; }
  std::string* output() const { return out_; }
  void set_resp(int resp) { resp_ = resp; }
  int resp() const { return resp_; }

  void simple(std::string_view s);  // +OK
  void ok() { out_->append("+OK\r\n", 5); }
  // `msg` without the leading '-' and without CRLF, e.g. "ERR syntax error". Newlines in
  // the message are replaced by spaces so the reply stays one line.
  void error(std::string_view msg);
  void integer(int64_t v);
  void bulk(std::string_view s);
  void null();          // nil bulk: $-1 / _
  void null_array();    // nil multibulk: *-1 / _
  void array(size_t n);
  void map(size_t n);   // n key/value pairs
  void set(size_t n);
  void push(size_t n);  // RESP3 push, RESP2 array
  void dbl(double d);   // RESP3 double, RESP2 bulk string
  void boolean(bool b); // RESP3 boolean, RESP2 integer 1/0
  void verbatim(std::string_view s, std::string_view format = "txt");
  void raw(std::string_view s) { out_->append(s); }
  void empty_array() { out_->append("*0\r\n", 4); }

  // Formats a double as Redis does for replies (%.17g, with inf/-inf/nan spelled out).
  static std::string format_double(double d);

 private:
  void header(char prefix, int64_t n);
  std::string* out_;
  int resp_;
};

}  // namespace terndb::protocol
