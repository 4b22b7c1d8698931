#include "server/replication.h"

#include <algorithm>

#include "server/command.h"
#include "server/log.h"
#include "server/master_link.h"
#include "server/propagate.h"
#include "server/replica_link.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {

Replication& Replication::instance() {
  static Replication r;
  return r;
}

void Replication::start(Server& server) {
  std::string conf = server.config().text("replicaof");
  if (conf.empty()) return;
  size_t sp = conf.rfind(' ');
  if (sp == std::string::npos) return;
  set_master(server, conf.substr(0, sp), atoi(conf.c_str() + sp + 1));
}

void Replication::cron(Server& server) {
  int64_t now = storage::now_ms();
  std::shared_ptr<MasterLink> master;
  bool has_replicas;
  {
    std::lock_guard<std::mutex> g(mu_);
    master = master_;
    has_replicas = !replicas_.empty();
    if (now - last_ping_ms_ < 1000) return;
    last_ping_ms_ = now;
  }
  replication::StreamLog& log = stream_log();
  log.set_backlog_size(static_cast<uint64_t>(server.config().num("repl-backlog-size")));
  if (master) {
    master->cron();
    return;
  }
  // A master pings its replicas every repl-ping-replica-period seconds, through the stream.
  static int64_t last_stream_ping = 0;
  int64_t period = server.config().num("repl-ping-replica-period") * 1000;
  if (has_replicas && now - last_stream_ping >= period) {
    last_stream_ping = now;
    log.append_command({"PING"});
  }
}

void Replication::set_master(Server& server, const std::string& host, int port) {
  std::shared_ptr<MasterLink> old;
  {
    std::lock_guard<std::mutex> g(mu_);
    old = master_;
    master_ = std::make_shared<MasterLink>(server, server.worker(0), host, port);
  }
  if (old) old->stop();
  replica_ = true;
  // Replicas do not expire keys themselves: they hide them and wait for the master's DEL.
  server.keyspace().set_expire_on_access(false);
  logf(LogLevel::kNotice, "REPLICAOF %s:%d enabled (user request from 'id=0')", host.c_str(), port);
  master_->start();
}

void Replication::clear_master(Server& server) {
  std::shared_ptr<MasterLink> old;
  {
    std::lock_guard<std::mutex> g(mu_);
    old = std::move(master_);
  }
  if (!old) return;
  old->stop();
  replica_ = false;
  server.keyspace().set_expire_on_access(true);
  // Our replicas may continue from us under the new id (PSYNC2): replid2 names the past.
  replication::StreamLog& log = stream_log();
  log.shift_replid();
  logf(LogLevel::kNotice, "MASTER MODE enabled (user request from 'id=0')");
}

void Replication::release_links() {
  std::shared_ptr<MasterLink> master;
  std::vector<std::shared_ptr<ReplicaLink>> replicas;
  {
    std::lock_guard<std::mutex> g(mu_);
    master = std::move(master_);
    replicas.swap(replicas_);
    ack_waiters_.clear();
  }
  // Dropped here, while their io contexts still exist; handlers still queued there hold
  // the last references until the contexts are destroyed with the server.
}

bool Replication::master_link_up() const {
  std::lock_guard<std::mutex> g(mu_);
  return master_ && master_->link_up();
}

MasterView Replication::master_view() const {
  std::lock_guard<std::mutex> g(mu_);
  if (!master_) return MasterView{};
  return master_->view();
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
  if (repl.is_replica()) {
    static const conf::Option& read_only = *config.find("replica-read-only");
    static const conf::Option& stale = *config.find("replica-serve-stale-data");
    if (!stale.num.load(std::memory_order_relaxed) && !(spec.flags & kCmdStale) &&
        !repl.master_link_up()) {
      error = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
      return true;
    }
    if (spec.is_write() && read_only.num.load(std::memory_order_relaxed)) {
      error = "READONLY You can't write against a read only replica.";
      return true;
    }
    return false;
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
