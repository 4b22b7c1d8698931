#include "server/replication.h"

#include <strings.h>

#include <algorithm>
#include <asio.hpp>

#include "protocol/numbers.h"
#include "protocol/resp_parser.h"
#include "server/active_replica.h"
#include "server/command.h"
#include "server/log.h"
#include "server/master_link.h"
#include "server/propagate.h"
#include "server/replica_link.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {

namespace {

bool same_host(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string address_key(const std::string& host, int port) {
  return host + " " + std::to_string(port);
}

}  // namespace

// Peer discovery (active-replica-peers-dns): the name is resolved on worker 0 with asio's
// asynchronous resolver, whose getaddrinfo runs on a thread of its own.
struct Replication::PeerDns {
  explicit PeerDns(asio::io_context& io) : resolver(io) {}
  asio::ip::tcp::resolver resolver;
  std::string spec;  // the option's value when last resolved
  int64_t last_ms = 0;
  bool resolving = false;
  bool warned = false;
};

Replication& Replication::instance() {
  static Replication r;
  return r;
}

void Replication::start(Server& server) {
  // An active replica is a master from the start: its backlog keeps its own stream, so
  // a peer that loses its link resumes by partial resync.
  if (active::enabled()) stream_log().activate();
  std::vector<std::string> words;
  protocol::split_args(server.config().text("replicaof"), words);
  std::vector<std::pair<std::string, int>> masters;
  for (size_t i = 0; i + 1 < words.size(); i += 2) {
    masters.emplace_back(words[i], atoi(words[i + 1].c_str()));
  }
  // Without multi-master the last line wins, as in KeyDB (and Redis, which has one).
  const bool multi = active::enabled() && server.config().flag("multi-master");
  if (!multi && masters.size() > 1) masters.erase(masters.begin(), masters.end() - 1);
  for (auto& [host, port] : masters) add_master(server, host, port);
}

void Replication::cron(Server& server) {
  int64_t now = storage::now_ms();
  std::vector<std::shared_ptr<MasterLink>> masters;
  std::vector<std::shared_ptr<ReplicaLink>> replicas;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (now - last_ping_ms_ < 1000) return;
    last_ping_ms_ = now;
    masters = masters_;
    replicas = replicas_;
  }
  const bool has_replicas = !replicas.empty();
  for (auto& r : replicas) r->keepalive();
  replication::StreamLog& log = stream_log();
  log.set_backlog_size(static_cast<uint64_t>(server.config().num("repl-backlog-size")));
  for (auto& m : masters) m->cron();
  if (active::enabled()) resolve_peers(server, now);
  // A plain replica's stream is its master's, pings included.
  if (is_replica()) return;
  expire_backlog(server, now);
  // A master pings its replicas every repl-ping-replica-period seconds, through the stream.
  int64_t period = server.config().num("repl-ping-replica-period") * 1000;
  if (has_replicas && now - last_stream_ping_ms_ >= period) {
    last_stream_ping_ms_ = now;
    log.append_command({"PING"});
  }
}

// repl-backlog-ttl: a master that has had no replica for that long frees its backlog, as
// Redis does. A replica's backlog (its master's stream) and an active replica's (its peers
// resume from it) are kept.
void Replication::expire_backlog(Server& server, int64_t now) {
  const int64_t ttl = server.config().num("repl-backlog-ttl");
  std::lock_guard<std::mutex> g(mu_);
  if (!replicas_.empty() || no_replicas_since_ms_ == 0) {
    no_replicas_since_ms_ = now;
    return;
  }
  if (ttl <= 0 || !masters_.empty() || active::enabled()) return;
  // Whole seconds, compared as Redis does (idle > ttl).
  if ((now - no_replicas_since_ms_) / 1000 <= ttl) return;
  // Under mu_: a replica arriving now registers (add_replica) before it turns the log on.
  if (!stream_log().free_backlog()) return;
  logf(LogLevel::kNotice,
       "Replication backlog freed after %lld seconds without connected replicas.",
       static_cast<long long>(ttl));
}

std::shared_ptr<MasterLink> Replication::find_locked(const std::string& host, int port) const {
  for (auto& m : masters_) {
    if (m->port() == port && same_host(m->host(), host)) return m;
  }
  return nullptr;
}

