// REPLCONF, PSYNC, SYNC, REPLICAOF / SLAVEOF, ROLE and WAIT.
#include <strings.h>

#include "protocol/numbers.h"
#include "server/active_replica.h"
#include "server/blocking.h"
#include "server/command.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/propagate.h"
#include "server/replica_link.h"
#include "server/replication.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

bool eq(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

void replconf_command(CommandContext& c) {
  if (c.argc() % 2 == 0) return c.syntax_error();
  ReplicaHello& hello = Replication::instance().hello(c.client.id);
  bool capa = false;
  for (size_t i = 1; i + 1 < c.argc(); i += 2) {
    capa = false;
    std::string_view opt = c.arg(i), val = c.arg(i + 1);
    if (eq(opt, "listening-port")) {
      int64_t port;
      if (!protocol::parse_int64(val, port)) return c.not_integer();
      hello.listening_port = static_cast<int>(port);
      // A replica is on its way: writes start taking tickets now, a round trip before
      // PSYNC takes the snapshot, so no write that began untracked ends after it.
      stream_log().activate();
    } else if (eq(opt, "ip-address")) {
      hello.ip_address = std::string(val);
    } else if (eq(opt, "capa")) {
      if (eq(val, "eof")) hello.capa_eof = true;
      if (eq(val, "psync2")) hello.capa_psync2 = true;
      if (eq(val, "activeExpire")) hello.capa_active_expire = true;
      capa = true;
    } else if (eq(opt, "ack") || eq(opt, "getack")) {
      return;  // from a replica link, not a client: no reply
    } else if (eq(opt, "uuid")) {
      // KeyDB's peers name themselves; the answer is our own node uuid, whatever our mode.
      if (val.size() != 36) return c.reply.error("ERR Invalid UUID");
      hello.uuid = std::string(val);
      return c.reply.simple(active::node_uuid());
    } else if (eq(opt, "license")) {
      return c.reply.ok();  // KeyDB's, kept for old replicas
    } else if (eq(opt, "rdb-only") || eq(opt, "rdb-filter-only")) {
      // accepted, not acted on
    } else {
      return c.reply.error("ERR Unrecognized REPLCONF option: " + std::string(opt));
    }
  }
  // An active replica says so when told capabilities (KeyDB's "+OK active-replica").
  if (capa && active::enabled()) return c.reply.simple("OK active-replica");
  c.reply.ok();
}

// PSYNC replid offset / SYNC: hands the connection over to a ReplicaLink once the
// command returns.
void start_sync(CommandContext& c, std::string replid, int64_t psync_offset, bool is_psync) {
  if (!c.connection) return c.reply.error("ERR PSYNC is only for replica connections");
  Replication& repl = Replication::instance();
  if (repl.is_replica() && !repl.master_link_up()) {
    return c.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
  }
  ReplicaHello hello = repl.hello(c.client.id);
  repl.forget_hello(c.client.id);
  if (!is_psync) {
    hello.capa_eof = false;  // SYNC gets the payload with its length
    hello.psync = false;
  }
  replication::StreamLog& log = stream_log();
  bool partial = is_psync && psync_offset > 0 &&
                 log.can_continue(replid, static_cast<uint64_t>(psync_offset - 1));
  std::string addr = c.client.addr;
  Server* server = &c.server;
  Worker* worker = c.worker;
  uint64_t offset = partial ? static_cast<uint64_t>(psync_offset - 1) : 0;
  if (partial) {
    repl.stats.sync_partial_ok.fetch_add(1);
  } else {
    repl.stats.sync_full.fetch_add(1);
    // A PSYNC naming a history (not "?") that we cannot continue counts as refused.
    if (is_psync && replid != "?") repl.stats.sync_partial_err.fetch_add(1);
  }
  if (!partial && is_psync) {
    logf(LogLevel::kNotice, "Replica %s asks for synchronization", addr.c_str());
  }
  c.connection->hand_over([=](Connection::Socket socket, std::string out, std::string in) {
    auto link = std::make_shared<ReplicaLink>(*server, *worker, std::move(socket), addr, hello);
    if (partial) {
      link->start_continue(offset, hello.capa_psync2, std::move(out), std::move(in));
    } else {
      link->start_full_sync(std::move(out), std::move(in));
    }
  });
}

void psync_command(CommandContext& c) {
  int64_t off;
  if (!protocol::parse_int64(c.arg(2), off)) off = -1;
  start_sync(c, std::string(c.arg(1)), off, true);
}

void sync_command(CommandContext& c) {
  start_sync(c, "?", -1, false);
}

// REPLICAOF host port | NO ONE, and on an active replica KeyDB's REPLICAOF REMOVE host port.
void replicaof_command(CommandContext& c) {
  Replication& repl = Replication::instance();
  if (c.argc() != 3) {
    // Four words and more are KeyDB's (active replication); Redis knows only three.
    if (!active::enabled()) return c.wrong_arity();
    if (c.argc() != 4 || !eq(c.arg(1), "remove")) return c.reply.error("ERR Invalid arguments");
    int64_t port = 0;
    protocol::parse_int64(c.arg(3), port);
    if (!repl.remove_master(c.server, std::string(c.arg(2)), static_cast<int>(port))) {
      return c.reply.error("ERR Master not found");
    }
    return c.reply.ok();
  }
  if (eq(c.arg(1), "no") && eq(c.arg(2), "one")) {
    repl.clear_masters(c.server);
    return c.reply.ok();
  }
  int64_t port;
  if (!protocol::parse_int64(c.arg(2), port)) return c.not_integer();
  if (!repl.add_master(c.server, std::string(c.arg(1)), static_cast<int>(port))) {
    logf(LogLevel::kNotice,
         "REPLICAOF would result into synchronization with the master we are already "
         "connected with. No operation performed.");
    return c.reply.simple("OK Already connected to specified master");
  }
  c.reply.ok();
}

// ROLE: a master lists its replicas; a replica names its master. An active replica is
// KeyDB's "active-replica", one array per master, in an outer array when there are several.
void role_command(CommandContext& c) {
  Replication& repl = Replication::instance();
  replication::StreamLog& log = stream_log();
  std::vector<MasterView> masters = repl.master_views();
  if (!masters.empty()) {
    const bool active = active::enabled();
    if (masters.size() > 1) c.reply.array(masters.size());
    for (const MasterView& m : masters) {
      c.reply.array(5);
      c.reply.bulk(active ? "active-replica" : "slave");
      c.reply.bulk(m.host);
      c.reply.integer(m.port);
      c.reply.bulk(m.state);
      const uint64_t processed = active ? m.peer_offset : log.offset();
      c.reply.integer(m.link_up ? static_cast<int64_t>(processed) : -1);
    }
    return;
  }
  auto replicas = repl.replicas();
  c.reply.array(3);
  c.reply.bulk("master");
  c.reply.integer(static_cast<int64_t>(log.offset()));
  c.reply.array(replicas.size());
  for (auto& r : replicas) {
    c.reply.array(3);
    c.reply.bulk(r.ip);
    c.reply.bulk(std::to_string(r.port));
    c.reply.bulk(std::to_string(r.ack_offset));
  }
}

void wait_command(CommandContext& c) {
  int64_t numreplicas, timeout;
  if (!protocol::parse_int64(c.arg(1), numreplicas)) return c.not_integer();
  if (!protocol::parse_int64(c.arg(2), timeout)) {
    return c.reply.error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return c.reply.error("ERR timeout is negative");
  Replication& repl = Replication::instance();
  if (repl.is_replica()) {
    return c.reply.error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis "
        "4.0 if a replica is configured to be writable (which is not the default) writes to "
        "replicas are just local and are not propagated.");
  }
  const uint64_t offset = stream_log().offset();
  int have = repl.acked(offset);
  if (have >= numreplicas || !c.can_block()) return c.reply.integer(have);
  BlockRequest req;
  req.deadline_ms = timeout > 0 ? c.now + timeout : 0;
  // Ending the wait (timeout or enough acks) answers the count at that moment.
  req.on_timeout = [offset](protocol::ReplyBuilder& reply) {
    reply.integer(Replication::instance().acked(offset));
  };
  c.block(std::move(req));
  std::weak_ptr<Connection> weak = c.connection->weak_from_this();
  Worker* worker = c.worker;
  repl.wait_for_acks(
      Replication::AckWaiter{offset, static_cast<int>(numreplicas), [weak, worker](int) {
                               asio::post(worker->io, [weak]() {
                                 if (auto conn = weak.lock()) conn->unblock("");
                               });
                               return true;
                             }});
  repl.request_acks();
}

}  // namespace

