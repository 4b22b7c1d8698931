#include "conf/config_registry.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "protocol/numbers.h"
#include "protocol/resp_parser.h"
#include "storage/glob.h"

namespace terndb::conf {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_glob_chars(const std::string& s) {
  return s.find_first_of("[*?") != std::string::npos;
}

// Quote a value for a config file if it needs it.
std::string quote_if_needed(const std::string& v) {
  if (v.empty()) return "\"\"";
  bool plain = std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return c > ' ' && c < 127 && c != '"' && c != '\'' && c != '\\';
  });
  if (plain) return v;
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < ' ' || c >= 127) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// Memory values are written back with the largest exact unit, as Redis writes them.
std::string format_memory_for_file(int64_t bytes) {
  const int64_t kb = 1024, mb = kb * 1024, gb = mb * 1024;
  if (bytes != 0 && bytes % gb == 0) return std::to_string(bytes / gb) + "gb";
  if (bytes != 0 && bytes % mb == 0) return std::to_string(bytes / mb) + "mb";
  if (bytes != 0 && bytes % kb == 0) return std::to_string(bytes / kb) + "kb";
  return std::to_string(bytes);
}

std::string range_error(int64_t min, int64_t max, bool octal) {
  char buf[128];
  if (octal) {
    snprintf(buf, sizeof(buf), "argument must be between %" PRIo64 " and %" PRIo64 " inclusive",
             static_cast<uint64_t>(min), static_cast<uint64_t>(max));
  } else {
    snprintf(buf, sizeof(buf), "argument must be between %" PRId64 " and %" PRId64 " inclusive",
             min, max);
  }
  return buf;
}

// strtoll in base 8 over the whole string, as Redis reads octal options.
bool parse_octal(const std::string& s, int64_t& out) {
  errno = 0;
  char* end = nullptr;
  long long v = strtoll(s.c_str(), &end, 8);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

// Directives Redis 7.0 still accepts (and ignores) for old config files.
bool is_deprecated_directive(const Directive& d) {
  static const char* kNames[] = {"list-max-ziplist-entries", "list-max-ziplist-value",
                                 "lua-replicate-commands"};
  for (const char* n : kNames)
    if (d.args[0] == n && d.args.size() == 2) return true;
  return false;
}

// Directives Redis knows that terndb cannot honour: refusing to start is better than
// running without what the file asked for.
const char* unsupported_directive(const std::string& name) {
  if (name == "loadmodule") return "terndb does not load Redis modules";
  if (name == "user") {
    return "terndb has only the default user: ACL users are not supported (use requirepass)";
  }
  if (name == "sentinel") return "sentinel directive while not in sentinel mode";
  return nullptr;
}

}  // namespace

std::vector<std::string> split_on_spaces(const std::string& value) {
  std::vector<std::string> out;
  if (value.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t sp = value.find(' ', start);
    if (sp == std::string::npos) {
      out.push_back(value.substr(start));
      return out;
    }
    out.push_back(value.substr(start, sp - start));
    start = sp + 1;
  }
}

Registry::Registry() {
  register_all_options(*this);
}

Option& Registry::add(Option&& o) {
  auto p = std::make_unique<Option>();
  p->name = o.name;
  p->aliases = o.aliases;
  p->kind = o.kind;
  p->min = o.min;
  p->max = o.max;
  p->enums = o.enums;
  p->immutable = o.immutable;
  p->protected_config = o.protected_config;
  p->accepted_only = o.accepted_only;
  p->sensitive = o.sensitive;
  p->repeatable = o.repeatable;
  p->multi_arg = o.multi_arg;
  p->octal = o.octal;
  p->percent = o.percent;
  p->full_u64 = o.full_u64;
  p->hidden = o.hidden;
  p->directive_only = o.directive_only;
  p->default_text = o.default_text;
  p->parse = o.parse;
  p->validate = o.validate;
  p->on_change = o.on_change;
  p->current = o.current;
  Option& ref = *p;
  by_name_[ref.name] = &ref;
  for (auto& a : ref.aliases) by_name_[a] = &ref;
  options_.push_back(std::move(p));
  // Establish the default through the same parser as any other value.
  std::vector<std::string> args;
  if (ref.multi_arg && !ref.default_text.empty()) {
    protocol::split_args(ref.default_text, args);
  } else {
    args.push_back(ref.default_text);
  }
  std::string err;
  bool saved_repeatable = ref.repeatable;
  ref.repeatable = false;
  if (!set_locked(ref, args, true, err)) {
    fprintf(stderr, "internal: bad default for %s: %s\n", ref.name.c_str(), err.c_str());
    abort();
  }
  ref.repeatable = saved_repeatable;
  ref.set_in_file = false;
  // The canonical form of the default, so "differs from the default" compares like forms.
  ref.default_text = ref.text;
  return ref;
}

