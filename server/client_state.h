// Per-connection state that commands read and change (database, protocol, auth, name),
// and the figures CLIENT LIST / INFO read from other threads.
//
// Fields that only the connection's own thread touches are plain; fields that other
// threads read (CLIENT LIST, CLIENT KILL filters) are atomics or guarded by `mu`.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "storage/waiting.h"

namespace terndb::server {

struct CommandSpec;

enum class ReplyMode { kOn, kOff, kSkip };

// MULTI / WATCH state; only the connection's own thread touches it.
struct TransactionState {
  bool active = false;  // between MULTI and EXEC/DISCARD
  bool failed = false;  // a command was refused while queueing: EXEC aborts
  std::vector<std::vector<std::string>> queued;
  std::shared_ptr<storage::WatchFlag> watch_flag;    // set dirty by writes to watched keys
  std::vector<std::pair<int, std::string>> watched;  // (db, key)
};

struct ClientState {
  uint64_t id = 0;
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<bool> authenticated{false};
  std::string user = "default";
  int64_t created_ms = 0;
  std::string addr;   // "ip:port" of the peer, or "/path:0" for unix sockets
  std::string laddr;  // local address
  int fd = -1;
  bool is_unix = false;

  // CLIENT REPLY ON|OFF|SKIP
  ReplyMode reply_mode = ReplyMode::kOn;
  bool skip_next_reply = false;
  // Subscription confirmations written by a command whose reply CLIENT REPLY OFF/SKIP
  // drops: they are pushes, not replies, and Redis 7.0.15 sends them all the same.
  std::string kept_pushes;
  bool close_after_reply = false;
  std::atomic<bool> no_evict{false};
  // maxmemory-clients chose this client; its close is on the way.
  std::atomic<bool> evicted{false};

  // Read by other threads.
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<const CommandSpec*> last_command{nullptr};
  std::atomic<size_t> query_buffer_bytes{0};
  std::atomic<size_t> query_buffer_free{0};
  std::atomic<size_t> argv_bytes{0};
  std::atomic<size_t> output_bytes{0};
  std::atomic<size_t> output_pending{0};
  std::atomic<uint64_t> events_flags{0};
  std::atomic<int> multi_count{-1};  // -1 outside MULTI
  std::atomic<bool> blocked{false};
  // Pub/sub subscriptions and MONITOR (kept by the registry, pubsub.h).
  std::atomic<int> sub_channels{0};
  std::atomic<int> sub_patterns{0};
  std::atomic<int> sub_shard_channels{0};
  std::atomic<bool> monitor{false};
  TransactionState tx;

  // Subscribed to anything: Redis's "P" flag and pubsub client class.
  bool subscribed() const {
    return sub_channels.load(std::memory_order_relaxed) +
               sub_patterns.load(std::memory_order_relaxed) +
               sub_shard_channels.load(std::memory_order_relaxed) >
           0;
  }

  std::string name() const {
    std::lock_guard<std::mutex> g(mu);
    return name_;
  }
  void set_name(std::string n) {
    std::lock_guard<std::mutex> g(mu);
    name_ = std::move(n);
  }

 private:
  mutable std::mutex mu;
  std::string name_;
};

}  // namespace terndb::server
