// Replication state of this process: its role, the replicas reading our stream (master
// side, server/replica_link.cc) and the link to our master (replica side,
// server/master_link.cc). The stream itself is replication::StreamLog (propagate.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace terndb::server {

class Server;
struct CommandSpec;
class ReplicaLink;
class MasterLink;
class Connection;

// One line of INFO replication's slaveN / ROLE's replica list.
struct ReplicaView {
  std::string ip;
  int port = 0;
  std::string state;  // wait_bgsave, send_bulk, online
  uint64_t ack_offset = 0;
  int64_t lag_seconds = 0;
};

// The replica side as INFO replication shows it.
struct MasterView {
  bool configured = false;
  std::string host;
  int port = 0;
  std::string state;  // connect, connecting, sync, connected
  bool link_up = false;
  int64_t last_io_seconds_ago = -1;
  bool sync_in_progress = false;
  int64_t link_down_since_seconds = -1;
};

// What a client said with REPLCONF before PSYNC.
struct ReplicaHello {
  int listening_port = 0;
  std::string ip_address;
  bool capa_eof = false;
  bool capa_psync2 = false;
};

// INFO stats' sync_* counters.
struct ReplicationStats {
  std::atomic<uint64_t> sync_full{0};
  std::atomic<uint64_t> sync_partial_ok{0};
  std::atomic<uint64_t> sync_partial_err{0};
};

class Replication {
 public:
  ReplicationStats stats;

  static Replication& instance();

  // Start-up: follows `replicaof` from the config.
  void start(Server& server);
  // Periodic work (every cron tick of worker 0): pings, acks, timeouts, reconnects.
  void cron(Server& server);

  // REPLICAOF host port / NO ONE.
  void set_master(Server& server, const std::string& host, int port);
  void clear_master(Server& server);
  // At exit, once the io threads have stopped: drops the links, whose sockets and timers
  // belong to io contexts that go away with the server (this object outlives it).
  void release_links();
  bool is_replica() const { return replica_.load(std::memory_order_relaxed); }
  MasterView master_view() const;
  bool master_link_up() const;

  // Master side.
  void add_replica(const std::shared_ptr<ReplicaLink>& link);
  void remove_replica(const ReplicaLink* link);
  std::vector<ReplicaView> replicas() const;
  // Replicas whose last ack is at most `max_lag` seconds old.
  int good_replicas(int64_t max_lag) const;
  // Replicas that acknowledged at least `offset`.
  int acked(uint64_t offset) const;
  // Asks every replica for an ack now (WAIT).
  void request_acks();

  ReplicaHello& hello(uint64_t client_id);
  void forget_hello(uint64_t client_id);

  // WAIT: `done(n)` runs on some thread once `numreplicas` acked `offset`, or never.
  // Registered waiters are checked on every ack.
  struct AckWaiter {
    uint64_t offset;
    int numreplicas;
    std::function<bool(int)> done;  // false when the waiter was already gone
  };
  void wait_for_acks(AckWaiter waiter);
  void on_ack();

 private:
  std::atomic<bool> replica_{false};
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ReplicaLink>> replicas_;
  std::shared_ptr<MasterLink> master_;
  std::unordered_map<uint64_t, ReplicaHello> hellos_;
  std::vector<AckWaiter> ack_waiters_;
  int64_t last_ping_ms_ = 0;
};

// Before a client's command runs: -READONLY on a read-only replica, -MASTERDOWN when the
// link is down and stale data may not be served, -NOREPLICAS below min-replicas-to-write.
// True (with the error written) when the command must not run.
bool replication_refuses(Server& server, const CommandSpec& spec, std::string& error);

}  // namespace terndb::server
