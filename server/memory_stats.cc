#include "server/memory_stats.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

// jemalloc's control interface, present only when jemalloc is linked.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));
// The sanitizers' allocator, present only in sanitizer builds (where mallinfo2 reports
// nothing).
extern "C" size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

namespace terndb::server {
namespace {

std::atomic<uint64_t> g_peak{0};

bool jemalloc_present() {
  return mallctl != nullptr;
}

uint64_t jemalloc_stat(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  if (mallctl(name, &value, &len, nullptr, 0) != 0) return 0;
  return value;
}

std::string jemalloc_version() {
  const char* version = nullptr;
  size_t len = sizeof(version);
  if (mallctl("version", &version, &len, nullptr, 0) != 0 || !version) return "jemalloc";
  std::string v = version;  // "5.3.0-0-g54eaed1d..."
  return "jemalloc-" + v.substr(0, v.find('-'));
}

// Bytes of freed objects jemalloc's thread caches hold (all arenas merged; 4096 is
// MALLCTL_ARENAS_ALL). They count as allocated in stats.allocated.
uint64_t thread_cached_bytes() {
  return jemalloc_stat("stats.arenas.4096.tcache_bytes");
}

uint64_t process_rss() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  int n = fscanf(f, "%llu %llu", &size, &resident);
  fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

MemoryStats sample() {
  MemoryStats s;
  if (jemalloc_present()) {
    // Statistics are cached until the epoch advances.
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, len);
    s.allocator_allocated = jemalloc_stat("stats.allocated");
    s.allocated = s.allocator_allocated - std::min(s.allocator_allocated, thread_cached_bytes());
    s.active = jemalloc_stat("stats.active");
    s.resident = jemalloc_stat("stats.resident");
    s.allocator = jemalloc_version();
  } else if (__sanitizer_get_current_allocated_bytes != nullptr) {
    s.allocated = s.active = s.resident = __sanitizer_get_current_allocated_bytes();
    s.allocator_allocated = s.allocated;
    s.allocator = "libc";
  } else {
    struct mallinfo2 mi = mallinfo2();
    s.allocated = mi.uordblks + mi.hblkhd;
    s.allocator_allocated = s.allocated;
    s.active = mi.uordblks + mi.hblkhd;
    s.resident = mi.arena + mi.hblkhd;
    s.allocator = "libc";
  }
  s.rss = process_rss();
  return s;
}

// Taken while static objects are constructed, before the server allocates its tables.
const uint64_t g_startup_allocated = sample().allocated;

}  // namespace

MemoryStats read_memory_stats() {
  MemoryStats s = sample();
  uint64_t peak = g_peak.load(std::memory_order_relaxed);
  while (s.allocated > peak && !g_peak.compare_exchange_weak(peak, s.allocated)) {
  }
  return s;
}

uint64_t allocated_bytes() {
  uint64_t allocated;
  if (jemalloc_present()) {
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, len);
    allocated = jemalloc_stat("stats.allocated");
    allocated -= std::min(allocated, thread_cached_bytes());
  } else {
    allocated = sample().allocated;
  }
  uint64_t peak = g_peak.load(std::memory_order_relaxed);
  while (allocated > peak && !g_peak.compare_exchange_weak(peak, allocated)) {
  }
  return allocated;
}

namespace {
constexpr size_t kMaxCountedThreads = 256;
struct ThreadCounters {
  std::atomic<const uint64_t*> allocated{nullptr};
  std::atomic<const uint64_t*> deallocated{nullptr};
};
ThreadCounters g_thread_counters[kMaxCountedThreads];
std::atomic<size_t> g_counted_threads{0};
}  // namespace

void register_allocating_thread() {
  if (!jemalloc_present()) return;
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  size_t len = sizeof(allocated);
  if (mallctl("thread.allocatedp", &allocated, &len, nullptr, 0) != 0) return;
  len = sizeof(deallocated);
  if (mallctl("thread.deallocatedp", &deallocated, &len, nullptr, 0) != 0) return;
  const size_t slot = g_counted_threads.fetch_add(1);
  if (slot >= kMaxCountedThreads) return;
  // Readers skip a slot until both pointers are there.
  g_thread_counters[slot].deallocated.store(deallocated);
  g_thread_counters[slot].allocated.store(allocated);
}

bool thread_counters_available() {
  return g_counted_threads.load(std::memory_order_relaxed) > 0;
}

int64_t registered_threads_live_bytes() {
  // The counters belong to their threads and are written without synchronisation; a
  // relaxed read of a 64-bit word is what jemalloc's own readers do.
  int64_t sum = 0;
  const size_t n = std::min(g_counted_threads.load(std::memory_order_acquire), kMaxCountedThreads);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* a = g_thread_counters[i].allocated.load(std::memory_order_relaxed);
    const uint64_t* d = g_thread_counters[i].deallocated.load(std::memory_order_relaxed);
    if (!a || !d) continue;
    sum += static_cast<int64_t>(__atomic_load_n(a, __ATOMIC_RELAXED)) -
           static_cast<int64_t>(__atomic_load_n(d, __ATOMIC_RELAXED));
  }
  return sum;
}

bool purge_allocator() {
  if (!jemalloc_present()) return false;
  // MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
  return mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0) == 0;
}

bool set_allocator_background_thread(bool on) {
  if (!jemalloc_present()) return false;
  return mallctl("background_thread", nullptr, nullptr, &on, sizeof(on)) == 0;
}

uint64_t peak_allocated() {
  return g_peak.load(std::memory_order_relaxed);
}

uint64_t startup_allocated() {
  return g_startup_allocated;
}

uint64_t total_system_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string bytes_to_human(uint64_t n) {
  static const char* kUnits = "KMGTP";
  char buf[64];
  if (n < 1024) {
    snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
    return buf;
  }
  double d = static_cast<double>(n);
  for (int i = 0; i < 5; ++i) {
    d /= 1024;
    if (d < 1024) {
      snprintf(buf, sizeof(buf), "%.2f%c", d, kUnits[i]);
      return buf;
    }
  }
  snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace terndb::server
