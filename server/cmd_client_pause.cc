// CLIENT PAUSE and CLIENT UNPAUSE (the pause itself: client_pause.h).
#include <strings.h>

#include "protocol/numbers.h"
#include "server/client_pause.h"
#include "server/command.h"
#include "server/connection.h"
#include "server/deferred_post.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

// Wakes the clients a pause held, on each worker's own thread.
void wake_postponed(Server& server) {
  for (auto& w : server.workers()) {
    Worker* worker = w.get();
    post_to_worker(*worker, [worker]() {
      std::vector<std::shared_ptr<Connection>> held;
      for (auto& [id, weak] : worker->connections)
        if (auto c = weak.lock()) held.push_back(std::move(c));
      for (auto& c : held) c->resume_postponed();
    });
  }
}

void client_pause_command(CommandContext& c) {
  if (c.argc() > 4) {
    return c.reply.error("ERR unknown subcommand or wrong number of arguments for '" +
                         std::string(c.arg(1).substr(0, 128)) + "'. Try CLIENT HELP.");
  }
  PauseMode mode = PauseMode::kAll;
  if (c.argc() == 4) {
    if (strncasecmp(c.arg(3).data(), "write", 5) == 0 && c.arg(3).size() == 5) {
      mode = PauseMode::kWrite;
    } else if (strncasecmp(c.arg(3).data(), "all", 3) == 0 && c.arg(3).size() == 3) {
      mode = PauseMode::kAll;
    } else {
      return c.reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  }
  int64_t timeout;
  if (!protocol::parse_int64(c.arg(2), timeout)) {
    return c.reply.error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return c.reply.error("ERR timeout is negative");
  // Redis 7.0 adds the time without an overflow check: a huge timeout wraps around to an
  // end in the past, which pauses nothing.
  const int64_t end = timeout > 0 ? static_cast<int64_t>(static_cast<uint64_t>(timeout) +
                                                         static_cast<uint64_t>(storage::now_ms()))
                                  : 0;
  c.server.client_pause().pause(end, mode);
  c.reply.ok();
}

void client_unpause_command(CommandContext& c) {
  if (c.server.client_pause().unpause()) wake_postponed(c.server);
  c.reply.ok();
}

}  // namespace

void register_client_pause_commands(CommandTable& t) {
  constexpr uint32_t kFlags = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  CommandSpec& pause =
      t.add(make_command("client|pause", -3, kFlags, 0, 0, 0, client_pause_command, "connection",
                         "2.9.50", "Stop processing commands from clients for some time"));
  pause.args = {CommandArgDoc{"timeout", "integer", "", false, false},
                CommandArgDoc{"mode", "oneof", "", true, false}};
  t.add(make_command("client|unpause", 2, kFlags, 0, 0, 0, client_unpause_command, "connection",
                     "6.2.0", "Resume processing of clients that were paused",
                     "O(N) Where N is the number of paused clients"));
}

}  // namespace terndb::server
