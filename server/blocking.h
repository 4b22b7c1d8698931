// Blocking commands (BLPOP, BLMOVE, BZPOPMIN...): how a command parks its client on keys and
// how the client is woken.
//
// A command that finds no data calls CommandContext::block() while it still holds the
// keys' shard locks. The client's connection stops processing input. When any of the keys
// is created, the thread that created it offers the key to the waiters in arrival order
// (storage::WaitQueues::serve) with the shard lock held; `serve` below then pops what the
// client waits for and writes its reply, which is posted to the client's own thread. The
// timeout, CLIENT UNBLOCK and disconnection race with serving through Waiter::claim().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocol/reply_builder.h"
#include "storage/key_handle.h"
#include "storage/waiting.h"

namespace terndb::server {

class Connection;
class Server;
struct Worker;

struct BlockRequest {
  std::vector<std::string> keys;  // in the client's current database
  int64_t deadline_ms = 0;        // absolute unix ms; 0 = wait forever
  // Runs with the ready key's shard lock held, possibly on another thread. Either takes
  // what the client waits for from `key`, writes the reply and returns kServed, or changes
  // nothing and returns kCannot (wrong type) / kRetryOnOwnThread (needs other locks).
  std::function<storage::Waiter::Offer(storage::KeyHandle& key, protocol::ReplyBuilder& reply)>
      serve;
  // Writes the reply for a timeout (and for CLIENT UNBLOCK ... TIMEOUT).
  std::function<void(protocol::ReplyBuilder& reply)> on_timeout;
};

class BlockedClient : public storage::Waiter {
 public:
  BlockedClient(Server& server, Worker& worker, std::weak_ptr<Connection> conn, int db, int resp,
                std::vector<std::string> argv, BlockRequest req)
      : server_(server),
        worker_(worker),
        conn_(std::move(conn)),
        db_(db),
        resp_(resp),
        argv_(std::move(argv)),
        req_(std::move(req)) {}

  Offer offer(storage::KeyHandle& key) override;

  int db() const { return db_; }
  int resp() const { return resp_; }
  const std::vector<std::string>& argv() const { return argv_; }
  const BlockRequest& request() const { return req_; }
  // Removes this waiter from the queues of all its keys (takes each shard lock).
  void leave_queues(storage::Keyspace& ks);

 private:
  Server& server_;
  Worker& worker_;
  std::weak_ptr<Connection> conn_;
  int db_;
  int resp_;
  std::vector<std::string> argv_;
  BlockRequest req_;
  bool rerunning_ = false;  // leaving the queues to rerun the command (own thread only)
};

}  // namespace terndb::server
