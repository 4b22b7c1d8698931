// Reading redis.conf-syntax files: one directive per line, arguments split as redis.conf
// splits them (quotes and escapes), `#` comments, `include <path-or-glob>` expanded in place.
// Each directive remembers its file and line so errors can name them.
#pragma once

#include <string>
#include <vector>

namespace terndb::conf {

struct Directive {
  std::string file;
  int line = 0;
  std::string text;               // the line as written, for error messages
  std::vector<std::string> args;  // args[0] is the directive name, lowercased
};

struct ConfigError {
  std::string file;
  int line = 0;
  std::string text;
  std::string reason;
  // The whole message, naming file, line and reason.
  std::string describe() const;
};

// Appends the directives of `path` (and of the files it includes) to `out`. Returns false
// and fills `err` on an unreadable file or a line that cannot be split.
bool read_config_file(const std::string& path, std::vector<Directive>& out, ConfigError& err,
                      int depth = 0);
// Parses text as if it were a file called `name` (tests, --option overrides).
bool parse_config_text(const std::string& text, const std::string& name,
                       std::vector<Directive>& out, ConfigError& err, int depth = 0);

// Parses "100mb", "1gb", "512k", "1024" into bytes (units as redis.conf defines them,
// case-insensitive: b=1, k=1000, kb=1024, m=1000^2, mb=1024^2, g=1000^3, gb=1024^3). Like
// Redis: digits then a unit, no sign or spaces, leading zeros allowed, "" is 0. False on
// malformed input or a value beyond int64.
bool parse_memory(const std::string& s, long long& out);
// Exactly Redis's memtoull, which CONFIG SET and the config file use for memory options:
// as parse_memory, but a number too large saturates at 2^64-1 and the unit multiplies
// modulo 2^64 instead of failing.
bool parse_memory_unsigned(const std::string& s, unsigned long long& out);

}  // namespace terndb::conf
