#include "server/latency_monitor.h"

#include <algorithm>
#include <ctime>

namespace terndb::server {

LatencyMonitor::LatencyMonitor(conf::Registry& config)
    : threshold_(*config.find("latency-monitor-threshold")) {}

void LatencyMonitor::add(const std::string& event, int64_t latency_ms) {
  const int64_t now = static_cast<int64_t>(time(nullptr));
  std::lock_guard<std::mutex> g(mu_);
  Event& e = events_[event];
  e.max_ms = std::max(e.max_ms, latency_ms);
  if (!e.ring.empty()) {
    // Several samples in one second keep the worst of them.
    LatencySample& last = e.ring[(e.next + e.ring.size() - 1) % e.ring.size()];
    if (last.unix_time == now) {
      last.latency_ms = std::max(last.latency_ms, latency_ms);
      return;
    }
  }
  const LatencySample sample{now, latency_ms};
  if (e.ring.size() < kHistoryLength) {
    e.ring.push_back(sample);
    e.next = e.ring.size() % kHistoryLength;
  } else {
    e.ring[e.next] = sample;
    e.next = (e.next + 1) % kHistoryLength;
  }
}

std::vector<LatencyEventSummary> LatencyMonitor::latest() const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<LatencyEventSummary> out;
  for (const auto& [name, e] : events_) out.push_back({name, e.newest(), e.max_ms});
  return out;
}

std::vector<LatencySample> LatencyMonitor::history(const std::string& event) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = events_.find(event);
  if (it == events_.end()) return {};
  const Event& e = it->second;
  std::vector<LatencySample> out;
  out.reserve(e.ring.size());
  const size_t start = e.ring.size() < kHistoryLength ? 0 : e.next;
  for (size_t i = 0; i < e.ring.size(); ++i) out.push_back(e.ring[(start + i) % e.ring.size()]);
  return out;
}

size_t LatencyMonitor::reset(const std::vector<std::string>& events) {
  std::lock_guard<std::mutex> g(mu_);
  if (events.empty()) {
    const size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (const auto& name : events) n += events_.erase(name);
  return n;
}

}  // namespace terndb::server
