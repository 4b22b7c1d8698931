// CONFIG GET / SET / RESETSTAT / REWRITE / HELP, answering as redis-server 7.0 does. The
// registry (conf/config_registry.h) holds the values and Redis's parsing rules; this file
// maps the subcommands onto it and adds the runtime checks the server needs.
#include <string>
#include <utility>
#include <vector>

#include "conf/config_registry.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/eviction.h"
#include "server/log.h"
#include "server/protected_action.h"
#include "server/server.h"

namespace terndb::server {
namespace {

void config_get_command(CommandContext& c) {
  std::vector<std::string> patterns;
  for (size_t i = 2; i < c.argc(); ++i) patterns.emplace_back(c.arg(i));
  auto found = c.server.config().matching(patterns);
  c.reply.map(found.size());
  for (auto& [name, value] : found) {
    c.reply.bulk(name);
    c.reply.bulk(value);
  }
}

// Listeners are opened once at start; a new port or bind list would need them reopened,
// which terndb does not do at runtime. Such a change fails the way Redis reports a failed
// rebind, and the previous values stay.
bool apply_runtime_change(const conf::Option& o, const std::string& old_text, std::string& err) {
  if (o.text == old_text) return true;
  if (o.name == "port") {
    err = "Unable to listen on this port. Check server logs.";
    logf(LogLevel::kWarning, "CONFIG SET port: terndb cannot change its port while running");
    return false;
  }
  if (o.name == "bind") {
    err = "Failed to bind to specified addresses.";
    logf(LogLevel::kWarning, "CONFIG SET bind: terndb cannot rebind while running");
    return false;
  }
  return true;
}

void config_set_command(CommandContext& c) {
  if (c.argc() % 2 != 0) return c.syntax_error();
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < c.argc(); i += 2) pairs.emplace_back(c.arg(i), c.arg(i + 1));
  conf::Registry& config = c.server.config();
  bool allow_protected = protected_action_allowed(config.num("enable-protected-configs"), c.client);
  conf::SetFailure failure;
  if (config.set_from_command(pairs, allow_protected, failure, apply_runtime_change)) {
    // A lower maxmemory (or a policy that can now evict) takes effect at once: evict down
    // to the limit before answering.
    Evictor& evictor = c.server.evictor();
    if (evictor.over_limit()) {
      logf(LogLevel::kWarning,
           "WARNING: the new maxmemory value set via CONFIG SET (%lld) is smaller than the "
           "current memory usage (%lld). This will result in key eviction and/or the inability "
           "to accept new write commands depending on the maxmemory-policy.",
           static_cast<long long>(evictor.maxmemory()),
           static_cast<long long>(evictor.used_memory()));
      while (evictor.perform_evictions(c.all_locked) == Evictor::Result::kRunning) {
      }
    }
    return c.reply.ok();
  }
  if (failure.kind == conf::SetFailure::kUnknown) {
    return c.reply.error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                         failure.arg + "'");
  }
  c.reply.error("ERR CONFIG SET failed (possibly related to argument '" + failure.arg + "') - " +
                failure.reason);
}

void config_resetstat_command(CommandContext& c) {
  c.server.reset_stats();
  c.reply.ok();
}

void config_rewrite_command(CommandContext& c) {
  conf::Registry& config = c.server.config();
  std::string err;
  if (!config.rewrite(config.config_file, err)) {
    logf(LogLevel::kWarning, "CONFIG REWRITE failed: %s", err.c_str());
    return c.reply.error("ERR " + err);
  }
  logf(LogLevel::kNotice, "CONFIG REWRITE executed with success.");
  c.reply.ok();
}

void config_help_command(CommandContext& c) {
  reply_help(c.reply, "CONFIG",
             {
                 "GET <pattern>",
                 "    Return parameters matching the glob-like <pattern> and their values.",
                 "SET <directive> <value>",
                 "    Set the configuration <directive> to <value>.",
                 "RESETSTAT",
                 "    Reset statistics reported by the INFO command.",
                 "REWRITE",
                 "    Rewrite the configuration file.",
             });
}

}  // namespace

void register_config_commands(CommandTable& t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  t.add(make_command("config", -2, 0, 0, 0, 0, nullptr, "server", "2.0.0",
                     "A container for server configuration commands.", "Depends on subcommand."));
  t.add(make_command("config|get", -3, kAdmin, 0, 0, 0, config_get_command, "server", "2.0.0",
                     "Returns the effective values of configuration parameters.",
                     "O(N) when N is the number of configuration parameters provided"));
  t.add(make_command("config|set", -4, kAdmin, 0, 0, 0, config_set_command, "server", "2.0.0",
                     "Sets configuration parameters in-flight.",
                     "O(N) when N is the number of configuration parameters provided"));
  t.add(make_command("config|resetstat", 2, kAdmin, 0, 0, 0, config_resetstat_command, "server",
                     "2.0.0", "Resets the server's statistics."));
  t.add(make_command("config|rewrite", 2, kAdmin, 0, 0, 0, config_rewrite_command, "server",
                     "2.8.0", "Persists the effective configuration to file."));
  t.add(make_command("config|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, config_help_command,
                     "server", "5.0.0", "Returns helpful text about the different subcommands."));
}

}  // namespace terndb::server
