#include "server/pubsub.h"

#include <algorithm>
#include <mutex>

#include "server/client_state.h"
#include "server/connection.h"
#include "server/deferred_post.h"
#include "server/server.h"
#include "storage/glob.h"

namespace terndb::server {
namespace {

void append_bulk(std::string& out, std::string_view s) {
  out.push_back('$');
  out.append(std::to_string(s.size()));
  out.append("\r\n", 2);
  out.append(s);
  out.append("\r\n", 2);
}

void publish_counts(PushTarget& t) {
  t.state->sub_channels.store(static_cast<int>(t.channels.size()), std::memory_order_relaxed);
  t.state->sub_patterns.store(static_cast<int>(t.patterns.size()), std::memory_order_relaxed);
  t.state->sub_shard_channels.store(static_cast<int>(t.shard_channels.size()),
                                    std::memory_order_relaxed);
}

}  // namespace

std::shared_ptr<const PushFrame> make_message_frame(std::string_view kind, std::string_view channel,
                                                    std::string_view payload) {
  auto f = std::make_shared<PushFrame>();
  f->bytes.reserve(32 + kind.size() + channel.size() + payload.size());
  f->bytes.append("*3\r\n", 4);
  append_bulk(f->bytes, kind);
  append_bulk(f->bytes, channel);
  append_bulk(f->bytes, payload);
  return f;
}

std::shared_ptr<const PushFrame> make_pmessage_frame(std::string_view pattern,
                                                     std::string_view channel,
                                                     std::string_view payload) {
  auto f = std::make_shared<PushFrame>();
  f->bytes.reserve(48 + pattern.size() + channel.size() + payload.size());
  f->bytes.append("*4\r\n", 4);
  append_bulk(f->bytes, "pmessage");
  append_bulk(f->bytes, pattern);
  append_bulk(f->bytes, channel);
  append_bulk(f->bytes, payload);
  return f;
}

PubsubRegistry::PubsubRegistry(Server& server)
    : server_(server), worker_count_(server.workers().size()) {
  for (size_t i = 0; i < worker_count_; ++i) inboxes_.push_back(std::make_unique<Inbox>());
  staged_.resize(worker_count_);
  monitors_.by_worker.resize(worker_count_);
  if (const conf::Option* o = server.config().find("notify-keyspace-events")) {
    notify_flags_ = &o->num;
  }
}

PubsubRegistry::~PubsubRegistry() = default;

void PubsubRegistry::add_to(Audience& a, const std::shared_ptr<PushTarget>& t) {
  if (a.by_worker.empty()) a.by_worker.resize(worker_count_);
  auto& slot = a.by_worker[t->worker.index];
  auto list = slot ? std::make_shared<TargetList>(*slot) : std::make_shared<TargetList>();
  list->push_back(t);
  slot = std::move(list);
  ++a.count;
}

bool PubsubRegistry::remove_from(Audience& a, const PushTarget& t) {
  auto& slot = a.by_worker[t.worker.index];
  if (!slot) return a.count == 0;
  auto list = std::make_shared<TargetList>();
  list->reserve(slot->size());
  for (const auto& p : *slot)
    if (p.get() != &t) list->push_back(p);
  if (list->size() == slot->size()) return a.count == 0;
  --a.count;
  if (list->empty()) {
    slot.reset();
  } else {
    slot = std::move(list);
  }
  return a.count == 0;
}

void PubsubRegistry::update_counts() {
  global_count_.store(global_.size(), std::memory_order_relaxed);
  shard_count_.store(shard_.size(), std::memory_order_relaxed);
  pattern_count_.store(patterns_.size(), std::memory_order_relaxed);
  monitor_count_.store(monitors_.count, std::memory_order_relaxed);
}

std::vector<PushItem> PubsubRegistry::take_pending(Worker& w) {
  std::vector<PushItem> items;
  Inbox& in = *inboxes_[w.index];
  std::lock_guard<SpinLock> g(in.mu);
  items.swap(in.items);
  return items;
}

// Runs `change` under the registry lock; when it changed `t`'s subscriptions, refreshes
// the counts. Messages already queued for `t`'s worker are delivered afterwards when asked,
// so a (un)subscribe reply follows them.
template <typename Change>
bool PubsubRegistry::change_subscription(const std::shared_ptr<PushTarget>& t, bool deliver_queued,
                                         Change&& change) {
  std::vector<PushItem> pending;
  bool changed;
  {
    std::lock_guard<SpinLock> g(mu_);
    changed = change();
    if (changed) {
      publish_counts(*t);
      update_counts();
    }
    if (deliver_queued) pending = take_pending(t->worker);
  }
  deliver(pending);
  return changed;
}

bool PubsubRegistry::subscribe(const std::shared_ptr<PushTarget>& t, std::string_view channel,
                               ChannelKind kind, bool deliver_queued) {
  return change_subscription(t, deliver_queued, [&] {
    auto& mine = kind == ChannelKind::kShard ? t->shard_channels : t->channels;
    if (mine.emplace(channel).second) {
      AudienceMap& map = map_for(kind);
      auto it = map.find(channel);
      if (it == map.end()) it = map.emplace(std::string(channel), Audience{}).first;
      add_to(it->second, t);
      return true;
    }
    return false;
  });
}

bool PubsubRegistry::unsubscribe(const std::shared_ptr<PushTarget>& t, std::string_view channel,
                                 ChannelKind kind, bool deliver_queued) {
  return change_subscription(t, deliver_queued, [&] {
    auto& mine = kind == ChannelKind::kShard ? t->shard_channels : t->channels;
    auto own = mine.find(std::string(channel));
    if (own != mine.end()) {
      mine.erase(own);
      AudienceMap& map = map_for(kind);
      auto it = map.find(channel);
      if (it != map.end() && remove_from(it->second, *t)) map.erase(it);
      return true;
    }
    return false;
  });
}

bool PubsubRegistry::psubscribe(const std::shared_ptr<PushTarget>& t, std::string_view pattern,
                                bool deliver_queued) {
  return change_subscription(t, deliver_queued, [&] {
    if (std::find(t->patterns.begin(), t->patterns.end(), pattern) == t->patterns.end()) {
      t->patterns.emplace_back(pattern);
      auto it = patterns_.find(pattern);
      if (it == patterns_.end()) it = patterns_.emplace(std::string(pattern), Audience{}).first;
      add_to(it->second, t);
      return true;
    }
    return false;
  });
}

bool PubsubRegistry::punsubscribe(const std::shared_ptr<PushTarget>& t, std::string_view pattern,
                                  bool deliver_queued) {
  return change_subscription(t, deliver_queued, [&] {
    auto own = std::find(t->patterns.begin(), t->patterns.end(), pattern);
    if (own != t->patterns.end()) {
      t->patterns.erase(own);
      auto it = patterns_.find(pattern);
      if (it != patterns_.end() && remove_from(it->second, *t)) patterns_.erase(it);
      return true;
    }
    return false;
  });
}

std::vector<std::string> PubsubRegistry::channels_of(const PushTarget& t, ChannelKind kind) {
  std::lock_guard<SpinLock> g(mu_);
  const auto& mine = kind == ChannelKind::kShard ? t.shard_channels : t.channels;
  return std::vector<std::string>(mine.begin(), mine.end());
}

std::vector<std::string> PubsubRegistry::patterns_of(const PushTarget& t) {
  std::lock_guard<SpinLock> g(mu_);
  return t.patterns;
}

void PubsubRegistry::leave_all(const std::shared_ptr<PushTarget>& t, bool deliver_queued) {
  std::vector<PushItem> pending;
  {
    std::lock_guard<SpinLock> g(mu_);
    for (ChannelKind kind : {ChannelKind::kGlobal, ChannelKind::kShard}) {
      auto& mine = kind == ChannelKind::kShard ? t->shard_channels : t->channels;
      AudienceMap& map = map_for(kind);
      for (const auto& ch : mine) {
        auto it = map.find(ch);
        if (it != map.end() && remove_from(it->second, *t)) map.erase(it);
      }
      mine.clear();
    }
    for (const auto& p : t->patterns) {
      auto it = patterns_.find(p);
      if (it != patterns_.end() && remove_from(it->second, *t)) patterns_.erase(it);
    }
    t->patterns.clear();
    if (t->monitor) {
      remove_from(monitors_, *t);
      t->monitor = false;
      t->state->monitor.store(false, std::memory_order_relaxed);
    }
    publish_counts(*t);
    update_counts();
    if (deliver_queued && t->connection) pending = take_pending(t->worker);
  }
  deliver(pending);
}

void PubsubRegistry::stage(const Audience& a, const std::shared_ptr<const PushFrame>& frame) {
  for (size_t w = 0; w < a.by_worker.size(); ++w) {
    if (a.by_worker[w]) staged_[w].push_back(PushItem{frame, a.by_worker[w]});
  }
}

std::vector<Worker*> PubsubRegistry::post_staged() {
  std::vector<Worker*> to_wake;
  for (size_t w = 0; w < worker_count_; ++w) {
    std::vector<PushItem>& items = staged_[w];
    if (items.empty()) continue;
    Inbox& in = *inboxes_[w];
    bool wake;
    {
      std::lock_guard<SpinLock> g(in.mu);
      if (in.items.empty()) {
        in.items.swap(items);
      } else {
        for (auto& it : items) in.items.push_back(std::move(it));
      }
      wake = !in.scheduled;
      in.scheduled = true;
    }
    items.clear();
    if (wake) to_wake.push_back(&server_.worker(w));
  }
  return to_wake;
}

void PubsubRegistry::wake(const std::vector<Worker*>& workers) {
  for (Worker* w : workers) post_to_worker(*w, [this, w]() { drain(*w); });
}

size_t PubsubRegistry::publish(std::string_view channel, std::string_view message,
                               ChannelKind kind) {
  const bool shard = kind == ChannelKind::kShard;
  // Nobody listens: no frame, no lock.
  if ((shard ? shard_count_ : global_count_).load(std::memory_order_relaxed) == 0 &&
      (shard || pattern_count_.load(std::memory_order_relaxed) == 0)) {
    return 0;
  }
  // The frame is built outside the lock; pattern frames (which name the pattern) are built
  // under it, only for the patterns that match.
  auto frame = make_message_frame(shard ? "smessage" : "message", channel, message);
  size_t receivers = 0;
  std::vector<Worker*> to_wake;
  {
    std::lock_guard<SpinLock> g(mu_);
    AudienceMap& map = map_for(kind);
    auto it = map.find(channel);
    if (it != map.end()) {
      stage(it->second, frame);
      receivers += it->second.count;
    }
    if (!shard) {
      for (auto& [pattern, audience] : patterns_) {
        if (!storage::glob_match(pattern, channel)) continue;
        stage(audience, make_pmessage_frame(pattern, channel, message));
        receivers += audience.count;
      }
    }
    to_wake = post_staged();
  }
  wake(to_wake);
  return receivers;
}

void PubsubRegistry::add_monitor(const std::shared_ptr<PushTarget>& t) {
  std::lock_guard<SpinLock> g(mu_);
  if (t->monitor) return;
  t->monitor = true;
  t->state->monitor.store(true, std::memory_order_relaxed);
  add_to(monitors_, t);
  update_counts();
}

void PubsubRegistry::feed_monitors(std::string line) {
  auto frame = std::make_shared<PushFrame>();
  frame->bytes = std::move(line);
  frame->is_push = false;
  std::shared_ptr<const PushFrame> shared = std::move(frame);
  std::vector<Worker*> to_wake;
  {
    std::lock_guard<SpinLock> g(mu_);
    if (monitors_.count == 0) return;
    stage(monitors_, shared);
    to_wake = post_staged();
  }
  wake(to_wake);
}

std::vector<std::string> PubsubRegistry::active_channels(const std::string* pattern,
                                                         ChannelKind kind) {
  std::lock_guard<SpinLock> g(mu_);
  std::vector<std::string> out;
  for (const auto& [name, audience] : map_for(kind)) {
    if (!pattern || storage::glob_match(*pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubsubRegistry::subscriber_count(std::string_view channel, ChannelKind kind) {
  std::lock_guard<SpinLock> g(mu_);
  AudienceMap& map = map_for(kind);
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second.count;
}

size_t PubsubRegistry::pattern_count() {
  return pattern_count_.load(std::memory_order_relaxed);
}

size_t PubsubRegistry::channel_count(ChannelKind kind) {
  return (kind == ChannelKind::kShard ? shard_count_ : global_count_)
      .load(std::memory_order_relaxed);
}

void PubsubRegistry::drain(Worker& w) {
  std::vector<PushItem> items;
  {
    Inbox& in = *inboxes_[w.index];
    std::lock_guard<SpinLock> g(in.mu);
    items.swap(in.items);
    in.scheduled = false;
  }
  deliver(items);
}

void PubsubRegistry::deliver(std::vector<PushItem>& items) {
  if (items.empty()) return;
  // Every frame is appended first; each touched connection then starts one write for
  // everything it received in this batch.
  // Consecutive items for the same audience (a burst on one channel) go to each
  // connection together: one pass over the subscribers instead of one per message.
  std::vector<Connection*> touched;
  for (size_t i = 0; i < items.size();) {
    size_t end = i + 1;
    while (end < items.size() && items[end].targets == items[i].targets) ++end;
    for (const auto& target : *items[i].targets) {
      Connection* c = target->connection;
      if (c && c->push(&items[i], end - i)) touched.push_back(c);
    }
    i = end;
  }
  for (Connection* c : touched) c->flush_pushed();
}

}  // namespace terndb::server
