// Posting work to a worker from inside a command.
//
// A command may run while its thread holds every shard lock (EXEC, scripts); posting to
// an io_context then would take one more mutex (asio's) under them. Posts made while a
// command runs are therefore collected and made when the outermost command returns, in
// order; outside commands (the cron, io handlers) they are made at once. Pub/sub wakes
// workers this way: the frames are already queued in order, only the wake-up waits.
#pragma once

#include <functional>

namespace terndb::server {

struct Worker;

void post_to_worker(Worker& w, std::function<void()> fn);

// Held by invoke_command around a command's handler.
class CommandPostScope {
 public:
  CommandPostScope();
  ~CommandPostScope();
  CommandPostScope(const CommandPostScope&) = delete;
  CommandPostScope& operator=(const CommandPostScope&) = delete;
};

}  // namespace terndb::server
