#include "protocol/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace terndb::protocol {

void ReplyBuilder::header(char prefix, int64_t n) {
  char buf[32];
  buf[0] = prefix;
  auto res = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  *res.ptr++ = '\r';
  *res.ptr++ = '\n';
  out_->append(buf, static_cast<size_t>(res.ptr - buf));
}

void ReplyBuilder::simple(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::error(std::string_view msg) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(msg);
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyBuilder::integer(int64_t v) { header(':', v); }

void ReplyBuilder::bulk(std::string_view s) {
  header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::null() {
  if (resp_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("$-1\r\n", 5);
}

void ReplyBuilder::null_array() {
  if (resp_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("*-1\r\n", 5);
}

void ReplyBuilder::array(size_t n) { header('*', static_cast<int64_t>(n)); }

void ReplyBuilder::map(size_t n) {
  if (resp_ >= 3)
    header('%', static_cast<int64_t>(n));
  else
    header('*', static_cast<int64_t>(n * 2));
}

void ReplyBuilder::set(size_t n) { header(resp_ >= 3 ? '~' : '*', static_cast<int64_t>(n)); }

void ReplyBuilder::push(size_t n) { header(resp_ >= 3 ? '>' : '*', static_cast<int64_t>(n)); }

std::string ReplyBuilder::format_double(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (std::isnan(d)) return "nan";
  char buf[64];
  int len = snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(len));
}

void ReplyBuilder::dbl(double d) {
  if (resp_ >= 3) {
    out_->push_back(',');
    out_->append(format_double(d));
    out_->append("\r\n", 2);
  } else {
    bulk(format_double(d));
  }
}

void ReplyBuilder::boolean(bool b) {
  if (resp_ >= 3)
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  else
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
}

void ReplyBuilder::verbatim(std::string_view s, std::string_view format) {
  if (resp_ >= 3) {
    header('=', static_cast<int64_t>(s.size() + 4));
    out_->append(format);
    out_->push_back(':');
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    bulk(s);
  }
}

}  // namespace terndb::protocol
