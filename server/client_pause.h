// CLIENT PAUSE: while a pause is on, commands it covers wait instead of running. A held
// client stops processing its input (its connection keeps its place in the io loop; no
// thread blocks) and runs the held command when the pause ends or CLIENT UNPAUSE comes.
//
// As in Redis 7.0: WRITE holds commands that write or may replicate (and EXEC of such a
// transaction), ALL holds every command; a new pause only ever extends the end time and
// strengthens the mode; MONITOR clients are never held; keys do not expire while paused.
#pragma once

#include <atomic>
#include <cstdint>

#include "server/spin_lock.h"

namespace terndb::storage {
class Keyspace;
}

namespace terndb::server {

enum class PauseMode { kOff = 0, kWrite = 1, kAll = 2 };

class ClientPause {
 public:
  explicit ClientPause(storage::Keyspace& ks) : keyspace_(ks) {}

  void pause(int64_t end_ms, PauseMode mode);
  // Ends the pause; true if one was on (the caller then wakes the held clients).
  bool unpause();
  // Whether a command with these flags (for EXEC: or'ed with its queued commands') must
  // wait now. One relaxed load when no pause is on.
  bool holds(uint32_t command_flags) const {
    const int mode = mode_.load(std::memory_order_relaxed);
    return mode != 0 && holds_slow(mode, command_flags);
  }
  bool active() const { return mode_.load(std::memory_order_relaxed) != 0; }
  int64_t end_ms() const { return end_ms_.load(std::memory_order_relaxed); }
  // The cron's check: ends a pause whose time is up. True if it ended one.
  bool expire(int64_t now_ms);

 private:
  bool holds_slow(int mode, uint32_t command_flags) const;
  void end_locked();

  storage::Keyspace& keyspace_;
  SpinLock mu_;  // CLIENT PAUSE may run inside EXEC, under every shard lock
  std::atomic<int> mode_{0};
  std::atomic<int64_t> end_ms_{0};
  bool saved_expire_on_access_ = true;
};

}  // namespace terndb::server
