// Replication state of this process: its role, the replicas reading our stream (master
// side, server/replica_link.cc) and the links to our masters (replica side,
// server/master_link.cc). The stream itself is replication::StreamLog (propagate.h).
//
// A plain replica has one master and its stream is its master's. An active replica
// (`active-replica yes`, KeyDB's model) is master and replica at once: it keeps one
// MasterLink per peer (several with `multi-master yes`, or one per address of
// `active-replica-peers-dns`), accepts writes, and its replicas (its peers among them)
// read its own stream, which no link ever resets. Every MasterLink lives on worker 0.
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
  std::string uuid;
};

// The replica side as INFO replication shows it.
struct MasterView {
  bool configured = false;
  std::string host;
  int port = 0;
  std::string state;  // connect, connecting, handshake, sync, connected
  bool link_up = false;
  int64_t last_io_seconds_ago = -1;
  bool sync_in_progress = false;
  int64_t link_down_since_seconds = -1;
  // Full sync under way: payload size (-1 while unknown: EOF-marked) and bytes read.
  int64_t sync_total_bytes = -1;
  int64_t sync_read_bytes = 0;
  // Active replication: what the peer said of itself, and how far we read its stream.
  std::string uuid;          // its node uuid (REPLCONF uuid's answer), empty before
  std::string peer_replid;   // the history our offset counts in, empty before a sync
  uint64_t peer_offset = 0;  // bytes of the peer's stream processed
  int64_t lag_ms = -1;       // age of the last peer write when we applied it
  bool from_dns = false;     // added by active-replica-peers-dns
};

// What a client said with REPLCONF before PSYNC.
struct ReplicaHello {
  int listening_port = 0;
  std::string ip_address;
  bool capa_eof = false;
  bool capa_psync2 = false;
  bool capa_active_expire = false;
  std::string uuid;  // REPLCONF uuid: the replica's node uuid (an active peer)
  // False for the old SYNC (redis-cli --rdb sends it): the payload comes with no
  // +FULLRESYNC line before it, which such a client would take for the payload's length.
  bool psync = true;
};

// INFO stats' sync_* counters.
struct ReplicationStats {
  std::atomic<uint64_t> sync_full{0};
  std::atomic<uint64_t> sync_partial_ok{0};
  std::atomic<uint64_t> sync_partial_err{0};
  // Bytes read from our masters / written to our replicas (total_net_repl_*_bytes).
  std::atomic<uint64_t> net_repl_input_bytes{0};
  std::atomic<uint64_t> net_repl_output_bytes{0};
};

class Replication {
 public:
  ReplicationStats stats;
  // A full sync's snapshot loads beside the served data (INFO persistence async_loading).
  std::atomic<bool> async_loading{false};

  static Replication& instance();

  // Start-up: follows `replicaof` from the config (every line with multi-master on, the
  // last one otherwise).
  void start(Server& server);
  // Periodic work (every cron tick of worker 0): pings, acks, timeouts, reconnects, and
  // the peers' DNS name.
  void cron(Server& server);

  // REPLICAOF host port: with multi-master (active replicas only) a link is added,
  // otherwise it replaces the master. False when that master is already linked.
  bool add_master(Server& server, const std::string& host, int port);
  // REPLICAOF REMOVE host port: false when no such master.
  bool remove_master(Server& server, const std::string& host, int port);
  // REPLICAOF NO ONE: drops every master link.
  void clear_masters(Server& server);
  // A link found that its peer is this very process (same node uuid): it is dropped and
  // its address never linked again.
  void drop_self_link(const MasterLink* link);
  // At exit, once the io threads have stopped: drops the links, whose sockets and timers
  // belong to io contexts that go away with the server (this object outlives it).
  void release_links();

  // A plain replica: its stream is its master's, it neither expires nor evicts by itself
  // and refuses writes when read-only. An active replica is not one (it has masters but
  // is a master as well).
  bool is_replica() const { return replica_.load(std::memory_order_relaxed); }
  // Any master link configured (plain or active).
  bool has_masters() const { return master_count_.load(std::memory_order_relaxed) > 0; }
  // The first master (INFO of a plain replica, metrics), or an unconfigured view.
  MasterView master_view() const;
  std::vector<MasterView> master_views() const;
  bool master_link_up() const;  // the first master's link
  // Master links up, and whether that meets replica-quorum (-1: a majority of the nodes
  // this one knows, itself included).
  int masters_up() const;
  bool quorum_met(int64_t quorum) const;

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
  struct PeerDns;
  std::shared_ptr<MasterLink> find_locked(const std::string& host, int port) const;
  void link_added(Server& server, bool was_master);
  void links_gone(Server& server);
  void resolve_peers(Server& server, int64_t now);
  void apply_resolved(Server& server, const std::string& spec, std::vector<std::string> addrs,
                      int port);
  void expire_backlog(Server& server, int64_t now);

  std::atomic<bool> replica_{false};
  std::atomic<int> master_count_{0};
  Server* server_ = nullptr;  // set with the first link
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ReplicaLink>> replicas_;
  std::vector<std::shared_ptr<MasterLink>> masters_;
  std::vector<std::string> self_addresses_;  // "host port" of links that reached ourselves
  std::unordered_map<uint64_t, ReplicaHello> hellos_;
  std::vector<AckWaiter> ack_waiters_;
  int64_t last_ping_ms_ = 0;
  int64_t last_stream_ping_ms_ = 0;
  // Since when this master has had no replica (repl-backlog-ttl); 0 until the first cron.
  int64_t no_replicas_since_ms_ = 0;
  std::shared_ptr<PeerDns> dns_;  // worker 0 only
};

// Before a client's command runs: -READONLY on a read-only plain replica, -MASTERDOWN
// when too few master links are up (replica-quorum) and stale data may not be served,
// -NOREPLICAS below min-replicas-to-write (masters and active replicas).
// True (with the error written) when the command must not run.
bool replication_refuses(Server& server, const CommandSpec& spec, std::string& error);

}  // namespace terndb::server
