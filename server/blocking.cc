#include "server/blocking.h"

#include "server/connection.h"
#include "server/propagate.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/hashing.h"

namespace terndb::server {

storage::Waiter::Offer BlockedClient::offer(storage::KeyHandle& key) {
  if (!claim()) return Offer::kServed;  // completed elsewhere: drop it from the queue
  std::string out;
  protocol::ReplyBuilder reply(&out, resp_);
  // Serving is a write of its own, after the one that made the key ready.
  PropagationBatch propagation;
  Offer r = req_.serve(key, reply);
  if (r == Offer::kServed && propagation.active() && !argv_.empty()) {
    std::string name = argv_[0];
    for (auto& ch : name) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    std::vector<std::string_view> views(argv_.begin(), argv_.end());
    for (auto& cmd : replication::rewrite_for_stream(name, views, out, storage::now_ms())) {
      propagation.add(db_, std::move(cmd));
    }
  }
  propagation.finish();
  if (r != Offer::kServed) {
    unclaim();
    if (r == Offer::kRetryOnOwnThread) {
      auto self = std::static_pointer_cast<BlockedClient>(shared_from_this());
      std::weak_ptr<Connection> weak = conn_;
      asio::post(worker_.io, [weak, self]() {
        if (auto c = weak.lock()) {
          self->rerunning_ = true;
          c->retry_blocked(self);
          self->rerunning_ = false;
        }
      });
    }
    return r;
  }
  auto self = std::static_pointer_cast<BlockedClient>(shared_from_this());
  std::weak_ptr<Connection> weak = conn_;
  asio::post(worker_.io, [weak, self, out = std::move(out)]() mutable {
    if (auto c = weak.lock()) c->finish_blocked(self, std::move(out));
  });
  return Offer::kServed;
}

void BlockedClient::leave_queues(storage::Keyspace& ks) {
  for (auto& key : req_.keys) {
    storage::Shard& s = ks.shard(ks.shard_of(storage::hash_key(key)));
    std::lock_guard<std::mutex> g(s.mu);
    s.waiters.remove(db_, key, this);
    // Clients queued behind this one may have been held up by it (it was to rerun its
    // command on its own thread, then timed out or was unblocked instead): if the key
    // holds data, offer it to them now. Not when it leaves to rerun: the data is its own.
    if (rerunning_ || !s.waiters.has_waiters(db_, key)) continue;
    storage::KeyHandle k(ks, db_, key, storage::now_ms(), true);
    if (k.get()) s.waiters.serve(db_, k);
  }
}

}  // namespace terndb::server
