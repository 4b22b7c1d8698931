#include "storage/shard_lock_carry.h"

namespace terndb::storage::lock_carry {
namespace {

// Other threads wait for a kept lock for as long as one client's input takes: it is let go
// after this many commands in a row kept it, so that a long pipeline on one key does not
// keep them waiting for all of it.
constexpr int kMaxKeeps = 32;

thread_local bool t_allowed = false;
thread_local std::mutex* t_kept = nullptr;
thread_local int t_keeps = 0;

}  // namespace

void allow(bool allowed) {
  t_allowed = allowed;
}

void release() {
  if (!t_kept) return;
  std::mutex* mu = t_kept;
  t_kept = nullptr;
  t_keeps = 0;
  mu->unlock();
}

std::unique_lock<std::mutex> lock(std::mutex& mu) {
  if (t_kept == &mu) {
    t_kept = nullptr;
    return std::unique_lock<std::mutex>(mu, std::adopt_lock);
  }
  release();
  return std::unique_lock<std::mutex>(mu);
}

bool keep(std::unique_lock<std::mutex>& lock) {
  if (!t_allowed || t_kept || !lock.owns_lock()) return false;
  if (++t_keeps >= kMaxKeeps) {
    t_keeps = 0;
    return false;
  }
  t_kept = lock.release();
  return true;
}

}  // namespace terndb::storage::lock_carry
