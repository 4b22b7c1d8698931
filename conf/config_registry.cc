#include "conf/config_registry.h"

#include <algorithm>
#include <cerrno>
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

}  // namespace

Registry::Registry() { register_all_options(*this); }

Option& Registry::add(Option&& o) {
  auto p = std::make_unique<Option>();
  p->name = o.name;
  p->aliases = o.aliases;
  p->kind = o.kind;
  p->min = o.min;
  p->max = o.max;
  p->enums = o.enums;
  p->immutable = o.immutable;
  p->accepted_only = o.accepted_only;
  p->sensitive = o.sensitive;
  p->repeatable = o.repeatable;
  p->default_text = o.default_text;
  p->parse = o.parse;
  p->on_change = o.on_change;
  Option& ref = *p;
  by_name_[ref.name] = &ref;
  for (auto& a : ref.aliases) by_name_[a] = &ref;
  options_.push_back(std::move(p));
  // Establish the default through the same parser as any other value.
  std::vector<std::string> args;
  if (ref.kind == OptionKind::kCustom || ref.repeatable) {
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

std::string Registry::text(const std::string& name) const {
  std::lock_guard<std::mutex> g(mu_);
  const Option* o = find(name);
  return o ? o->text : std::string();
}

bool Registry::set(const std::string& name, const std::vector<std::string>& args,
                   bool from_file, std::string& err) {
  std::lock_guard<std::mutex> g(mu_);
  Option* o = find(name);
  if (!o) {
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
  std::string new_text;
  int64_t new_num = 0;
  auto one_arg = [&]() -> bool {
    if (args.size() != 1) {
      err = "wrong number of arguments";
      return false;
    }
    return true;
  };
  switch (o.kind) {
    case OptionKind::kBool: {
      if (!one_arg()) return false;
      std::string v = lower(args[0]);
      if (v == "yes") {
        new_num = 1;
      } else if (v == "no") {
        new_num = 0;
      } else {
        err = "argument must be 'yes' or 'no'";
        return false;
      }
      new_text = new_num ? "yes" : "no";
      break;
    }
    case OptionKind::kInt: {
      if (!one_arg()) return false;
      if (!protocol::parse_int64(args[0], new_num)) {
        err = "argument couldn't be parsed into an integer";
        return false;
      }
      if (new_num < o.min || new_num > o.max) {
        err = "argument must be between " + std::to_string(o.min) + " and " +
              std::to_string(o.max) + " inclusive";
        return false;
      }
      new_text = std::to_string(new_num);
      break;
    }
    case OptionKind::kMemory: {
      if (!one_arg()) return false;
      long long v;
      if (!parse_memory(args[0], v)) {
        err = "argument must be a memory value";
        return false;
      }
      if (v < o.min || v > o.max) {
        err = "argument must be between " + std::to_string(o.min) + " and " +
              std::to_string(o.max) + " inclusive";
        return false;
      }
      new_num = v;
      new_text = std::to_string(v);
      break;
    }
    case OptionKind::kEnum: {
      if (!one_arg()) return false;
      std::string v = lower(args[0]);
      bool found = false;
      for (auto& e : o.enums) {
        if (e.name == v) {
          new_num = e.value;
          new_text = e.name;
          found = true;
          break;
        }
      }
      if (!found) {
        err = "argument(s) must be one of the following: ";
        for (size_t i = 0; i < o.enums.size(); ++i) {
          if (i) err += ", ";
          err += o.enums[i].name;
        }
        return false;
      }
      break;
    }
    case OptionKind::kString: {
      if (!one_arg()) return false;
      new_text = args[0];
      break;
    }
    case OptionKind::kCustom: {
      if (!o.parse(args, new_text, err)) return false;
      break;
    }
  }
  // Repeatable directives accumulate across lines of the file; the first replaces the
  // default.
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

bool Registry::apply(const std::vector<Directive>& directives, ConfigError& err) {
  for (auto& d : directives) {
    std::vector<std::string> args(d.args.begin() + 1, d.args.end());
    std::string reason;
    Option* o = find(d.args[0]);
    if (!o) {
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
    const std::string& pattern) const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  std::string pat = lower(pattern);
  for (auto& [name, o] : by_name_) {
    if (!storage::glob_match(pat, name)) continue;
    if (!seen.insert(name).second) continue;
    out.emplace_back(name, o->text);
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
    if (o.repeatable) {
      std::vector<std::string> words;
      protocol::split_args(o.text, words);
      if (o.name == "save") {
        if (words.empty()) out.push_back("save \"\"");
        for (size_t i = 0; i + 1 < words.size(); i += 2)
          out.push_back("save " + words[i] + " " + words[i + 1]);
      } else {
        for (size_t i = 0; i + 1 < words.size(); i += 2)
          out.push_back(o.name + " " + words[i] + " " + words[i + 1]);
      }
    } else if (o.kind == OptionKind::kCustom) {
      out.push_back(o.name + " " + (o.text.empty() ? "\"\"" : o.text));
    } else {
      out.push_back(o.name + " " + quote_if_needed(o.text));
    }
    return out;
  };
  std::set<const Option*> written;
  std::vector<std::string> result;
  for (auto& line : lines) {
    std::vector<std::string> args;
    size_t first = line.find_first_not_of(" \t");
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
  bool header = false;
  for (auto& o : options_) {
    if (written.count(o.get()) || o->text == o->default_text) continue;
    if (!header) {
      result.push_back("# Generated by CONFIG REWRITE");
      header = true;
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
