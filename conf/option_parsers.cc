// Parsers and checks of the options whose values are more than one number or word.
#include "conf/option_parsers.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "conf/config_file.h"
#include "protocol/numbers.h"
#include "protocol/resp_parser.h"

namespace terndb::conf {
namespace {

std::string join_words(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out.push_back(' ');
    out += args[i];
  }
  return out;
}

// strtoll over the whole word, as Redis reads the numbers inside multi-word options
// ("+5" and "007" pass, "5x" does not; out-of-range numbers saturate).
bool strtoll_whole(const std::string& s, long long& out) {
  char* end = nullptr;
  out = strtoll(s.c_str(), &end, 10);
  return *end == '\0';
}

// notify-keyspace-events: the class characters, kept in Redis's canonical order; the
// flag bits (Redis's NOTIFY_* values) are the option's number.
constexpr int kNotifyKeyspace = 1 << 0, kNotifyKeyevent = 1 << 1, kNotifyGeneric = 1 << 2,
              kNotifyString = 1 << 3, kNotifyList = 1 << 4, kNotifySet = 1 << 5,
              kNotifyHash = 1 << 6, kNotifyZset = 1 << 7, kNotifyExpired = 1 << 8,
              kNotifyEvicted = 1 << 9, kNotifyStream = 1 << 10, kNotifyKeyMiss = 1 << 11,
              kNotifyModule = 1 << 13, kNotifyNew = 1 << 14;
constexpr int kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
                           kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream |
                           kNotifyModule;

}  // namespace

// save <seconds> <changes> [<seconds> <changes> ...], or save "" for none.
bool parse_save(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> words = args;
  if (words.size() == 1 && words[0].empty()) words.clear();
  if (words.size() % 2 != 0) {
    err = "Invalid save parameters";
    return false;
  }
  std::vector<std::string> normalized;
  for (size_t j = 0; j < words.size(); ++j) {
    long long v;
    if (!strtoll_whole(words[j], v) || (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0)) {
      err = "Invalid save parameters";
      return false;
    }
    // Changes are an int in Redis: large values wrap the same way.
    normalized.push_back(j % 2 == 0 ? std::to_string(v) : std::to_string(static_cast<int>(v)));
  }
  out = join_words(normalized);
  return true;
}

bool parse_bind(const std::vector<std::string>& args, std::string& out, std::string& err) {
  if (args.size() > 16) {
    err = "Too many bind addresses specified.";
    return false;
  }
  if (args.size() == 1 && args[0].empty()) {
    out.clear();
    return true;
  }
  out = join_words(args);
  return true;
}

