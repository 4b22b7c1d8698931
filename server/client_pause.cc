#include "server/client_pause.h"

#include <mutex>

#include "server/command.h"
#include "storage/clock.h"
#include "storage/keyspace.h"

namespace terndb::server {

void ClientPause::pause(int64_t end_ms, PauseMode mode) {
  std::lock_guard<SpinLock> g(mu_);
  if (mode_.load() == 0) {
    // Keys must not change under a paused dataset: lazy expiry only hides expired keys
    // (as on a replica) and the cron's active expiry skips its cycles.
    saved_expire_on_access_ = keyspace_.expire_on_access();
    keyspace_.set_expire_on_access(false);
  }
  if (end_ms > end_ms_.load()) end_ms_.store(end_ms);
  if (static_cast<int>(mode) > mode_.load()) mode_.store(static_cast<int>(mode));
}

void ClientPause::end_locked() {
  mode_.store(0);
  end_ms_.store(0);
  keyspace_.set_expire_on_access(saved_expire_on_access_);
}

bool ClientPause::unpause() {
  std::lock_guard<SpinLock> g(mu_);
  if (mode_.load() == 0) return false;
  end_locked();
  return true;
}

bool ClientPause::expire(int64_t now_ms) {
  if (mode_.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard<SpinLock> g(mu_);
  if (mode_.load() == 0 || end_ms_.load() > now_ms) return false;
  end_locked();
  return true;
}

bool ClientPause::holds_slow(int mode, uint32_t command_flags) const {
  // A pause whose time is up holds nothing, even before the cron has ended it.
  if (end_ms_.load(std::memory_order_relaxed) <= storage::now_ms()) return false;
  if (mode == static_cast<int>(PauseMode::kAll)) return true;
  return (command_flags & (kCmdWrite | kCmdMayReplicate)) != 0;
}

}  // namespace terndb::server