void register_replication_commands(CommandTable& t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript;
  t.add(make_command("replconf", -1, kAdmin | kCmdLoading | kCmdStale | kCmdAllowBusy, 0, 0, 0,
                     replconf_command, "server", "3.0.0",
                     "An internal command for configuring the replication stream."));
  t.add(make_command("psync", -3, kAdmin | kCmdNoMulti | kCmdNoAsyncLoading, 0, 0, 0, psync_command,
                     "server", "2.8.0", "An internal command used in replication."));
  t.add(make_command("sync", 1, kAdmin | kCmdNoMulti | kCmdNoAsyncLoading, 0, 0, 0, sync_command,
                     "server", "1.0.0", "An internal command used in replication."));
  // -3: KeyDB's REPLICAOF REMOVE host port (active replicas); Redis's three words otherwise.
  t.add(make_command("replicaof", -3, kAdmin | kCmdStale | kCmdNoAsyncLoading, 0, 0, 0,
                     replicaof_command, "server", "5.0.0",
                     "Configures a server as replica of another, or promotes it to a master."));
  t.add(make_command("slaveof", -3, kAdmin | kCmdStale | kCmdNoAsyncLoading, 0, 0, 0,
                     replicaof_command, "server", "1.0.0",
                     "Sets a Redis server as a replica of another, or promotes it to being a "
                     "master."));
  CommandSpec role =
      make_command("role", 1, kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0,
                   role_command, "server", "2.8.12", "Returns the replication role.");
  role.acl_categories = {"@admin", "@dangerous"};
  t.add(std::move(role));
  CommandSpec wait =
      make_command("wait", 3, kCmdNoscript, 0, 0, 0, wait_command, "generic", "3.0.0",
                   "Blocks until the asynchronous replication of all preceding "
                   "write commands sent by the connection are completed.");
  wait.acl_categories = {"@connection"};
  t.add(std::move(wait));
}

}  // namespace terndb::server
