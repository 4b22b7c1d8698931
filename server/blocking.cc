#include "server/blocking.h"

#include "server/connection.h"
#include "server/server.h"
#include "storage/hashing.h"

namespace terndb::server {

storage::Waiter::Offer BlockedClient::offer(storage::KeyHandle& key) {
  if (!claim()) return Offer::kServed;  // completed elsewhere: drop it from the queue
  std::string out;
  protocol::ReplyBuilder reply(&out, resp_);
  Offer r = req_.serve(key, reply);
  if (r != Offer::kServed) {
    unclaim();
    if (r == Offer::kRetryOnOwnThread) {
      auto self = std::static_pointer_cast<BlockedClient>(shared_from_this());
      std::weak_ptr<Connection> weak = conn_;
      asio::post(worker_.io, [weak, self]() {
        if (auto c = weak.lock()) c->retry_blocked(self);
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
  }
}

}  // namespace terndb::server
