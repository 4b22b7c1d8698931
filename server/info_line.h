// INFO's text format: one "name:value" line, printf-style, ended with Redis's CRLF. Shared
// by the sections INFO assembles from several files (server/cmd_info.cc, persistence,
// flash).
#pragma once

#include <string>

namespace terndb::server {

void info_line(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace terndb::server
