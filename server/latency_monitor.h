// LATENCY's memory: per event ("command", "fast-command", ...), the samples of at least
// `latency-monitor-threshold` milliseconds, one per second (the worst of that second),
// the latest 160 of them, and the worst ever seen. 0 as threshold turns monitoring off.
//
// Threads: shared by the io threads. The threshold is one relaxed atomic load; the mutex
// is taken only for a sample past the threshold and for the LATENCY command.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "conf/config_registry.h"

namespace terndb::server {

struct LatencySample {
  int64_t unix_time = 0;  // seconds
  int64_t latency_ms = 0;
};

struct LatencyEventSummary {
  std::string event;
  LatencySample latest;
  int64_t max_ms = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kHistoryLength = 160;

  explicit LatencyMonitor(conf::Registry& config);

  int64_t threshold_ms() const { return threshold_.num.load(std::memory_order_relaxed); }
  // Records `latency_ms` for `event` when monitoring is on and it reaches the threshold.
  void add_if_needed(const char* event, int64_t latency_ms) {
    const int64_t threshold = threshold_ms();
    if (threshold > 0 && latency_ms >= threshold) add(event, latency_ms);
  }
  void add(const std::string& event, int64_t latency_ms);

  // Every event with samples, in name order.
  std::vector<LatencyEventSummary> latest() const;
  // The event's samples, oldest first (empty for an unknown event).
  std::vector<LatencySample> history(const std::string& event) const;
  // Forgets the named events (all of them when `events` is empty); returns how many
  // events had data.
  size_t reset(const std::vector<std::string>& events);

 private:
  struct Event {
    std::vector<LatencySample> ring;  // up to kHistoryLength, oldest at `next` once full
    size_t next = 0;
    int64_t max_ms = 0;
    const LatencySample& newest() const { return ring[(next + ring.size() - 1) % ring.size()]; }
  };
  const conf::Option& threshold_;
  mutable std::mutex mu_;
  std::map<std::string, Event> events_;
};

}  // namespace terndb::server