bool Replication::add_master(Server& server, const std::string& host, int port) {
  const bool active = active::enabled();
  const bool multi = active && server.config().flag("multi-master");
  std::shared_ptr<MasterLink> old, link;
  bool was_master;
  {
    std::lock_guard<std::mutex> g(mu_);
    server_ = &server;
    if (find_locked(host, port)) return false;
    was_master = masters_.empty();
    if (!multi && !masters_.empty()) {
      old = masters_.front();
      masters_.clear();
    }
    link = std::make_shared<MasterLink>(server, server.worker(0), host, port, active);
    masters_.push_back(link);
    master_count_ = static_cast<int>(masters_.size());
    // Named explicitly: tried again even if it once turned out to be ourselves.
    std::erase(self_addresses_, address_key(host, port));
  }
  if (old) old->stop();
  if (!active) {
    replica_ = true;
    // Replicas do not expire keys themselves: they hide them and wait for the master's DEL.
    if (was_master) server.keyspace().set_expire_on_access(false);
  }
  logf(LogLevel::kNotice, "REPLICAOF %s:%d enabled (user request from 'id=0')", host.c_str(), port);
  link->start();
  return true;
}

bool Replication::remove_master(Server& server, const std::string& host, int port) {
  std::vector<std::shared_ptr<MasterLink>> gone;
  bool none_left;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto it = masters_.begin(); it != masters_.end();) {
      if ((*it)->port() == port && same_host((*it)->host(), host)) {
        gone.push_back(*it);
        it = masters_.erase(it);
      } else {
        ++it;
      }
    }
    master_count_ = static_cast<int>(masters_.size());
    none_left = masters_.empty();
  }
  if (gone.empty()) return false;
  for (auto& m : gone) m->stop();
  if (none_left) links_gone(server);
  return true;
}

void Replication::clear_masters(Server& server) {
  std::vector<std::shared_ptr<MasterLink>> gone;
  {
    std::lock_guard<std::mutex> g(mu_);
    gone.swap(masters_);
    master_count_ = 0;
  }
  if (gone.empty()) return;
  for (auto& m : gone) m->stop();
  links_gone(server);
}

// The last master link went away.
void Replication::links_gone(Server& server) {
  {
    std::lock_guard<std::mutex> g(mu_);
    no_replicas_since_ms_ = storage::now_ms();  // the backlog's time to live starts again
  }
  if (replica_.exchange(false)) {
    server.keyspace().set_expire_on_access(true);
    // Our replicas may continue from us under the new id (PSYNC2): replid2 names the past.
    stream_log().shift_replid();
  }
  logf(LogLevel::kNotice, "MASTER MODE enabled (user request from 'id=0')");
}

void Replication::drop_self_link(const MasterLink* link) {
  std::shared_ptr<MasterLink> keep;  // released outside the lock
  bool none_left = false;
  Server* server = nullptr;
  {
    std::lock_guard<std::mutex> g(mu_);
    server = server_;
    for (auto it = masters_.begin(); it != masters_.end(); ++it) {
      if (it->get() == link) {
        keep = *it;
        masters_.erase(it);
        self_addresses_.push_back(address_key(link->host(), link->port()));
        break;
      }
    }
    master_count_ = static_cast<int>(masters_.size());
    none_left = keep && masters_.empty();
  }
  if (none_left && server) links_gone(*server);
}

void Replication::resolve_peers(Server& server, int64_t now) {
  const std::string spec = server.config().text("active-replica-peers-dns");
  if (!dns_) {
    if (spec.empty()) return;
    dns_ = std::make_shared<PeerDns>(server.worker(0).io);
  }
  PeerDns& d = *dns_;
  if (d.resolving) return;
  const int64_t interval = server.config().num("active-replica-peers-dns-interval") * 1000;
  if (spec == d.spec && now - d.last_ms < interval) return;
  const bool changed = spec != d.spec;
  d.spec = spec;
  d.last_ms = now;
  if (changed) d.warned = false;
  // "<host name> [port]": the peers listen on our own port unless told otherwise.
  std::vector<std::string> words;
  protocol::split_args(spec, words);
  if (words.size() == 1) words.push_back(std::to_string(server.listening_port()));
  int64_t port = 0;
  if (words.size() != 2 || !protocol::parse_int64(words[1], port) || port <= 0 || port > 65535) {
    if (!spec.empty() && !d.warned) {
      d.warned = true;
      logf(LogLevel::kWarning,
           "active-replica-peers-dns '%s' is not '<host name> [port]': no peers discovered",
           spec.c_str());
    }
    return apply_resolved(server, spec, {}, 0);
  }
  d.resolving = true;
  auto dns = dns_;
  const int peer_port = static_cast<int>(port);
  d.resolver.async_resolve(
      words[0], words[1],
      [this, &server, dns, spec, peer_port](const asio::error_code& ec,
                                            asio::ip::tcp::resolver::results_type results) {
        dns->resolving = false;
        if (ec == asio::error::operation_aborted) return;
        if (ec && ec != asio::error::host_not_found) {
          // A passing failure (no answer): the links stay as they are until the next try.
          logf(LogLevel::kVerbose, "Resolving %s: %s", spec.c_str(), ec.message().c_str());
          return;
        }
        // AAAA first, then A, each address once.
        std::vector<std::string> v6, v4;
        for (auto& r : results) {
          const asio::ip::address a = r.endpoint().address();
          std::vector<std::string>& list = a.is_v6() ? v6 : v4;
          std::string text = a.to_string();
          if (std::find(list.begin(), list.end(), text) == list.end()) list.push_back(text);
        }
        v6.insert(v6.end(), v4.begin(), v4.end());
        apply_resolved(server, spec, std::move(v6), peer_port);
      });
}

