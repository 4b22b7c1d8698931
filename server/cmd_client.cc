// CLIENT and its subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, REPLY, NO-EVICT, HELP.
//
// Other connections are seen only through the server's client registry (a snapshot of
// ClientEntry); their figures are atomics in ClientState, and closing one is posted to its
// worker. The calling connection is the one exception: it is closed after its reply, as
// Redis does when a client kills itself.
#include <cstring>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/client_eviction.h"
#include "server/client_info.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/connection.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// Redis's client types. terndb has no replication links yet; a client with subscriptions
// is of the pubsub type, every other one (MONITOR clients too) normal.
enum class ClientType { kNormal, kReplica, kPubsub, kMaster, kInvalid };

ClientType client_type_by_name(std::string_view name) {
  if (eq_nocase(name, "normal")) return ClientType::kNormal;
  if (eq_nocase(name, "slave") || eq_nocase(name, "replica")) return ClientType::kReplica;
  if (eq_nocase(name, "pubsub")) return ClientType::kPubsub;
  if (eq_nocase(name, "master")) return ClientType::kMaster;
  return ClientType::kInvalid;
}

ClientType client_type(const ClientState& s) {
  return s.subscribed() ? ClientType::kPubsub : ClientType::kNormal;
}

void append_field(std::string& out, const char* name, std::string_view value) {
  out.append(name);
  out.push_back('=');
  out.append(value);
  out.push_back(' ');
}

void append_field(std::string& out, const char* name, int64_t value) {
  append_field(out, name, std::to_string(value));
}

}  // namespace

// One line of CLIENT LIST / CLIENT INFO, with Redis 7.0's fields in Redis's order.
std::string client_info_line(const ClientState& s, int64_t now_ms) {
  std::string flags;
  if (s.monitor.load(std::memory_order_relaxed)) flags.push_back('O');
  if (s.subscribed()) flags.push_back('P');
  if (s.multi_count.load(std::memory_order_relaxed) >= 0) flags.push_back('x');
  if (s.blocked.load(std::memory_order_relaxed)) flags.push_back('b');
  if (s.is_unix) flags.push_back('U');
  if (s.no_evict.load(std::memory_order_relaxed)) flags.push_back('e');
  if (flags.empty()) flags.push_back('N');

  const int64_t qbuf = static_cast<int64_t>(s.query_buffer_bytes.load(std::memory_order_relaxed));
  const int64_t qbuf_free =
      static_cast<int64_t>(s.query_buffer_free.load(std::memory_order_relaxed));
  const int64_t argv_mem = static_cast<int64_t>(s.argv_bytes.load(std::memory_order_relaxed));
  const int64_t pending = static_cast<int64_t>(s.output_pending.load(std::memory_order_relaxed));
  const int64_t omem =
      pending + static_cast<int64_t>(s.output_bytes.load(std::memory_order_relaxed));
  const int64_t tot_mem = client_memory(s);
  const CommandSpec* last = s.last_command.load(std::memory_order_relaxed);
  const int64_t idle = now_ms - s.last_interaction_ms.load(std::memory_order_relaxed);

  std::string line;
  line.reserve(320);
  append_field(line, "id", static_cast<int64_t>(s.id));
  append_field(line, "addr", s.addr);
  append_field(line, "laddr", s.laddr);
  append_field(line, "fd", s.fd);
  append_field(line, "name", s.name());
  append_field(line, "age", (now_ms - s.created_ms) / 1000);
  append_field(line, "idle", idle > 0 ? idle / 1000 : 0);
  append_field(line, "flags", flags);
  append_field(line, "db", s.db.load(std::memory_order_relaxed));
  append_field(line, "sub", s.sub_channels.load(std::memory_order_relaxed));
  append_field(line, "psub", s.sub_patterns.load(std::memory_order_relaxed));
  append_field(line, "ssub", s.sub_shard_channels.load(std::memory_order_relaxed));
  append_field(line, "multi", s.multi_count.load(std::memory_order_relaxed));
  append_field(line, "qbuf", qbuf);
  append_field(line, "qbuf-free", qbuf_free);
  append_field(line, "argv-mem", argv_mem);
  append_field(line, "multi-mem", 0);
  append_field(line, "rbs", qbuf + qbuf_free);
  append_field(line, "rbp", qbuf);
  append_field(line, "obl", 0);
  append_field(line, "oll", 0);
  append_field(line, "omem", omem);
  append_field(line, "tot-mem", tot_mem);
  append_field(line, "events", pending > 0 ? "rw" : "r");
  append_field(line, "cmd", last ? std::string_view(last->full_name()) : "NULL");
  append_field(line, "user", s.user);
  append_field(line, "redir", -1);
  line.append("resp=").append(std::to_string(s.resp.load(std::memory_order_relaxed)));
  return line;
}

