// SLOWLOG's memory: the latest `slowlog-max-len` commands that ran for at least
// `slowlog-log-slower-than` microseconds, newest first, as redis-server keeps them.
//
// Threads: every io thread records into one log. Reading the threshold is one relaxed
// atomic load per command; the mutex is taken only when an entry is added or read, which
// happens for slow commands only (or for all of them when the threshold is 0, on purpose).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config_registry.h"

namespace terndb::server {

struct SlowLogEntry {
  int64_t id = 0;
  int64_t unix_time = 0;          // seconds
  int64_t duration_us = 0;        // the command's execution time
  std::vector<std::string> argv;  // trimmed as Redis trims it (see record())
  std::string client_addr;        // "ip:port"; "?:0" for commands run by scripts
  std::string client_name;
};

class SlowLog {
 public:
  // Arguments past this many are folded into a last "... (N more arguments)".
  static constexpr size_t kMaxArgc = 32;
  // Longer arguments are cut here and get a "... (N more bytes)" suffix.
  static constexpr size_t kMaxArgLength = 128;

  explicit SlowLog(conf::Registry& config);

  // True when a command that ran `duration_us` belongs in the log.
  bool wants(int64_t duration_us) const {
    const int64_t threshold = slower_than_.num.load(std::memory_order_relaxed);
    return threshold >= 0 && duration_us >= threshold;
  }
  // Whether commands need timing for the log at all (slowlog-log-slower-than >= 0).
  bool enabled() const { return slower_than_.num.load(std::memory_order_relaxed) >= 0; }

  // Adds an entry (the caller checked wants()). The oldest entries past slowlog-max-len
  // are dropped now, as in Redis: lowering the limit shortens the log at the next entry.
  void record(int64_t duration_us, const std::vector<std::string_view>& argv,
              std::string client_addr, std::string client_name);

  // Up to `count` entries, newest first; count < 0 means all.
  std::vector<SlowLogEntry> latest(int64_t count) const;
  size_t size() const;
  void reset();

  // The argument vector as the log keeps it (exposed for unit tests).
  static std::vector<std::string> trimmed_argv(const std::vector<std::string_view>& argv);

 private:
  const conf::Option& slower_than_;
  const conf::Option& max_len_;
  mutable std::mutex mu_;
  std::deque<SlowLogEntry> entries_;  // newest at the front
  int64_t next_id_ = 0;
};

}  // namespace terndb::server
