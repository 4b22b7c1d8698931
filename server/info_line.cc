#include "server/info_line.h"

#include <cstdarg>
#include <cstdio>

namespace terndb::server {

void info_line(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(buf)) {
    out.append(buf, static_cast<size_t>(n));
  } else {
    // A long value (a client list, a path): formatted again at its full size.
    std::string big(static_cast<size_t>(n) + 1, '\0');
    va_start(ap, fmt);
    vsnprintf(big.data(), big.size(), fmt, ap);
    va_end(ap);
    big.pop_back();
    out += big;
  }
  out += "\r\n";
}

}  // namespace terndb::server