// One link per resolved address (and only those), never one to ourselves.
void Replication::apply_resolved(Server& server, const std::string& spec,
                                 std::vector<std::string> addrs, int port) {
  // The option changed while the name was resolved: the next tick resolves the new one.
  if (server.config().text("active-replica-peers-dns") != spec) return;
  std::vector<std::shared_ptr<MasterLink>> gone, added;
  {
    std::lock_guard<std::mutex> g(mu_);
    server_ = &server;
    for (auto it = masters_.begin(); it != masters_.end();) {
      const auto& m = *it;
      if (m->from_dns() &&
          (m->port() != port || std::find(addrs.begin(), addrs.end(), m->host()) == addrs.end())) {
        gone.push_back(m);
        it = masters_.erase(it);
      } else {
        ++it;
      }
    }
    for (const std::string& a : addrs) {
      const std::string key = address_key(a, port);
      if (std::find(self_addresses_.begin(), self_addresses_.end(), key) != self_addresses_.end())
        continue;
      if (find_locked(a, port)) continue;
      auto link = std::make_shared<MasterLink>(server, server.worker(0), a, port, true, true);
      masters_.push_back(link);
      added.push_back(link);
    }
    master_count_ = static_cast<int>(masters_.size());
  }
  for (auto& m : gone) {
    logf(LogLevel::kNotice, "Peer %s:%d is gone from %s: link dropped", m->host().c_str(),
         m->port(), spec.empty() ? "active-replica-peers-dns" : spec.c_str());
    m->stop();
  }
  for (auto& m : added) {
    logf(LogLevel::kNotice, "Peer %s:%d found through %s", m->host().c_str(), m->port(),
         spec.c_str());
    m->start();
  }
}

void Replication::release_links() {
  std::vector<std::shared_ptr<MasterLink>> masters;
  std::vector<std::shared_ptr<ReplicaLink>> replicas;
  std::shared_ptr<PeerDns> dns;
  {
    std::lock_guard<std::mutex> g(mu_);
    masters.swap(masters_);
    master_count_ = 0;
    replicas.swap(replicas_);
    ack_waiters_.clear();
    dns = std::move(dns_);
  }
  // Dropped here, while their io contexts still exist; handlers still queued there hold
  // the last references until the contexts are destroyed with the server.
}

bool Replication::master_link_up() const {
  std::lock_guard<std::mutex> g(mu_);
  return !masters_.empty() && masters_.front()->link_up();
}

MasterView Replication::master_view() const {
  std::lock_guard<std::mutex> g(mu_);
  if (masters_.empty()) return MasterView{};
  return masters_.front()->view();
}

std::vector<MasterView> Replication::master_views() const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<MasterView> out;
  out.reserve(masters_.size());
  for (auto& m : masters_) out.push_back(m->view());
  return out;
}

int Replication::masters_up() const {
  std::lock_guard<std::mutex> g(mu_);
  int n = 0;
  for (auto& m : masters_) n += m->link_up() ? 1 : 0;
  return n;
}