namespace {

void client_id_command(CommandContext& c) {
  c.reply.integer(static_cast<int64_t>(c.client.id));
}

void client_setname_command(CommandContext& c) {
  // Names show up space-separated in CLIENT LIST, so only printable non-space ASCII.
  for (char ch : c.arg(2)) {
    if (ch < '!' || ch > '~') {
      return c.reply.error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
  }
  c.client.set_name(std::string(c.arg(2)));
  c.reply.ok();
}

void client_getname_command(CommandContext& c) {
  std::string name = c.client.name();
  if (name.empty()) return c.reply.null();
  c.reply.bulk(name);
}

void client_info_command(CommandContext& c) {
  c.reply.verbatim(client_info_line(c.client, storage::now_ms()) + "\n");
}

void client_list_command(CommandContext& c) {
  const int64_t now = storage::now_ms();
  auto clients = c.server.clients_snapshot();
  std::string out;
  if (c.argc() == 4 && eq_nocase(c.arg(2), "type")) {
    ClientType type = client_type_by_name(c.arg(3));
    if (type == ClientType::kInvalid) {
      return c.reply.error("ERR Unknown client type '" + std::string(c.arg(3)) + "'");
    }
    for (const auto& e : clients) {
      if (client_type(*e.state) != type) continue;
      out += client_info_line(*e.state, now);
      out.push_back('\n');
    }
  } else if (c.argc() > 3 && eq_nocase(c.arg(2), "id")) {
    // Lines follow the order of the requested ids, as in Redis.
    for (size_t i = 3; i < c.argc(); ++i) {
      int64_t id;
      if (!protocol::parse_int64(c.arg(i), id)) return c.reply.error("ERR Invalid client ID");
      for (const auto& e : clients) {
        if (static_cast<int64_t>(e.state->id) != id) continue;
        out += client_info_line(*e.state, now);
        out.push_back('\n');
      }
    }
  } else if (c.argc() != 2) {
    return c.syntax_error();
  } else {
    for (const auto& e : clients) {
      out += client_info_line(*e.state, now);
      out.push_back('\n');
    }
  }
  c.reply.verbatim(out);
}

// Filters of the CLIENT KILL <filter> <value> ... form; a client is killed when it
// matches all of them.
struct KillFilter {
  bool has_id = false;
  uint64_t id = 0;
  bool has_type = false;
  ClientType type = ClientType::kNormal;
  const std::string_view* addr = nullptr;
  const std::string_view* laddr = nullptr;
  const std::string_view* user = nullptr;
  bool skipme = true;

  bool matches(const ClientState& s) const {
    if (has_id && s.id != id) return false;
    if (has_type && client_type(s) != type) return false;
    if (addr && s.addr != *addr) return false;
    if (laddr && s.laddr != *laddr) return false;
    if (user && s.user != *user) return false;
    return true;
  }
};

// Closes `e`: the caller itself once its reply is written, any other connection now.
void kill_one(CommandContext& c, const ClientEntry& e) {
  if (e.state.get() == &c.client) {
    c.client.close_after_reply = true;
  } else {
    c.server.kill_client(e);
  }
}

void client_kill_command(CommandContext& c) {
  auto clients = c.server.clients_snapshot();
  if (c.argc() == 3) {
    // Old form: CLIENT KILL addr:port.
    for (const auto& e : clients) {
      if (e.state->addr != c.arg(2)) continue;
      kill_one(c, e);
      return c.reply.ok();
    }
    return c.reply.error("ERR No such client");
  }

  KillFilter f;
  for (size_t i = 2; i < c.argc(); i += 2) {
    if (i + 1 >= c.argc()) return c.syntax_error();
    std::string_view opt = c.arg(i);
    const std::string_view& value = c.argv[i + 1];
    if (eq_nocase(opt, "id")) {
      int64_t id;
      if (!protocol::parse_int64(value, id) || id < 1) {
        return c.reply.error("ERR client-id should be greater than 0");
      }
      f.has_id = true;
      f.id = static_cast<uint64_t>(id);
    } else if (eq_nocase(opt, "type")) {
      f.type = client_type_by_name(value);
      if (f.type == ClientType::kInvalid) {
        return c.reply.error("ERR Unknown client type '" + std::string(value) + "'");
      }
      f.has_type = true;
    } else if (eq_nocase(opt, "addr")) {
      f.addr = &value;
    } else if (eq_nocase(opt, "laddr")) {
      f.laddr = &value;
    } else if (eq_nocase(opt, "user")) {
      // "default" is the only user until ACLs arrive.
      if (value != "default") {
        return c.reply.error("ERR No such user '" + std::string(value) + "'");
      }
      f.user = &value;
    } else if (eq_nocase(opt, "skipme")) {
      if (eq_nocase(value, "yes")) {
        f.skipme = true;
      } else if (eq_nocase(value, "no")) {
        f.skipme = false;
      } else {
        return c.syntax_error();
      }
    } else {
      return c.syntax_error();
    }
  }

  int64_t killed = 0;
  for (const auto& e : clients) {
    if (!f.matches(*e.state)) continue;
    if (f.skipme && e.state.get() == &c.client) continue;
    kill_one(c, e);
    ++killed;
  }
  c.reply.integer(killed);
}

void client_reply_command(CommandContext& c) {
  std::string_view mode = c.arg(2);
  if (eq_nocase(mode, "on")) {
    c.client.reply_mode = ReplyMode::kOn;
    c.client.skip_next_reply = false;
    c.reply.ok();
  } else if (eq_nocase(mode, "off")) {
    // No reply: the connection's dispatch drops whatever a command writes while off.
    c.client.reply_mode = ReplyMode::kOff;
  } else if (eq_nocase(mode, "skip")) {
    if (c.client.reply_mode != ReplyMode::kOff) c.client.skip_next_reply = true;
  } else {
    c.syntax_error();
  }
}

void client_no_evict_command(CommandContext& c) {
  if (eq_nocase(c.arg(2), "on")) {
    c.client.no_evict = true;
  } else if (eq_nocase(c.arg(2), "off")) {
    c.client.no_evict = false;
  } else {
    return c.syntax_error();
  }
  c.reply.ok();
}

// CLIENT UNBLOCK <id> [TIMEOUT|ERROR]. The target runs on its own worker, so the answer
// is decided here from its `blocked` flag and the unblocking is posted to it. If data
// reaches the client (or its timeout fires) between the two, it is answered that way
// instead and the posted call finds nothing to do, yet this reply already said 1.
void client_unblock_command(CommandContext& c) {
  int64_t id;
  if (!protocol::parse_int64(c.arg(2), id)) return c.not_integer();
  bool as_error = false;
  if (c.argc() == 4) {
    if (eq_nocase(c.arg(3), "error")) {
      as_error = true;
    } else if (!eq_nocase(c.arg(3), "timeout")) {
      return c.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (c.argc() > 4) {
    return c.reply.error(
        "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
  }
  for (const auto& e : c.server.clients_snapshot()) {
    if (static_cast<int64_t>(e.state->id) != id) continue;
    if (!e.state->blocked.load() || !e.worker) break;
    std::weak_ptr<Connection> conn = e.connection;
    asio::post(e.worker->io, [conn, as_error]() {
      if (auto target = conn.lock()) {
        target->unblock(as_error ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : "");
      }
    });
    return c.reply.integer(1);
  }
  c.reply.integer(0);
}

void client_help_command(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
  };
  reply_help(c.reply, "CLIENT", kLines);
}

CommandArgDoc arg_doc(const char* name, const char* type, const char* token = "",
                      bool optional = false, bool multiple = false) {
  return CommandArgDoc{name, type, token, optional, multiple};
}

}  // namespace

void register_client_commands(CommandTable& t) {
  constexpr uint32_t kClient = kCmdNoscript | kCmdLoading | kCmdStale;
  constexpr uint32_t kClientAdmin = kCmdAdmin | kClient;
  constexpr const char* kScan = "O(N) where N is the number of client connections";

  CommandSpec& client =
      t.add(make_command("client", -2, 0, 0, 0, 0, nullptr, "connection", "2.4.0",
                         "A container for client connection commands.", "Depends on subcommand."));
  // Like Redis's container, CLIENT itself is only @slow; its subcommands are @connection.
  client.acl_categories = {"@slow"};

  t.add(make_command("client|id", 2, kClient, 0, 0, 0, client_id_command, "connection", "5.0.0",
                     "Returns the unique client ID of the connection."));
  t.add(make_command("client|setname", 3, kClient, 0, 0, 0, client_setname_command, "connection",
                     "2.6.9", "Sets the connection name."))
      .args = {arg_doc("connection-name", "string")};
  t.add(make_command("client|getname", 2, kClient, 0, 0, 0, client_getname_command, "connection",
                     "2.6.9", "Returns the name of the connection."));
  t.add(make_command("client|info", 2, kClient, 0, 0, 0, client_info_command, "connection", "6.2.0",
                     "Returns information about the connection."));
  t.add(make_command("client|list", -2, kClientAdmin, 0, 0, 0, client_list_command, "connection",
                     "2.4.0", "Lists open connections.", kScan))
      .args = {arg_doc("NORMAL|MASTER|REPLICA|PUBSUB", "string", "TYPE", true),
               arg_doc("client-id", "integer", "ID", true, true)};
  t.add(make_command("client|kill", -3, kClientAdmin, 0, 0, 0, client_kill_command, "connection",
                     "2.4.0", "Terminates open connections.", kScan))
      .args = {arg_doc("ip:port", "string", "", true),
               arg_doc("client-id", "integer", "ID", true),
               arg_doc("NORMAL|MASTER|SLAVE|REPLICA|PUBSUB", "string", "TYPE", true),
               arg_doc("username", "string", "USER", true),
               arg_doc("ip:port", "string", "ADDR", true),
               arg_doc("ip:port", "string", "LADDR", true),
               arg_doc("YES|NO", "string", "SKIPME", true)};
  t.add(make_command("client|reply", 3, kClient, 0, 0, 0, client_reply_command, "connection",
                     "3.2.0", "Instructs the server whether to reply to commands."))
      .args = {arg_doc("ON|OFF|SKIP", "string")};
  t.add(make_command("client|no-evict", 3, kClientAdmin, 0, 0, 0, client_no_evict_command,
                     "connection", "7.0.0", "Sets the client eviction mode of the connection."))
      .args = {arg_doc("ON|OFF", "string")};
  t.add(make_command("client|unblock", -3, kClientAdmin, 0, 0, 0, client_unblock_command,
                     "connection", "5.0.0",
                     "Unblocks a client blocked by a blocking command from a different "
                     "connection.",
                     "O(log N) where N is the number of client connections"))
      .args = {arg_doc("client-id", "integer"), arg_doc("TIMEOUT|ERROR", "string", "", true)};
  t.add(make_command("client|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, client_help_command,
                     "connection", "5.0.0",
                     "Returns helpful text about the different subcommands."));
}

}  // namespace terndb::server
