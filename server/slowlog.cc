#include "server/slowlog.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace terndb::server {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Passwords never reach the log: AUTH's arguments and HELLO's AUTH pair are replaced, as
// redis-server replaces them.
void redact(std::vector<std::string>& out, const std::vector<std::string_view>& argv) {
  constexpr std::string_view kRedacted = "(redacted)";
  if (equals_ignore_case(argv[0], "auth")) {
    for (size_t i = 1; i < out.size(); ++i) out[i] = kRedacted;
  } else if (equals_ignore_case(argv[0], "hello")) {
    for (size_t i = 2; i < argv.size(); ++i) {
      if (equals_ignore_case(argv[i], "auth")) {
        for (size_t j = i + 1; j <= i + 2 && j < out.size(); ++j) out[j] = kRedacted;
        break;
      }
    }
  }
}

}  // namespace

SlowLog::SlowLog(conf::Registry& config)
    : slower_than_(*config.find("slowlog-log-slower-than")),
      max_len_(*config.find("slowlog-max-len")) {}

std::vector<std::string> SlowLog::trimmed_argv(const std::vector<std::string_view>& argv) {
  const size_t kept = std::min(argv.size(), kMaxArgc);
  std::vector<std::string> out;
  out.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    if (kept != argv.size() && i == kept - 1) {
      out.push_back("... (" + std::to_string(argv.size() - kept + 1) + " more arguments)");
    } else if (argv[i].size() > kMaxArgLength) {
      out.push_back(std::string(argv[i].substr(0, kMaxArgLength)) + "... (" +
                    std::to_string(argv[i].size() - kMaxArgLength) + " more bytes)");
    } else {
      out.emplace_back(argv[i]);
    }
  }
  if (!argv.empty()) redact(out, argv);
  return out;
}

void SlowLog::record(int64_t duration_us, const std::vector<std::string_view>& argv,
                     std::string client_addr, std::string client_name) {
  SlowLogEntry e;
  e.unix_time = static_cast<int64_t>(time(nullptr));
  e.duration_us = duration_us;
  e.argv = trimmed_argv(argv);
  e.client_addr = std::move(client_addr);
  e.client_name = std::move(client_name);
  std::lock_guard<std::mutex> g(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  const auto max_len = static_cast<size_t>(max_len_.num.load(std::memory_order_relaxed));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::latest(int64_t count) const {
  std::lock_guard<std::mutex> g(mu_);
  size_t n = entries_.size();
  if (count >= 0) n = std::min(n, static_cast<size_t>(count));
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n)};
}

size_t SlowLog::size() const {
  std::lock_guard<std::mutex> g(mu_);
  return entries_.size();
}

void SlowLog::reset() {
  std::lock_guard<std::mutex> g(mu_);
  entries_.clear();
}

}  // namespace terndb::server