Option* Registry::find(const std::string& name) {
  auto it = by_name_.find(lower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const Option* Registry::find(const std::string& name) const {
  auto it = by_name_.find(lower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

int64_t Registry::num(const std::string& name) const {
  const Option* o = find(name);
  return o ? o->num.load(std::memory_order_relaxed) : 0;
}

std::string Registry::value_locked(const Option& o) const {
  return o.current ? o.current() : o.text;
}

std::string Registry::text(const std::string& name) const {
  std::lock_guard<std::mutex> g(mu_);
  const Option* o = find(name);
  return o ? value_locked(*o) : std::string();
}

bool Registry::set(const std::string& name, const std::vector<std::string>& args, bool from_file,
                   std::string& err) {
  std::lock_guard<std::mutex> g(mu_);
  Option* o = find(name);
  if (!o || (!from_file && o->directive_only)) {
    err = "Bad directive or wrong number of arguments";
    return false;
  }
  if (!from_file && o->immutable) {
    err = "can't set immutable config";
    return false;
  }
  return set_locked(*o, args, from_file, err);
}

bool Registry::set_locked(Option& o, const std::vector<std::string>& args, bool from_file,
                          std::string& err) {
  if (!o.multi_arg && args.size() != 1) {
    err = "wrong number of arguments";
    return false;
  }
  std::string new_text;
  int64_t new_num = 0;
  switch (o.kind) {
    case OptionKind::kBool: {
      std::string v = lower(args[0]);
      if (v != "yes" && v != "no") {
        err = "argument must be 'yes' or 'no'";
        return false;
      }
      new_num = v == "yes";
      new_text = v;
      break;
    }
    case OptionKind::kInt: {
      bool parsed =
          o.octal ? parse_octal(args[0], new_num) : protocol::parse_int64(args[0], new_num);
      if (!parsed) {
        err = o.octal ? "argument couldn't be parsed as an octal number"
                      : "argument couldn't be parsed into an integer";
        return false;
      }
      if (new_num < o.min || new_num > o.max) {
        err = range_error(o.min, o.max, o.octal);
        return false;
      }
      if (o.octal) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIo64, static_cast<uint64_t>(new_num));
        new_text = buf;
      } else {
        new_text = std::to_string(new_num);
      }
      break;
    }
    case OptionKind::kMemory: {
      unsigned long long v;
      const std::string& a = args[0];
      if (parse_memory_unsigned(a, v)) {
        if (o.full_u64) {
          new_num =
              v > static_cast<unsigned long long>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
          new_text = std::to_string(v);
          break;
        }
        // Redis keeps the unsigned result in its option's type: in signed options a value
        // past 2^63 wraps negative (and fails the range check, or reads as a percentage).
        new_num = static_cast<int64_t>(v);
      } else if (o.percent && a.size() > 1 && a.back() == '%' &&
                 protocol::parse_int64(std::string_view(a).substr(0, a.size() - 1), new_num) &&
                 new_num >= 0) {
        new_num = -new_num;  // percentages are kept negative, as Redis keeps them
      } else {
        err = o.percent ? "argument must be a memory or percent value"
                        : "argument must be a memory value";
        return false;
      }
      if (o.percent && new_num < 0) {
        if (new_num < o.min) {
          err = "percentage argument must be less or equal to " + std::to_string(-o.min);
          return false;
        }
        new_text = std::to_string(-new_num) + "%";
      } else {
        if (new_num < o.min || new_num > o.max) {
          err = range_error(o.min, o.max, false);
          return false;
        }
        new_text = std::to_string(new_num);
      }
      break;
    }
    case OptionKind::kEnum: {
      std::string v = lower(args[0]);
      auto it = std::find_if(o.enums.begin(), o.enums.end(),
                             [&](const EnumValue& e) { return e.name == v; });
      if (it == o.enums.end()) {
        err = "argument(s) must be one of the following: ";
        for (size_t i = 0; i < o.enums.size(); ++i) {
          if (i) err += ", ";
          err += o.enums[i].name;
        }
        return false;
      }
      new_num = it->value;
      // Names sharing a value report as the first of them (oom-score-adj relative -> yes).
      for (auto& e : o.enums) {
        if (e.value == new_num) {
          new_text = e.name;
          break;
        }
      }
      break;
    }
    case OptionKind::kString: {
      new_text = args[0];
      break;
    }
    case OptionKind::kCustom: {
      new_text = o.text;
      if (!o.parse(args, new_text, err)) return false;
      // A custom value that is a number (hz) is also readable through num().
      if (!protocol::parse_int64(new_text, new_num)) new_num = 0;
      break;
    }
  }
  if (o.validate && !o.validate(new_text, err)) return false;
  // Repeatable directives accumulate across lines of the file; the first replaces the
  // default and an empty one (save "") clears what came before.
  if (o.repeatable && from_file && o.set_in_file && !new_text.empty()) {
    new_text = o.text.empty() ? new_text : o.text + " " + new_text;
  }
  std::string old_text = o.text;
  int64_t old_num = o.num.load();
  o.text = new_text;
  o.num.store(new_num);
  if (o.on_change && !o.on_change(err)) {
    o.text = old_text;
    o.num.store(old_num);
    return false;
  }
  if (from_file) o.set_in_file = true;
  return true;
}

bool Registry::set_from_command(const std::vector<std::pair<std::string, std::string>>& pairs,
                                bool allow_protected, SetFailure& failure, const ApplyFn& apply) {
  std::lock_guard<std::mutex> g(mu_);
  failure = SetFailure{};
  std::vector<Option*> opts(pairs.size(), nullptr);
  // Checks everything first; the first problem found decides the error.
  bool invalid = false;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string& name = pairs[i].first;
    Option* o = find(name);
    if (!o || o->directive_only) {
      if (!invalid) failure = {SetFailure::kUnknown, name, ""};
      invalid = true;
      continue;
    }
    if (invalid) continue;
    if (o->immutable || (o->protected_config && !allow_protected)) {
      failure = {SetFailure::kFailed, name,
                 o->immutable ? "can't set immutable config" : "can't set protected config"};
      invalid = true;
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (opts[j] == o) {
        failure = {SetFailure::kFailed, name, "duplicate parameter"};
        invalid = true;
        break;
      }
    }
    opts[i] = o;
  }
  if (invalid) return false;

  struct Saved {
    std::string text;
    int64_t num;
  };
  std::vector<Saved> saved;
  for (Option* o : opts) saved.push_back({o->text, o->num.load()});
  auto restore = [&](size_t count) {
    for (size_t i = count; i-- > 0;) {
      Option& o = *opts[i];
      if (o.text == saved[i].text && o.num.load() == saved[i].num) continue;
      o.text = saved[i].text;
      o.num.store(saved[i].num);
      std::string ignored;
      if (o.on_change) o.on_change(ignored);
    }
  };

  for (size_t i = 0; i < pairs.size(); ++i) {
    Option& o = *opts[i];
    std::vector<std::string> args;
    if (o.multi_arg) {
      args = split_on_spaces(pairs[i].second);
    } else {
      args.push_back(pairs[i].second);
    }
    std::string err;
    if (!set_locked(o, args, false, err)) {
      restore(i);
      failure = {SetFailure::kFailed, lower(pairs[i].first), err};
      return false;
    }
  }
  if (apply) {
    for (size_t i = 0; i < pairs.size(); ++i) {
      std::string err;
      if (!apply(*opts[i], saved[i].text, err)) {
        restore(pairs.size());
        failure = {SetFailure::kFailed, lower(pairs[i].first), err};
        return false;
      }
    }
  }
  return true;
}

bool Registry::apply(const std::vector<Directive>& directives, ConfigError& err) {
  for (auto& d : directives) {
    if (is_deprecated_directive(d)) continue;
    std::vector<std::string> args(d.args.begin() + 1, d.args.end());
    std::string reason;
    if (const char* why = unsupported_directive(d.args[0])) {
      err = {d.file, d.line, d.text, why};
      return false;
    }
    if (!find(d.args[0])) {
      err = {d.file, d.line, d.text, "Bad directive or wrong number of arguments"};
      return false;
    }
    if (!set(d.args[0], args, true, reason)) {
      err = {d.file, d.line, d.text, reason};
      return false;
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> Registry::matching(
    const std::vector<std::string>& patterns) const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    if (!has_glob_chars(pattern)) {
      const Option* o = find(pattern);
      if (o && !o->directive_only && seen.insert(lower(pattern)).second) {
        out.emplace_back(pattern, value_locked(*o));
      }
      continue;
    }
    for (auto& [name, o] : by_name_) {
      if (o->hidden || o->directive_only) continue;
      if (!storage::glob_match(pattern, name, true)) continue;
      if (!seen.insert(name).second) continue;
      out.emplace_back(name, value_locked(*o));
    }
  }
  return out;
}

std::vector<std::string> Registry::accepted_only_names() const {
  std::vector<std::string> out;
  for (auto& o : options_)
    if (o->accepted_only) out.push_back(o->name);
  return out;
}

bool Registry::rewrite(const std::string& path, std::string& err) {
  static const char* kSignature = "# Generated by CONFIG REWRITE";
  if (path.empty()) {
    err = "The server is running without a config file";
    return false;
  }
  std::lock_guard<std::mutex> g(mu_);
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  // Form of each option's current value as config lines.
  auto render = [&](const Option& o) {
    std::vector<std::string> out;
    std::string value = value_locked(o);
    if (o.repeatable) {
      std::vector<std::string> words;
      protocol::split_args(value, words);
      if (o.name == "save" && words.empty()) out.push_back("save \"\"");
      for (size_t i = 0; i + 1 < words.size(); i += 2) {
        out.push_back(o.name + " " + quote_if_needed(words[i]) + " " +
                      quote_if_needed(words[i + 1]));
      }
    } else if (o.kind == OptionKind::kCustom && o.multi_arg) {
      out.push_back(o.name + " " + (value.empty() ? "\"\"" : value));
    } else if (o.kind == OptionKind::kMemory && !(o.percent && o.num.load() < 0)) {
      out.push_back(o.name + " " + format_memory_for_file(o.num.load()));
    } else {
      out.push_back(o.name + " " + quote_if_needed(value));
    }
    return out;
  };
  std::set<const Option*> written;
  std::vector<std::string> result;
  bool has_signature = false;
  for (auto& line : lines) {
    std::vector<std::string> args;
    size_t first = line.find_first_not_of(" \t");
    if (line == kSignature) has_signature = true;
    if (first == std::string::npos || line[first] == '#' || !protocol::split_args(line, args) ||
        args.empty()) {
      result.push_back(line);
      continue;
    }
    auto it = by_name_.find(lower(args[0]));
    if (it == by_name_.end()) {
      result.push_back(line);
      continue;
    }
    const Option* o = it->second;
    if (written.count(o)) continue;  // repeated lines were emitted at the first one
    written.insert(o);
    for (auto& l : render(*o)) result.push_back(l);
  }
  for (auto& o : options_) {
    if (written.count(o.get()) || value_locked(*o) == o->default_text) continue;
    if (!has_signature) {
      result.push_back(kSignature);
      has_signature = true;
    }
    for (auto& l : render(*o)) result.push_back(l);
  }
  std::string tmp = path + ".tmp-rewrite";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      err = "Rewriting config file: " + std::string(strerror(errno));
      return false;
    }
    for (auto& l : result) out << l << "\n";
    out.flush();
    if (!out) {
      err = "Rewriting config file: write failed";
      return false;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "Rewriting config file: " + std::string(strerror(errno));
    return false;
  }
  return true;
}

}  // namespace terndb::conf
