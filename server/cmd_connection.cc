// Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT.
#include <cstring>

#include "protocol/numbers.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/version.h"

namespace terndb::server {
namespace {

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

void ping_command(CommandContext& c) {
  if (c.argc() > 2) return c.wrong_arity();
  // A RESP2 subscriber reads everything as message arrays, so PING answers like one.
  if (c.client.subscribed() && c.client.resp.load(std::memory_order_relaxed) == 2) {
    c.reply.array(2);
    c.reply.bulk("pong");
    c.reply.bulk(c.argc() == 2 ? c.arg(1) : std::string_view());
    return;
  }
  if (c.argc() == 1)
    c.reply.simple("PONG");
  else
    c.reply.bulk(c.arg(1));
}

void echo_command(CommandContext& c) { c.reply.bulk(c.arg(1)); }

void quit_command(CommandContext& c) {
  c.reply.ok();
  c.client.close_after_reply = true;
}

// Checks a password for the default user (the only user terndb has).
bool check_password(CommandContext& c, std::string_view user, std::string_view pass) {
  std::string required = c.server.config().text("requirepass");
  if (user != "default") return false;
  if (required.empty()) return true;
  return pass == required;
}

void auth_command(CommandContext& c) {
  if (c.argc() > 3) return c.syntax_error();
  std::string_view user = c.argc() == 3 ? c.arg(1) : std::string_view("default");
  std::string_view pass = c.argc() == 3 ? c.arg(2) : c.arg(1);
  if (c.argc() == 2 && c.server.config().text("requirepass").empty()) {
    return c.reply.error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
  }
  if (!check_password(c, user, pass)) {
    return c.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
  }
  c.client.authenticated = true;
  c.client.user = std::string(user);
  c.reply.ok();
}

void hello_command(CommandContext& c) {
  int64_t ver = 0;
  size_t next = 1;
  if (c.argc() >= 2) {
    if (!protocol::parse_int64(c.arg(1), ver)) {
      return c.reply.error("ERR Protocol version is not an integer or out of range");
    }
    next = 2;
    if (ver < 2 || ver > 3) return c.reply.error("NOPROTO unsupported protocol version");
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (size_t j = next; j < c.argc(); ++j) {
    size_t more = c.argc() - j - 1;
    if (eq_nocase(c.arg(j), "auth") && more >= 2) {
      user = c.arg(j + 1);
      pass = c.arg(j + 2);
      has_auth = true;
      j += 2;
    } else if (eq_nocase(c.arg(j), "setname") && more >= 1) {
      name = c.arg(j + 1);
      has_name = true;
      j += 1;
    } else {
      return c.reply.error("ERR Syntax error in HELLO option '" + std::string(c.arg(j)) + "'");
    }
  }
  if (has_auth) {
    if (!check_password(c, user, pass)) {
      return c.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
    }
    c.client.authenticated = true;
    c.client.user = std::string(user);
  }
  if (!c.client.authenticated) {
    return c.reply.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (has_name) {
    for (char ch : name) {
      if (ch < '!' || ch > '~') {
        return c.reply.error(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    c.client.set_name(std::string(name));
  }
  if (ver) {
    c.client.resp = static_cast<int>(ver);
    c.reply.set_resp(static_cast<int>(ver));
  }
  c.reply.map(7);
  c.reply.bulk("server");
  c.reply.bulk("redis");
  c.reply.bulk("version");
  c.reply.bulk(kRedisCompatVersion);
  c.reply.bulk("proto");
  c.reply.integer(c.client.resp);
  c.reply.bulk("id");
  c.reply.integer(static_cast<int64_t>(c.client.id));
  c.reply.bulk("mode");
  c.reply.bulk("standalone");
  c.reply.bulk("role");
  c.reply.bulk("master");
  c.reply.bulk("modules");
  c.reply.array(0);
}

void reset_command(CommandContext& c) {
  reset_pubsub_state(c);
  c.client.db = 0;
  c.client.resp = 2;
  c.reply.set_resp(2);
  c.client.set_name("");
  // Replies come back on, but RESET's own reply is still dropped after CLIENT REPLY SKIP.
  if (c.client.reply_mode == ReplyMode::kOff) c.client.reply_mode = ReplyMode::kOn;
  c.client.skip_next_reply = false;
  c.client.no_evict = false;
  c.client.authenticated = c.server.config().text("requirepass").empty();
  c.client.user = "default";
  c.reply.simple("RESET");
}

void select_command(CommandContext& c) {
  int64_t db;
  if (!protocol::parse_int64(c.arg(1), db)) {
    return c.reply.error("ERR value is not an integer or out of range");
  }
  if (db < 0 || db >= c.keyspace().databases()) {
    return c.reply.error("ERR DB index is out of range");
  }
  c.client.db = static_cast<int>(db);
  c.reply.ok();
}

}  // namespace

void register_connection_commands(CommandTable& t) {
  constexpr uint32_t kConn = kCmdLoading | kCmdStale | kCmdFast;
  // Unlike its neighbours, Redis's PING is neither loading- nor stale-safe: just fast.
  t.add(make_command("ping", -1, kCmdFast, 0, 0, 0, ping_command, "connection", "1.0.0",
                     "Returns the server's liveliness response."));
  t.add(make_command("echo", 2, kConn, 0, 0, 0, echo_command, "connection", "1.0.0",
                     "Returns the given string."));
  t.add(make_command("quit", -1, kCmdNoAuth | kConn | kCmdNoscript | kCmdAllowBusy, 0, 0, 0,
                     quit_command, "connection", "1.0.0", "Closes the connection."));
  t.add(make_command("auth", -2, kCmdNoAuth | kConn | kCmdNoscript | kCmdAllowBusy, 0, 0, 0,
                     auth_command, "connection", "1.0.0", "Authenticates the connection.",
                     "O(N) where N is the number of passwords defined for the user"));
  t.add(make_command("hello", -1, kCmdNoAuth | kConn | kCmdNoscript | kCmdAllowBusy, 0, 0, 0,
                     hello_command, "connection", "6.0.0", "Handshakes with the server."));
  t.add(make_command("reset", 1, kCmdNoAuth | kConn | kCmdNoscript | kCmdAllowBusy, 0, 0, 0,
                     reset_command, "connection", "6.2.0", "Resets the connection."));
  t.add(make_command("select", 2, kConn, 0, 0, 0, select_command, "connection", "1.0.0",
                     "Changes the selected database."));
}

}  // namespace terndb::server
