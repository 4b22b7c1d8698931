#include "protocol/numbers.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace terndb::protocol {

bool parse_uint64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s[0] == '0' && s.size() > 1) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool parse_int64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  bool neg = s[0] == '-';
  std::string_view digits = neg ? s.substr(1) : s;
  if (digits.empty()) return false;
  uint64_t v;
  if (!parse_uint64(digits, v)) return false;
  if (neg) {
    if (v == 0) return false;  // "-0" is not canonical
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return false;
    out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(v);
  }
  return true;
}

bool parse_double(std::string_view s, double& out) {
  if (s.empty() || s.size() > 256) return false;
  if (isspace(static_cast<unsigned char>(s[0]))) return false;
  char buf[257];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  double v = strtod(buf, &end);
  if (end != buf + s.size() || std::isnan(v)) return false;
  if (errno == ERANGE && !std::isinf(v) && v != 0) return false;
  out = v;
  return true;
}

bool parse_long_double(std::string_view s, long double& out) {
  if (s.empty() || s.size() > 5120) return false;
  if (isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v) || errno == ERANGE) return false;
  out = v;
  return true;
}

size_t format_int64(int64_t v, char* buf) {
  auto res = std::to_chars(buf, buf + 21, v);
  return static_cast<size_t>(res.ptr - buf);
}

std::string int64_to_string(int64_t v) {
  char buf[24];
  return std::string(buf, format_int64(v, buf));
}

std::string format_long_double(long double v) {
  char buf[5600];
  int len = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return "0";
  if (strchr(buf, '.') != nullptr) {
    while (len > 0 && buf[len - 1] == '0') --len;
    if (len > 0 && buf[len - 1] == '.') --len;
  }
  std::string r(buf, static_cast<size_t>(len));
  if (r == "-0") r = "0";
  return r;
}

}  // namespace terndb::protocol