// client-output-buffer-limit <class> <hard> <soft> <seconds> [<class> ...]: updates the
// named classes and keeps the others.
bool parse_cobl(const std::vector<std::string>& args, std::string& out, std::string& err) {
  if (args.size() % 4 != 0) {
    err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  static const char* kClasses[] = {"normal", "slave", "pubsub"};
  std::string values[3] = {"0 0 0", "268435456 67108864 60", "33554432 8388608 60"};
  std::vector<std::string> cur;
  protocol::split_args(out, cur);
  for (size_t i = 0; i + 3 < cur.size(); i += 4) {
    for (int c = 0; c < 3; ++c)
      if (cur[i] == kClasses[c]) values[c] = cur[i + 1] + " " + cur[i + 2] + " " + cur[i + 3];
  }
  // All classes are checked before any is changed.
  std::string updated[3] = {values[0], values[1], values[2]};
  for (size_t i = 0; i < args.size(); i += 4) {
    std::string cls;
    for (char ch : args[i])
      cls.push_back(static_cast<char>(tolower(static_cast<unsigned char>(ch))));
    if (cls == "replica") cls = "slave";
    int idx = -1;
    for (int c = 0; c < 3; ++c)
      if (cls == kClasses[c]) idx = c;
    if (idx < 0) {
      err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    long long hard, soft, secs;
    if (!parse_memory(args[i + 1], hard) || !parse_memory(args[i + 2], soft) ||
        !strtoll_whole(args[i + 3], secs) || secs < 0 || secs > INT_MAX) {
      err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    updated[idx] = std::to_string(hard) + " " + std::to_string(soft) + " " + std::to_string(secs);
  }
  out = "normal " + updated[0] + " slave " + updated[1] + " pubsub " + updated[2];
  return true;
}

// replicaof <host> <port>, or replicaof no one. Repeatable: keydb.conf lists one line per
// master for multi-master setups.
bool parse_replicaof(const std::vector<std::string>& args, std::string& out, std::string& err) {
  if (args.size() == 1 && args[0].empty()) {  // the default
    out.clear();
    return true;
  }
  if (args.size() != 2) {
    err = "wrong number of arguments";
    return false;
  }
  if (strcasecmp(args[0].c_str(), "no") == 0 && strcasecmp(args[1].c_str(), "one") == 0) {
    out.clear();
    return true;
  }
  errno = 0;
  char* end = nullptr;
  long port = strtol(args[1].c_str(), &end, 10);
  if (port < 0 || port > 65535 || *end != '\0') {
    err = "Invalid master port";
    return false;
  }
  out = args[0] + " " + std::to_string(port);
  return true;
}

bool parse_oom_score_values(const std::vector<std::string>& args, std::string& out,
                            std::string& err) {
  if (args.size() != 3) {
    err = "wrong number of arguments";
    return false;
  }
  std::vector<std::string> values;
  for (auto& w : args) {
    long long v;
    if (!strtoll_whole(w, v) || v < -2000 || v > 2000) {
      err = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
      return false;
    }
    values.push_back(std::to_string(v));
  }
  out = join_words(values);
  return true;
}

// Percentiles print as "%f" with trailing zeros dropped, as Redis prints them.
bool parse_percentiles(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> words = args;
  if (words.size() == 1 && words[0].empty()) words.clear();
  std::vector<std::string> values;
  for (auto& w : words) {
    double d;
    if (!protocol::parse_double(w, d)) {
      err = "Invalid latency-tracking-info-percentiles parameters";
      return false;
    }
    if (d > 100.0 || d < 0.0) {
      err = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
      return false;
    }
    char buf[64];
    snprintf(buf, sizeof(buf), "%f", d);
    std::string s = buf;
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    values.push_back(s);
  }
  out = join_words(values);
  return true;
}

int notify_flags(const std::string& classes) {
  static const std::pair<char, int> kClasses[] = {
      {'A', kNotifyAll},     {'g', kNotifyGeneric},  {'$', kNotifyString},   {'l', kNotifyList},
      {'s', kNotifySet},     {'h', kNotifyHash},     {'z', kNotifyZset},     {'x', kNotifyExpired},
      {'e', kNotifyEvicted}, {'K', kNotifyKeyspace}, {'E', kNotifyKeyevent}, {'t', kNotifyStream},
      {'m', kNotifyKeyMiss}, {'d', kNotifyModule},   {'n', kNotifyNew}};
  int flags = 0;
  for (char c : classes) {
    auto it = std::find_if(std::begin(kClasses), std::end(kClasses),
                           [c](const std::pair<char, int>& k) { return k.first == c; });
    if (it == std::end(kClasses)) return -1;
    flags |= it->second;
  }
  return flags;
}

std::string notify_classes(int flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    static const std::pair<int, char> kOrder[] = {
        {kNotifyGeneric, 'g'}, {kNotifyString, '$'}, {kNotifyList, 'l'},    {kNotifySet, 's'},
        {kNotifyHash, 'h'},    {kNotifyZset, 'z'},   {kNotifyExpired, 'x'}, {kNotifyEvicted, 'e'},
        {kNotifyStream, 't'},  {kNotifyModule, 'd'}, {kNotifyNew, 'n'}};
    for (auto [bit, ch] : kOrder)
      if (flags & bit) out += ch;
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

// shutdown-on-sigint / shutdown-on-sigterm: a set of flags, "default" being none.
bool parse_shutdown_flags(const std::vector<std::string>& args, std::string& out,
                          std::string& err) {
  static const char* kNames[] = {"save", "nosave", "now", "force"};
  int flags = 0;
  bool ok = !args.empty();
  for (auto& a : args) {
    if (strcasecmp(a.c_str(), "default") == 0) continue;
    bool found = false;
    for (int i = 0; i < 4; ++i) {
      if (strcasecmp(a.c_str(), kNames[i]) == 0) {
        flags |= 1 << i;
        found = true;
      }
    }
    ok = ok && found;
  }
  if (!ok) {
    err = "argument(s) must be one of the following: default, save, nosave, now, force";
    return false;
  }
  if ((flags & 1) && (flags & 2)) {
    err = "shutdown options SAVE and NOSAVE can't be used simultaneously";
    return false;
  }
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i)
    if (flags & (1 << i)) names.push_back(kNames[i]);
  out = names.empty() ? "default" : join_words(names);
  return true;
}

// hz is a hint: any value in range is accepted and capped to 1..500, as Redis does.
bool parse_hz(const std::vector<std::string>& args, std::string& out, std::string& err) {
  int64_t v;
  if (!protocol::parse_int64(args[0], v)) {
    err = "argument couldn't be parsed into an integer";
    return false;
  }
  if (v < 0 || v > INT_MAX) {
    err = "argument must be between 0 and 2147483647 inclusive";
    return false;
  }
  out = std::to_string(std::clamp<int64_t>(v, 1, 500));
  return true;
}

bool parse_words(const std::vector<std::string>& args, std::string& out, std::string&) {
  out = join_words(args);
  if (args.size() == 1 && args[0].empty()) out.clear();
  return true;
}

// rename-command <name> <new-name|"">: pairs kept quoted so an empty new name survives.
bool parse_rename(const std::vector<std::string>& args, std::string& out, std::string& err) {
  if (args.size() == 1 && args[0].empty()) {  // the default: no renames
    out.clear();
    return true;
  }
  if (args.size() != 2) {
    err = "Bad directive or wrong number of arguments";
    return false;
  }
  out.clear();
  for (auto& a : args) {
    if (!out.empty()) out.push_back(' ');
    out += a.empty() ? "\"\"" : a;
  }
  return true;
}

// KeyDB's thread affinity switch takes true/false.
bool parse_true_false(const std::vector<std::string>& args, std::string& out, std::string& err) {
  const std::string& v = args[0];
  if (strcasecmp(v.c_str(), "true") == 0 || strcasecmp(v.c_str(), "yes") == 0) {
    out = "true";
  } else if (strcasecmp(v.c_str(), "false") == 0 || strcasecmp(v.c_str(), "no") == 0) {
    out = "false";
  } else {
    err = "Unknown argument: server-thread-affinity expects either true or false";
    return false;
  }
  return true;
}

bool is_base_name(const std::string& v) {
  return v.find('/') == std::string::npos;
}

bool valid_hostname(const std::string& v, std::string& err) {
  if (v.size() >= 256) {
    err = "Hostnames must be less than 256 characters";
    return false;
  }
  for (unsigned char c : v) {
    if (!isalnum(c) && c != '-' && c != '.') {
      err = "Hostnames may only contain alphanumeric characters, hyphens or dots";
      return false;
    }
  }
  return true;
}

// proc-title-template: known {variables}, balanced braces ({{ and }} escape them), and a
// non-empty result once expanded with an empty title, as Redis checks it.
bool valid_proc_title(const std::string& v, std::string& err) {
  static const char* kVars[] = {"title",    "listen-addr", "server-mode", "port",
                                "tls-port", "unixsocket",  "config-file"};
  bool produces_text = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '{' && i + 1 < v.size() && v[i + 1] == '{') {
      produces_text = true;
      ++i;
    } else if (c == '}' && i + 1 < v.size() && v[i + 1] == '}') {
      produces_text = true;
      ++i;
    } else if (c == '{') {
      size_t close = v.find('}', i);
      std::string var = close == std::string::npos ? "" : v.substr(i + 1, close - i - 1);
      bool known = false;
      for (const char* k : kVars) known = known || var == k;
      if (!known) {
        err = "template format is invalid or contains unknown variables";
        return false;
      }
      // {title} and {server-mode} are empty when the template is checked.
      if (var != "title" && var != "server-mode" && var != "unixsocket" && var != "config-file")
        produces_text = true;
      i = close;
    } else if (c == '}') {
      err = "template format is invalid or contains unknown variables";
      return false;
    } else if (c != ' ') {
      produces_text = true;
    }
  }
  if (!produces_text) {
    err = "template format is invalid or contains unknown variables";
    return false;
  }
  return true;
}

std::string working_directory() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? std::string(buf) : std::string();
}

}  // namespace terndb::conf
