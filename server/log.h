// The server log, in Redis's line format so existing log tooling reads it:
//   <pid>:<role> <dd Mon yyyy hh:mm:ss.mmm> <level char> <message>
// level chars: '.' debug, '-' verbose, '*' notice, '#' warning.
#pragma once

#include <string>

namespace terndb::server {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

void log_configure(const std::string& file, LogLevel level);
void log_set_level(LogLevel level);
void log_set_role(char role);  // 'M' master, 'S' replica, 'C' child
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string& msg);

// printf-style helpers
void logf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace terndb::server
