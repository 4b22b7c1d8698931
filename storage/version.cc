#include "storage/version.h"

#include <array>
#include <memory>
#include <mutex>

#include "storage/clock.h"

namespace terndb::storage {
namespace {

// Origins: appended, never removed (a node has a new uuid at each start, so a long-lived
// node sees a few per peer restart). A fixed array keeps reads lock-free.
constexpr size_t kMaxOrigins = 1 << 16;

struct OriginTable {
  std::mutex mu;
  std::unordered_map<std::string, uint32_t> by_uuid;
  std::array<std::atomic<const std::string*>, kMaxOrigins> uuids{};
  std::atomic<uint32_t> count{1};  // index 0 is "no origin"
};

OriginTable& origins() {
  static OriginTable* t = new OriginTable();  // outlives every thread at exit
  return *t;
}

std::atomic<uint64_t> g_hlc{0};
std::atomic<bool> g_versioned{false};
std::atomic<uint32_t> g_local_origin{0};

}  // namespace

std::string_view origin_uuid(uint32_t origin) {
  if (origin == 0 || origin >= kMaxOrigins) return {};
  const std::string* s = origins().uuids[origin].load(std::memory_order_acquire);
  return s ? std::string_view(*s) : std::string_view();
}

uint32_t intern_origin(std::string_view uuid) {
  if (uuid.empty()) return 0;
  OriginTable& t = origins();
  std::lock_guard<std::mutex> g(t.mu);
  auto it = t.by_uuid.find(std::string(uuid));
  if (it != t.by_uuid.end()) return it->second;
  uint32_t idx = t.count.load(std::memory_order_relaxed);
  if (idx >= kMaxOrigins) return 0;  // cannot happen in practice: 65535 peer restarts
  t.uuids[idx].store(new std::string(uuid), std::memory_order_release);
  t.count.store(idx + 1, std::memory_order_relaxed);
  t.by_uuid.emplace(std::string(uuid), idx);
  return idx;
}

bool version_less(const Version& a, const Version& b) {
  if (a.mvcc != b.mvcc) return a.mvcc < b.mvcc;
  if (a.origin == b.origin) return false;
  return origin_uuid(a.origin) < origin_uuid(b.origin);
}

uint64_t hlc_mvcc_of_ms(int64_t ms) {
  return static_cast<uint64_t>(ms) << 20;
}

uint64_t hlc_next() {
  uint64_t wall = hlc_mvcc_of_ms(now_ms());
  uint64_t cur = g_hlc.load(std::memory_order_relaxed);
  while (true) {
    uint64_t next = cur + 1 > wall ? cur + 1 : wall;
    if (g_hlc.compare_exchange_weak(cur, next, std::memory_order_relaxed)) return next;
  }
}

void hlc_observe(uint64_t mvcc) {
  uint64_t cur = g_hlc.load(std::memory_order_relaxed);
  while (cur < mvcc && !g_hlc.compare_exchange_weak(cur, mvcc, std::memory_order_relaxed)) {
  }
}

bool versioned_entries() {
  return g_versioned.load(std::memory_order_relaxed);
}

void set_versioned_entries(bool on) {
  g_versioned.store(on, std::memory_order_relaxed);
}

uint32_t local_origin() {
  return g_local_origin.load(std::memory_order_relaxed);
}

void set_local_origin(uint32_t origin) {
  g_local_origin.store(origin, std::memory_order_relaxed);
}

}  // namespace terndb::storage
