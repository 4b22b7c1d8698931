// Pub/sub and MONITOR delivery across io threads.
//
// The registry maps channels, shard channels and patterns to their subscribers, and keeps
// the list of MONITOR clients. Any thread may publish; a connection's socket is only ever
// written by its own worker. Publishing therefore works like this:
//
//   1. The message frame is formatted once (RESP2 bytes; RESP3 clients get the same bytes
//      with '>' for the leading '*') and shared by every receiver through a shared_ptr.
//   2. Under the registry mutex the publisher looks up the receivers. Each channel keeps
//      its subscribers grouped by worker in immutable lists (copy-on-write when someone
//      subscribes or leaves), so collecting them costs one reference per worker, not one
//      per subscriber.
//   3. Still under the mutex, one item (frame + that worker's list) per worker is appended
//      to the worker's inbox, and a drain task is posted to the worker only when its inbox
//      was empty. A burst of publishes thus costs one wake-up per worker, not one per
//      message. Because items enter every inbox under the same mutex, all subscribers see
//      the messages of a channel in one global order.
//   4. The worker drains its inbox in order, appends each frame to each target
//      connection's output, and starts one write per connection for the whole batch.
//
// Lock order: a shard lock may be held while publishing (keyspace notifications, expiry),
// even all of them (EXEC); the registry never takes a shard lock. Inbox locks nest inside
// the registry lock. Both are spin locks (spin_lock.h), and workers are woken after the
// registry lock is released, through deferred_post.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/spin_lock.h"

namespace terndb::server {

class Connection;
class Server;
struct ClientState;
struct Worker;

// A formatted message for one or more receivers.
struct PushFrame {
  std::string bytes;    // the RESP2 form
  bool is_push = true;  // RESP3 receivers get '>' instead of the leading '*'
};

// How the registry knows a connection that subscribed or monitors. Shared by the
// connection and the registry's lists; outlives the connection if a list still holds it.
struct PushTarget {
  PushTarget(Worker& w, Connection* c, std::shared_ptr<ClientState> s)
      : worker(w), connection(c), state(std::move(s)) {}
  Worker& worker;
  // Read and cleared only on the worker's thread; null once the connection closed.
  Connection* connection;
  std::shared_ptr<ClientState> state;

  // Guarded by the registry's mutex.
  std::unordered_set<std::string> channels;
  std::unordered_set<std::string> shard_channels;
  std::vector<std::string> patterns;  // in subscription order, as PUNSUBSCRIBE lists them
  bool monitor = false;
};

using TargetList = std::vector<std::shared_ptr<PushTarget>>;

// One frame bound for some connections of one worker.
struct PushItem {
  std::shared_ptr<const PushFrame> frame;
  std::shared_ptr<const TargetList> targets;
};

enum class ChannelKind { kGlobal, kShard };

class PubsubRegistry {
 public:
  explicit PubsubRegistry(Server& server);
  ~PubsubRegistry();

  // Subscription changes, made on the subscriber's own thread. Each returns whether the
  // set changed. With `deliver_queued`, frames already queued for the caller's worker are
  // delivered before the call returns (see take_pending), so the caller's reply follows
  // every message that was published before the change, as with Redis. (Inside EXEC they
  // are not: they would land inside EXEC's reply array.)
  bool subscribe(const std::shared_ptr<PushTarget>& t, std::string_view channel, ChannelKind kind,
                 bool deliver_queued);
  bool unsubscribe(const std::shared_ptr<PushTarget>& t, std::string_view channel, ChannelKind kind,
                   bool deliver_queued);
  bool psubscribe(const std::shared_ptr<PushTarget>& t, std::string_view pattern,
                  bool deliver_queued);
  bool punsubscribe(const std::shared_ptr<PushTarget>& t, std::string_view pattern,
                    bool deliver_queued);
  // The caller's channels / patterns (for the argument-less unsubscribe forms).
  std::vector<std::string> channels_of(const PushTarget& t, ChannelKind kind);
  std::vector<std::string> patterns_of(const PushTarget& t);
  // Leaves every subscription and MONITOR (RESET, disconnection).
  void leave_all(const std::shared_ptr<PushTarget>& t, bool deliver_queued);

