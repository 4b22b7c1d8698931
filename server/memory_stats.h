// Process memory figures for INFO memory: what the allocator holds for the program and
// what the kernel has resident.
//
// The server binary links jemalloc except in sanitizer builds (and the unit tests never
// do), so jemalloc is found at run time through a weak `mallctl` symbol; without it the
// figures come from the sanitizer's allocator or glibc's mallinfo2.
#pragma once

#include <cstdint>
#include <string>

namespace terndb::server {

struct MemoryStats {
  uint64_t allocated = 0;            // bytes the program holds (used_memory): jemalloc's allocated
                                     // bytes less what its thread caches keep for reuse, which
                                     // the program has freed (Redis counts live allocations too)
  uint64_t allocator_allocated = 0;  // jemalloc's stats.allocated, caches included
  uint64_t active = 0;               // allocator pages in use
  uint64_t resident = 0;             // allocator pages resident
  uint64_t rss = 0;                  // resident set size of the process
  std::string allocator;             // "jemalloc-5.3.0" or "libc"
};

MemoryStats read_memory_stats();
// Only the allocator's allocated bytes, without reading /proc (the maxmemory check).
uint64_t allocated_bytes();
// Bytes allocated minus bytes freed by the threads registered with
// register_allocating_thread() (jemalloc's per-thread counters, one load each), and
// whether they are available (jemalloc linked). Memory one registered thread allocates and
// another frees cancels out in the sum; the rest of the program is not included.
void register_allocating_thread();
bool thread_counters_available();
int64_t registered_threads_live_bytes();
// Returns unused dirty pages to the system (MEMORY PURGE); false without jemalloc.
bool purge_allocator();
// jemalloc's background thread (`jemalloc-bg-thread`, on by default as in Redis): it
// returns freed pages to the system on its own schedule. Without it, the threads that
// allocate do that work inline, and each return of pages from a multi-threaded process
// makes the kernel interrupt the other cores running it to flush their TLBs. False
// without jemalloc.
bool set_allocator_background_thread(bool on);
// The highest `allocated` seen by read_memory_stats() so far.
uint64_t peak_allocated();
// `allocated` when the program started.
uint64_t startup_allocated();
// Physical memory of the machine.
uint64_t total_system_memory();
// Redis's human form: 1015.61K, 11.90M, 0B.
std::string bytes_to_human(uint64_t n);

}  // namespace terndb::server
