// The typed registry of configuration options. One table serves the config file, the
// command line, CONFIG GET/SET/REWRITE and the code that reads settings.
//
// Numeric, boolean and enum values live in atomics, so any thread may read them without
// a lock; string values are read under the registry's mutex via text().
//
// Values are parsed, range-checked and reported the way redis-server 7.0 does it, with its
// error texts, so CONFIG SET/GET answer byte for byte like Redis.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
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
  int64_t min = 0, max = 0;       // kInt / kMemory bounds
  std::vector<EnumValue> enums;   // kEnum names; several names may share a value, the
                                  // first one is the name reported
  bool immutable = false;         // startup only: CONFIG SET refuses it
  bool protected_config = false;  // CONFIG SET needs enable-protected-configs
  bool accepted_only = false;     // recognised for compatibility; no effect in terndb
  bool sensitive = false;         // (requirepass) never logged
  bool repeatable = false;        // each directive appends (save, replicaof): the first
                                  // one in the file replaces the default
  bool multi_arg = false;         // takes several words; CONFIG SET splits its value on
                                  // single spaces
  bool octal = false;             // kInt read and shown in octal (unixsocketperm)
  bool percent = false;           // kMemory also takes "N%" (stored as -N)
  bool full_u64 = false;          // kMemory takes any 64-bit unsigned value, as Redis's
                                  // unsigned long long options do (num() saturates)
  bool hidden = false;            // CONFIG GET patterns skip it; exact names still work
  bool directive_only = false;    // a config file directive, not a CONFIG GET/SET name
  std::string default_text;
  // kCustom: checks and normalizes the arguments into the stored text. `normalized` holds
  // the current value on entry (client-output-buffer-limit updates one class at a time).
  std::function<bool(const std::vector<std::string>& args, std::string& normalized,
                     std::string& err)>
      parse;
  // Extra check of a kString value (dbfilename must be a file name...).
  std::function<bool(const std::string& value, std::string& err)> validate;
  // After a value changed (file or CONFIG SET): apply it; false + err rolls back. Runs
  // under the registry's lock: it may read num()/flag() but not text().
  std::function<bool(std::string& err)> on_change;
  // The live value when it is not the stored text (dir: the working directory).
  std::function<std::string()> current;

  std::atomic<int64_t> num{0};
  std::string text;  // canonical text form of the value (all kinds)
  bool set_in_file = false;
};

// Why CONFIG SET refused a request, in the terms of Redis's two error forms.
struct SetFailure {
  enum Kind {
    kNone,
    kUnknown,  // "Unknown option or number of arguments for CONFIG SET - '<arg>'"
    kFailed,   // "CONFIG SET failed (possibly related to argument '<arg>') - <reason>"
  };
  Kind kind = kNone;
  std::string arg;
  std::string reason;
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
  // CONFIG SET name value [name value ...]: every pair is checked before any is set, and
  // a failure in setting or applying any of them restores all of them. `allow_protected`
  // says the caller may change protected options. `apply` runs once after all values are
  // set (the caller's runtime effects, given each option and its previous text); when it
  // fails everything is rolled back. Callbacks run under the registry's lock: they may
  // read num()/flag() but not text().
  using ApplyFn =
      std::function<bool(const Option& o, const std::string& old_text, std::string& err)>;
  bool set_from_command(const std::vector<std::pair<std::string, std::string>>& pairs,
                        bool allow_protected, SetFailure& failure, const ApplyFn& apply = nullptr);
  // Applies a parsed file. Stops at the first bad directive.
  bool apply(const std::vector<Directive>& directives, ConfigError& err);
  // CONFIG GET: pairs of (name, value) for each pattern. A pattern without glob characters
  // is an exact (case-insensitive) name reported as it was asked; a glob matches every
  // visible name. Each name appears once.
  std::vector<std::pair<std::string, std::string>> matching(
      const std::vector<std::string>& patterns) const;
  std::vector<std::pair<std::string, std::string>> matching(const std::string& pattern) const {
    return matching(std::vector<std::string>{pattern});
  }
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
  std::string value_locked(const Option& o) const;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Option>> options_;
  std::map<std::string, Option*> by_name_;
};

// Registers every option terndb knows (config_options.cc).
void register_all_options(Registry& r);

// Splits a CONFIG SET value of a multi-word option on single spaces, as Redis does (an
// empty value is no words; two spaces make an empty word).
std::vector<std::string> split_on_spaces(const std::string& value);

}  // namespace terndb::conf
