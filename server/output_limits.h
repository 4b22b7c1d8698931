// client-output-buffer-limit as the connections apply it, and the recent peak of output
// buffers that INFO reports (client_recent_max_output_buffer).
//
// The limits are parsed from the option's text at start and on every CONFIG SET; the
// connections read them without locks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace terndb::conf {
class Registry;
}

namespace terndb::server {

// Redis's client classes for output limits (a MONITOR client counts as normal).
enum class OutputClass { kNormal = 0, kReplica = 1, kPubsub = 2 };

struct OutputLimit {
  std::atomic<int64_t> hard_bytes{0};  // 0: none
  std::atomic<int64_t> soft_bytes{0};  // 0: none
  std::atomic<int64_t> soft_seconds{0};
};

struct OutputLimits {
  OutputLimit classes[3];
  const OutputLimit& of(OutputClass c) const { return classes[static_cast<int>(c)]; }
  // Reads the option's canonical text ("normal 0 0 0 slave ... pubsub ...").
  void apply(const std::string& text);
};

OutputLimits& output_limits();

// Keeps output_limits() equal to the config's client-output-buffer-limit, now and after
// every CONFIG SET.
void wire_output_limits(conf::Registry& config);

// The largest output buffer seen recently: connections report their buffer sizes as they
// grow (a relaxed compare, no clock); the cron calls rotate_output_peaks() often, and it
// starts a new one-second slot when the second changed; INFO reads the maximum over the
// last eight seconds.
void note_output_size(size_t bytes);
void rotate_output_peaks(int64_t now_ms);
size_t recent_max_output();

}  // namespace terndb::server
