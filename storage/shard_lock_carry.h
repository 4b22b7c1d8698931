// A shard lock kept from one pipelined command to the next.
//
// When two io threads serve pipelines on one hot key, taking and dropping its shard lock
// for every command hands the lock (and the cache lines of the value) back and forth
// between the cores, and a thread that finds it taken sleeps on the futex and is woken
// again: on a sorted set of 100,000 members that costs more than the ZADDs. So a command
// that may keep its lock (the caller allows it, and the io thread releases it before any
// other locking it does) leaves its KeyHandle's shard lock held when the handle ends; the
// next KeyHandle on this thread that wants the same shard takes it over, and one that wants
// another shard releases it first, so a thread never waits while holding it. A client's
// pipeline of 16 commands on one key then takes the lock once.
//
// The io thread allows it only around commands that take no other locks while or after
// they use their one key (kCmdKeepsShardLock in server/command.h; server/dispatch.cc),
// and releases it before anything else and at the end of each client's input, so it is
// never held while the thread waits.
#pragma once

#include <mutex>

namespace terndb::storage::lock_carry {

// Whether KeyHandles ending on this thread now may keep their lock.
void allow(bool allowed);
// allow() for a scope: disallowed again at its end, whichever way it is left.
class Allowed {
 public:
  explicit Allowed(bool allowed) { allow(allowed); }
  ~Allowed() { allow(false); }
  Allowed(const Allowed&) = delete;
  Allowed& operator=(const Allowed&) = delete;
};
// Releases the kept lock, if any.
void release();
// For KeyHandle: `mu` locked, taking over the kept lock when it is this one (releasing it
// first otherwise).
std::unique_lock<std::mutex> lock(std::mutex& mu);
// For KeyHandle: keeps `lock` held past the handle when allowed and nothing is kept yet;
// returns whether it did (the handle then owns nothing).
bool keep(std::unique_lock<std::mutex>& lock);

}  // namespace terndb::storage::lock_carry
