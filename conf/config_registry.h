// The typed registry of configuration options. One table serves the config file, the
// command line, CONFIG GET/SET/REWRITE and the code that reads settings.
//
// Numeric, boolean and enum values live in atomics, so any thread may read them without
// a lock; string values are read under the registry's mutex via text().
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conf/config_file.h"

namespace terndb::conf {

enum class OptionKind { kBool, kInt, kMemory, kEnum, kString, kCustom };

struct EnumValue {
  std::string name;
  int64_t value;
};

class Registry;

struct Option {
  std::string name;
  std::vector<std::string> aliases;
  OptionKind kind = OptionKind::kString;
  int64_t min = 0, max = 0;          // kInt / kMemory bounds
  std::vector<EnumValue> enums;      // kEnum names
  bool immutable = false;            // startup only: CONFIG SET refuses it
  bool accepted_only = false;        // recognised for compatibility; no effect in terndb
  bool sensitive = false;            // (requirepass) never logged
  bool repeatable = false;           // each directive appends (save, replicaof): the first
                                     // one in the file replaces the default
  std::string default_text;
  // kCustom: checks and normalizes the arguments into the stored text.
  std::function<bool(const std::vector<std::string>& args, std::string& normalized,
                     std::string& err)>
      parse;
  // After a value changed (file or CONFIG SET): apply it; false + err rolls back.
  std::function<bool(std::string& err)> on_change;

  std::atomic<int64_t> num{0};
  std::string text;  // canonical text form of the value (all kinds)
  bool set_in_file = false;
};

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Option* find(const std::string& name);
  const Option* find(const std::string& name) const;
  // Typed readers (lock-free for numbers).
  int64_t num(const std::string& name) const;
  bool flag(const std::string& name) const { return num(name) != 0; }
  std::string text(const std::string& name) const;

  // Sets from arguments (the directive's words after its name). `from_file` marks the
  // startup path, where immutable options may change and repeatable ones append.
  bool set(const std::string& name, const std::vector<std::string>& args, bool from_file,
           std::string& err);
  // Applies a parsed file. Stops at the first bad directive.
  bool apply(const std::vector<Directive>& directives, ConfigError& err);
  // Pairs of (name, value) whose name matches the glob, for CONFIG GET.
  std::vector<std::pair<std::string, std::string>> matching(const std::string& pattern) const;
  // CONFIG REWRITE: rewrites `path` keeping comments and unknown order, replacing lines of
  // options whose value differs from the default and appending the rest.
  bool rewrite(const std::string& path, std::string& err);
  // Names of options accepted for compatibility only.
  std::vector<std::string> accepted_only_names() const;

  std::string config_file;  // absolute path of the file the server started with

  // Registers an option (used by config_options.cc and tests).
  Option& add(Option&& o);

 private:
  bool set_locked(Option& o, const std::vector<std::string>& args, bool from_file,
                  std::string& err);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Option>> options_;
  std::map<std::string, Option*> by_name_;
};

// Registers every option terndb knows (config_options.cc).
void register_all_options(Registry& r);

}  // namespace terndb::conf
