// Bookkeeping that lives in each shard beside its tables, guarded by the shard lock:
//
// - WATCH: which clients watch which keys. A write to a watched key, its expiry, or a
//   flush of its database marks the watchers' flags dirty; EXEC then refuses to run.
// - Blocking pops: which blocked clients wait on which keys, in arrival order. When a key
//   is created, its waiters are offered the key in order (see Waiter::offer).
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace terndb::storage {

class KeyHandle;

struct WatchFlag {
  std::atomic<bool> dirty{false};
};

class WatchRegistry {
 public:
  void add(int db, std::string_view key, const std::shared_ptr<WatchFlag>& flag);
  void remove(int db, std::string_view key, const WatchFlag* flag);
  // Marks every watcher of the key dirty.
  void touch(int db, std::string_view key);
  // Marks every watcher of any key of `db` dirty (-1: every database).
  void touch_db(int db);
  bool empty() const { return watchers_.empty(); }

 private:
  std::map<std::pair<int, std::string>, std::vector<std::shared_ptr<WatchFlag>>, std::less<>>
      watchers_;
};

// One blocked client. Exactly one party completes it: the thread that serves it data, its
// timeout, CLIENT UNBLOCK, or its disconnection, whichever claims it first.
class Waiter : public std::enable_shared_from_this<Waiter> {
 public:
  virtual ~Waiter() = default;
  bool claim() {
    bool expected = false;
    return done_.compare_exchange_strong(expected, true);
  }
  bool done() const { return done_.load(); }
  void unclaim() { done_.store(false); }

  enum class Offer { kServed, kCannot, kRetryOnOwnThread };
  // Called with the key's shard lock held, on whatever thread made the key ready. The
  // waiter either takes what it needs from `key` and delivers its reply (kServed; it has
  // claimed itself), cannot use the key (kCannot: wrong type or empty; nothing changed), or
  // needs locks it cannot take here (kRetryOnOwnThread: it will rerun its command itself).
  virtual Offer offer(KeyHandle& key) = 0;

 private:
  std::atomic<bool> done_{false};
};

class WaitQueues {
 public:
  void add(int db, std::string_view key, const std::shared_ptr<Waiter>& w);
  void remove(int db, std::string_view key, const Waiter* w);
  bool has_waiters(int db, std::string_view key) const;
  // Offers the key to its waiters in order until one cannot be served or none are left.
  void serve(int db, KeyHandle& key);
  bool empty() const { return queues_.empty(); }
  // Keys of `db` with waiters (SWAPDB and FLUSH re-check them).
  std::vector<std::string> keys_of(int db) const;

 private:
  std::map<std::pair<int, std::string>, std::deque<std::shared_ptr<Waiter>>, std::less<>>
      queues_;
};

}  // namespace terndb::storage