  // Publishes to channel subscribers and, for global channels, to matching patterns.
  // Returns the number of receivers. Callable from any thread, with shard locks held.
  size_t publish(std::string_view channel, std::string_view message, ChannelKind kind);

  // PUBSUB introspection.
  std::vector<std::string> active_channels(const std::string* pattern, ChannelKind kind);
  size_t subscriber_count(std::string_view channel, ChannelKind kind);
  size_t pattern_count();
  size_t channel_count(ChannelKind kind);

  // MONITOR.
  void add_monitor(const std::shared_ptr<PushTarget>& t);
  bool has_monitors() const { return monitor_count_.load(std::memory_order_relaxed) != 0; }
  // Sends one line (already formatted) to every monitor, in one global order.
  void feed_monitors(std::string line);

  // Delivers the items queued for worker `w` now, on w's thread (the posted drain task and
  // subscription changes call it).
  void drain(Worker& w);

  // notify-keyspace-events as flag bits (notify.h), kept current by the config.
  int notify_flags() const {
    return notify_flags_ ? static_cast<int>(notify_flags_->load(std::memory_order_relaxed)) : 0;
  }

 private:
  // Subscribers of one channel or pattern, grouped by worker.
  struct Audience {
    std::vector<std::shared_ptr<const TargetList>> by_worker;
    size_t count = 0;
  };
  struct Inbox {
    SpinLock mu;
    std::vector<PushItem> items;
    bool scheduled = false;  // a drain task is posted and has not started yet
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using AudienceMap = std::unordered_map<std::string, Audience, StringHash, std::equal_to<>>;

  AudienceMap& map_for(ChannelKind kind) { return kind == ChannelKind::kShard ? shard_ : global_; }
  void add_to(Audience& a, const std::shared_ptr<PushTarget>& t);
  // Removes `t`; returns true when the audience became empty.
  bool remove_from(Audience& a, const PushTarget& t);
  // Queues `frame` for every worker list of `a` (registry mutex held).
  void stage(const Audience& a, const std::shared_ptr<const PushFrame>& frame);
  // Moves the staged items into the inboxes (registry lock held); returns the workers to
  // wake once the lock is released.
  std::vector<Worker*> post_staged();
  void wake(const std::vector<Worker*>& workers);
  // Takes the items queued for the caller's worker (registry mutex held) so that the
  // caller delivers them itself before its reply.
  std::vector<PushItem> take_pending(Worker& w);
  template <typename Change>
  bool change_subscription(const std::shared_ptr<PushTarget>& t, bool deliver_queued,
                           Change&& change);
  void deliver(std::vector<PushItem>& items);
  void update_counts();

  Server& server_;
  size_t worker_count_;
  const std::atomic<int64_t>* notify_flags_ = nullptr;
  SpinLock mu_;
  AudienceMap global_;
  AudienceMap shard_;
  AudienceMap patterns_;
  Audience monitors_;
  std::vector<std::unique_ptr<Inbox>> inboxes_;
  std::vector<std::vector<PushItem>> staged_;  // per worker, under mu_
  std::atomic<size_t> monitor_count_{0};
  // Read without the lock by PUBLISH's fast path and INFO.
  std::atomic<size_t> global_count_{0}, shard_count_{0}, pattern_count_{0};
};

// Formats a pub/sub message frame: ["message", channel, payload] and friends.
std::shared_ptr<const PushFrame> make_message_frame(std::string_view kind, std::string_view channel,
                                                    std::string_view payload);
std::shared_ptr<const PushFrame> make_pmessage_frame(std::string_view pattern,
                                                     std::string_view channel,
                                                     std::string_view payload);

struct CommandContext;
// RESET: the client leaves all its subscriptions and MONITOR mode (cmd_pubsub.cc).
void reset_pubsub_state(CommandContext& c);

}  // namespace terndb::server