bool Replication::quorum_met(int64_t quorum) const {
  std::lock_guard<std::mutex> g(mu_);
  int64_t up = 0;
  for (auto& m : masters_) up += m->link_up() ? 1 : 0;
  // replica-quorum N asks for at least N links up, as KeyDB. KeyDB's -1 asks for every
  // master, so one region down stops every other region too; terndb's -1 asks for a
  // majority of the nodes this one knows (itself and its masters): with three regions, the
  // two that still see each other go on and the one cut off answers -MASTERDOWN.
  if (quorum >= 0) return up >= quorum;
  const int64_t nodes = static_cast<int64_t>(masters_.size()) + 1;
  return 2 * (up + 1) > nodes;
}

void Replication::add_replica(const std::shared_ptr<ReplicaLink>& link) {
  std::lock_guard<std::mutex> g(mu_);
  replicas_.push_back(link);
}

void Replication::remove_replica(const ReplicaLink* link) {
  std::shared_ptr<ReplicaLink> keep;  // released outside the lock
  std::lock_guard<std::mutex> g(mu_);
  for (auto it = replicas_.begin(); it != replicas_.end(); ++it) {
    if (it->get() == link) {
      keep = *it;
      replicas_.erase(it);
      break;
    }
  }
  if (replicas_.empty()) no_replicas_since_ms_ = storage::now_ms();
}

std::vector<ReplicaView> Replication::replicas() const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<ReplicaView> out;
  for (auto& r : replicas_) out.push_back(r->view());
  return out;
}

int Replication::good_replicas(int64_t max_lag) const {
  std::lock_guard<std::mutex> g(mu_);
  int64_t now = storage::now_ms();
  int n = 0;
  for (auto& r : replicas_) {
    ReplicaView v = r->view();
    if (v.state == "online" && (now - r->last_ack_ms()) / 1000 <= max_lag) ++n;
  }
  return n;
}

int Replication::acked(uint64_t offset) const {
  std::lock_guard<std::mutex> g(mu_);
  int n = 0;
  for (auto& r : replicas_) {
    if (r->ack_offset() >= offset) ++n;
  }
  return n;
}

void Replication::request_acks() {
  stream_log().append_command({"REPLCONF", "GETACK", "*"});
}

ReplicaHello& Replication::hello(uint64_t client_id) {
  std::lock_guard<std::mutex> g(mu_);
  return hellos_[client_id];
}

void Replication::forget_hello(uint64_t client_id) {
  std::lock_guard<std::mutex> g(mu_);
  hellos_.erase(client_id);
}

void Replication::wait_for_acks(AckWaiter waiter) {
  {
    std::lock_guard<std::mutex> g(mu_);
    ack_waiters_.push_back(std::move(waiter));
  }
  on_ack();
}

void Replication::on_ack() {
  std::vector<std::pair<std::function<bool(int)>, int>> ready;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto it = ack_waiters_.begin(); it != ack_waiters_.end();) {
      int n = 0;
      for (auto& r : replicas_) {
        if (r->ack_offset() >= it->offset) ++n;
      }
      if (n >= it->numreplicas) {
        ready.emplace_back(std::move(it->done), n);
        it = ack_waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [done, n] : ready) done(n);
}

}  // namespace terndb::server

namespace terndb::server {

bool replication_refuses(Server& server, const CommandSpec& spec, std::string& error) {
  Replication& repl = Replication::instance();
  conf::Registry& config = server.config();
  if (repl.has_masters()) {
    static const conf::Option& read_only = *config.find("replica-read-only");
    static const conf::Option& stale = *config.find("replica-serve-stale-data");
    static const conf::Option& quorum = *config.find("replica-quorum");
    if (!stale.num.load(std::memory_order_relaxed) && !(spec.flags & kCmdStale) &&
        !repl.quorum_met(quorum.num.load(std::memory_order_relaxed))) {
      error = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
      return true;
    }
    // An active replica is writable whatever replica-read-only says, as in KeyDB.
    if (repl.is_replica()) {
      if (spec.is_write() && read_only.num.load(std::memory_order_relaxed)) {
        error = "READONLY You can't write against a read only replica.";
        return true;
      }
      return false;
    }
  }
  if (!spec.is_write()) return false;
  static const conf::Option& min_replicas = *config.find("min-replicas-to-write");
  int64_t need = min_replicas.num.load(std::memory_order_relaxed);
  if (need > 0 && repl.good_replicas(config.num("min-replicas-max-lag")) < need) {
    error = "NOREPLICAS Not enough good replicas to write.";
    return true;
  }
  return false;
}

}  // namespace terndb::server
