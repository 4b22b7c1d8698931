#include "server/client_eviction.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "server/client_info.h"
#include "server/client_state.h"
#include "server/log.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

constexpr int64_t kMinLimit = 128 * 1024;

std::atomic<uint64_t> g_evicted{0};

}  // namespace

int64_t client_memory(const ClientState& s) {
  const auto load = [](const std::atomic<size_t>& v) {
    return static_cast<int64_t>(v.load(std::memory_order_relaxed));
  };
  return static_cast<int64_t>(sizeof(ClientState)) + load(s.query_buffer_bytes) +
         load(s.query_buffer_free) + load(s.argv_bytes) + load(s.output_pending) +
         load(s.output_bytes);
}

int64_t client_eviction_limit(int64_t setting, int64_t maxmemory) {
  int64_t limit;
  if (setting < 0) {
    if (maxmemory <= 0) return 0;
    limit = static_cast<int64_t>(static_cast<double>(maxmemory) *
                                 (static_cast<double>(-setting) / 100.0));
  } else if (setting > 0) {
    limit = setting;
  } else {
    return 0;
  }
  return std::max(limit, kMinLimit);
}

size_t evict_clients(Server& server) {
  const int64_t limit = client_eviction_limit(server.config().num("maxmemory-clients"),
                                              server.config().num("maxmemory"));
  if (limit == 0) return 0;
  std::vector<ClientEntry> clients = server.clients_snapshot();
  int64_t total = 0;
  std::vector<std::pair<int64_t, size_t>> candidates;  // (memory, index in clients)
  for (size_t i = 0; i < clients.size(); ++i) {
    const ClientState& s = *clients[i].state;
    // Already on its way out (closing is posted to its worker).
    if (s.evicted.load(std::memory_order_relaxed)) continue;
    const int64_t bytes = client_memory(s);
    total += bytes;
    if (!s.no_evict.load(std::memory_order_relaxed)) candidates.emplace_back(bytes, i);
  }
  if (total < limit) return 0;
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  size_t closed = 0;
  const int64_t now = storage::now_ms();
  for (const auto& [bytes, i] : candidates) {
    if (total < limit) break;
    ClientEntry& e = clients[i];
    e.state->evicted.store(true, std::memory_order_relaxed);
    logf(LogLevel::kNotice, "Evicting client: %s", client_info_line(*e.state, now).c_str());
    server.kill_client(e);
    total -= bytes;
    ++closed;
  }
  g_evicted.fetch_add(closed, std::memory_order_relaxed);
  return closed;
}

uint64_t evicted_clients() {
  return g_evicted.load(std::memory_order_relaxed);
}

void reset_evicted_clients() {
  g_evicted.store(0, std::memory_order_relaxed);
}

}  // namespace terndb::server
