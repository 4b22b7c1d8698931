#include "server/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace terndb::server {
namespace {
std::mutex g_mu;
std::string g_file;
std::atomic<int> g_level{static_cast<int>(LogLevel::kNotice)};
std::atomic<char> g_role{'M'};
}  // namespace

void log_configure(const std::string& file, LogLevel level) {
  std::lock_guard<std::mutex> g(g_mu);
  g_file = file;
  g_level = static_cast<int>(level);
}

void log_set_level(LogLevel level) { g_level = static_cast<int>(level); }
void log_set_role(char role) { g_role = role; }
bool log_enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void log_line(LogLevel level, const std::string& msg) {
  if (!log_enabled(level) || level == LogLevel::kNothing) return;
  static const char kMarks[] = {'.', '-', '*', '#'};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  char when[64];
  size_t n = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &t);
  snprintf(when + n, sizeof(when) - n, "%03d", static_cast<int>(tv.tv_usec / 1000));
  std::lock_guard<std::mutex> g(g_mu);
  FILE* out = stdout;
  bool close_after = false;
  if (!g_file.empty()) {
    out = fopen(g_file.c_str(), "a");
    if (!out) return;
    close_after = true;
  }
  fprintf(out, "%d:%c %s %c %s\n", static_cast<int>(getpid()), g_role.load(), when,
          kMarks[static_cast<int>(level)], msg.c_str());
  fflush(out);
  if (close_after) fclose(out);
}

void logf(LogLevel level, const char* fmt, ...) {
  if (!log_enabled(level)) return;
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  log_line(level, buf);
}

}  // namespace terndb::server
