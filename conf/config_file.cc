#include "conf/config_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cctype>
#include <fstream>
#include <sstream>

#include "protocol/numbers.h"
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
      if (!read_config_file(d.args[1], out, err, depth + 1)) {
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

bool parse_memory(const std::string& s, long long& out) {
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(tolower(static_cast<unsigned char>(c))));
  long long mul = 1;
  size_t num_len = lower.size();
  auto ends = [&](const char* suffix, long long m) {
    size_t n = strlen(suffix);
    if (lower.size() > n && lower.compare(lower.size() - n, n, suffix) == 0) {
      mul = m;
      num_len = lower.size() - n;
      return true;
    }
    return false;
  };
  ends("gb", 1024ll * 1024 * 1024) || ends("mb", 1024ll * 1024) || ends("kb", 1024) ||
      ends("g", 1000ll * 1000 * 1000) || ends("m", 1000ll * 1000) || ends("k", 1000) ||
      ends("b", 1);
  int64_t v;
  if (!protocol::parse_int64(std::string_view(lower).substr(0, num_len), v)) return false;
  if (v != 0 && (v > INT64_MAX / mul || v < INT64_MIN / mul)) return false;
  out = v * mul;
  return true;
}

}  // namespace terndb::conf
