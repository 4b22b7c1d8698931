// A lock for short critical sections that may be entered while a transaction holds every
// shard lock (the pub/sub registry, CLIENT PAUSE's state).
//
// Why not std::mutex there: EXEC and scripts hold all shard mutexes at once (64 or more),
// and ThreadSanitizer's deadlock detector aborts when a thread holds more than 64 mutexes.
// A spin lock on an atomic flag is invisible to that detector while its acquire/release
// ordering is still seen by the race detector. The sections it guards are a few hash
// lookups long; a waiter yields the CPU after a short spin.
#pragma once

#include <atomic>
#include <thread>

namespace terndb::server {

class SpinLock {
 public:
  void lock() {
    for (int spins = 0; flag_.test_and_set(std::memory_order_acquire); ++spins) {
      if (spins >= 64) std::this_thread::yield();
    }
  }
  bool try_lock() { return !flag_.test_and_set(std::memory_order_acquire); }
  void unlock() { flag_.clear(std::memory_order_release); }

 private:
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

}  // namespace terndb::server
