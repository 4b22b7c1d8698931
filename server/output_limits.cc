#include "server/output_limits.h"

#include <algorithm>
#include <cstdlib>

#include "conf/config_registry.h"
#include "protocol/resp_parser.h"

namespace terndb::server {
namespace {

constexpr size_t kPeakSlots = 8;

struct OutputPeaks {
  std::atomic<size_t> current{0};
  std::atomic<size_t> slots[kPeakSlots] = {};
  std::atomic<size_t> next{0};
  std::atomic<int64_t> second{0};
};

OutputPeaks& peaks() {
  static OutputPeaks p;
  return p;
}

}  // namespace

OutputLimits& output_limits() {
  static OutputLimits limits;
  return limits;
}

void OutputLimits::apply(const std::string& text) {
  std::vector<std::string> words;
  protocol::split_args(text, words);
  for (size_t i = 0; i + 3 < words.size(); i += 4) {
    int cls = words[i] == "normal" ? 0 : words[i] == "pubsub" ? 2 : 1;
    classes[cls].hard_bytes.store(strtoll(words[i + 1].c_str(), nullptr, 10));
    classes[cls].soft_bytes.store(strtoll(words[i + 2].c_str(), nullptr, 10));
    classes[cls].soft_seconds.store(strtoll(words[i + 3].c_str(), nullptr, 10));
  }
}

void wire_output_limits(conf::Registry& config) {
  conf::Option* opt = config.find("client-output-buffer-limit");
  if (!opt) return;
  output_limits().apply(opt->text);
  auto previous = opt->on_change;
  // Runs under the registry's lock: the option's own text is read directly.
  opt->on_change = [opt, previous](std::string& err) {
    if (previous && !previous(err)) return false;
    output_limits().apply(opt->text);
    return true;
  };
}

void note_output_size(size_t bytes) {
  std::atomic<size_t>& cur = peaks().current;
  size_t seen = cur.load(std::memory_order_relaxed);
  while (bytes > seen && !cur.compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
  }
}

void rotate_output_peaks(int64_t now_ms) {
  OutputPeaks& p = peaks();
  int64_t second = now_ms / 1000;
  if (p.second.exchange(second, std::memory_order_relaxed) == second) return;
  size_t i = p.next.fetch_add(1, std::memory_order_relaxed) % kPeakSlots;
  p.slots[i].store(p.current.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
}

size_t recent_max_output() {
  OutputPeaks& p = peaks();
  size_t m = p.current.load(std::memory_order_relaxed);
  for (auto& s : p.slots) m = std::max(m, s.load(std::memory_order_relaxed));
  return m;
}

}  // namespace terndb::server
