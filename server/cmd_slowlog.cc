// SLOWLOG GET [count] | LEN | RESET | HELP, with redis-server 7.0's replies.
#include <string>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/server.h"

namespace terndb::server {
namespace {

void slowlog_get_command(CommandContext& c) {
  if (c.argc() > 3) {
    return c.reply.error("ERR unknown subcommand or wrong number of arguments for '" +
                         std::string(c.arg(1).substr(0, 128)) + "'. Try SLOWLOG HELP.");
  }
  int64_t count = 10;
  if (c.argc() == 3 && (!protocol::parse_int64(c.arg(2), count) || count < -1)) {
    return c.reply.error("ERR count should be greater than or equal to -1");
  }
  const std::vector<SlowLogEntry> entries = c.server.slowlog.latest(count);
  c.reply.array(entries.size());
  for (const SlowLogEntry& e : entries) {
    c.reply.array(6);
    c.reply.integer(e.id);
    c.reply.integer(e.unix_time);
    c.reply.integer(e.duration_us);
    c.reply.array(e.argv.size());
    for (const std::string& a : e.argv) c.reply.bulk(a);
    c.reply.bulk(e.client_addr);
    c.reply.bulk(e.client_name);
  }
}

void slowlog_len_command(CommandContext& c) {
  c.reply.integer(static_cast<int64_t>(c.server.slowlog.size()));
}

void slowlog_reset_command(CommandContext& c) {
  c.server.slowlog.reset();
  c.reply.ok();
}

void slowlog_help_command(CommandContext& c) {
  reply_help(c.reply, "SLOWLOG",
             {
                 "GET [<count>]",
                 "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                 "    Entries are made of:",
                 "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                 "    client name",
                 "LEN",
                 "    Return the length of the slowlog.",
                 "RESET",
                 "    Reset the slowlog.",
             });
}

}  // namespace

void register_slowlog_commands(CommandTable& t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdLoading | kCmdStale;
  t.add(make_command("slowlog", -2, 0, 0, 0, 0, nullptr, "server", "2.2.12",
                     "A container for slow log commands", "Depends on subcommand."));
  CommandSpec& get = t.add(make_command("slowlog|get", -2, kAdmin, 0, 0, 0, slowlog_get_command,
                                        "server", "2.2.12", "Get the slow log's entries",
                                        "O(N) where N is the number of entries returned"));
  get.args.push_back({"count", "integer", "", true, false});
  t.add(make_command("slowlog|len", 2, kAdmin, 0, 0, 0, slowlog_len_command, "server", "2.2.12",
                     "Get the slow log's length"));
  t.add(make_command("slowlog|reset", 2, kAdmin, 0, 0, 0, slowlog_reset_command, "server", "2.2.12",
                     "Clear all entries from the slow log",
                     "O(N) where N is the number of entries in the slowlog"));
  t.add(make_command("slowlog|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, slowlog_help_command,
                     "server", "6.2.0", "Show helpful text about the different subcommands"));
}

}  // namespace terndb::server
