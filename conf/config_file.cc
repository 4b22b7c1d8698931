#include "conf/config_file.h"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "protocol/resp_parser.h"

namespace terndb::conf {

std::string ConfigError::describe() const {
  std::ostringstream os;
  os << "*** FATAL CONFIG FILE ERROR ***\n";
  if (line > 0) {
    os << "Reading the configuration file " << file << ", at line " << line << "\n";
    os << ">>> '" << text << "'\n";
  } else if (!file.empty()) {
    os << "Reading the configuration file " << file << "\n";
  }
  os << reason;
  return os.str();
}

namespace {

// `include` takes a file or, as in Redis 7, a glob: every match is read in name order and a
// glob that matches nothing is not an error (an empty conf.d directory).
bool read_included(const std::string& pattern, std::vector<Directive>& out, ConfigError& err,
                   int depth) {
  if (pattern.find_first_of("*?[") == std::string::npos) {
    return read_config_file(pattern, out, err, depth);
  }
  glob_t g{};
  int rc = glob(pattern.c_str(), 0, nullptr, &g);
  bool ok = true;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc && ok; ++i)
      ok = read_config_file(g.gl_pathv[i], out, err, depth);
  }
  globfree(&g);
  return ok;
}

}  // namespace

bool parse_config_text(const std::string& text, const std::string& name,
                       std::vector<Directive>& out, ConfigError& err, int depth) {
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    Directive d;
    d.file = name;
    d.line = lineno;
    d.text = line;
    if (!protocol::split_args(line, d.args)) {
      err = {name, lineno, line, "Unbalanced quotes in configuration line"};
      return false;
    }
    if (d.args.empty()) continue;
    std::transform(d.args[0].begin(), d.args[0].end(), d.args[0].begin(),
                   [](unsigned char c) { return static_cast<char>(tolower(c)); });
    if (d.args[0] == "include") {
      if (d.args.size() != 2) {
        err = {name, lineno, line, "include takes exactly one file name"};
        return false;
      }
      if (depth > 16) {
        err = {name, lineno, line, "include nested too deeply"};
        return false;
      }
      if (!read_included(d.args[1], out, err, depth + 1)) {
        if (err.line == 0) err = {name, lineno, line, err.reason};
        return false;
      }
      continue;
    }
    out.push_back(std::move(d));
  }
  return true;
}

bool read_config_file(const std::string& path, std::vector<Directive>& out, ConfigError& err,
                      int depth) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    err = {path, 0, "", "Fatal error, can't open config file '" + path + "': " + strerror(errno)};
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_config_text(ss.str(), path, out, err, depth);
}

namespace {

// Splits "<digits><unit>" and returns the unit's multiplier (0 when malformed).
unsigned long long memory_parts(const std::string& s, size_t& digits) {
  digits = 0;
  while (digits < s.size() && isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  std::string unit;
  for (size_t i = digits; i < s.size(); ++i)
    unit.push_back(static_cast<char>(tolower(static_cast<unsigned char>(s[i]))));
  static const std::pair<const char*, unsigned long long> kUnits[] = {
      {"", 1},           {"b", 1},
      {"k", 1000},       {"kb", 1024},
      {"m", 1000000},    {"mb", 1024 * 1024},
      {"g", 1000000000}, {"gb", 1024ull * 1024 * 1024}};
  for (auto& [name, m] : kUnits)
    if (unit == name) return m;
  return 0;
}

}  // namespace

bool parse_memory(const std::string& s, long long& out) {
  // As Redis's memtoull: digits, then an optional unit; no sign, no spaces. Leading zeros
  // are fine and an empty number is 0 (Redis accepts `maxmemory ""`).
  size_t digits;
  unsigned long long mul = memory_parts(s, digits);
  if (mul == 0 || digits > 20) return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < digits; ++i) {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (v > (ULLONG_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v > static_cast<unsigned long long>(LLONG_MAX) / mul) return false;
  out = static_cast<long long>(v * mul);
  return true;
}

bool parse_memory_unsigned(const std::string& s, unsigned long long& out) {
  size_t digits;
  unsigned long long mul = memory_parts(s, digits);
  if (mul == 0 || digits >= 128) return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < digits; ++i) {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    v = v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : v * 10 + d;  // strtoull saturates
  }
  out = v * mul;
  return true;
}

}  // namespace terndb::conf
