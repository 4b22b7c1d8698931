// Serving an io thread's other connections while that thread runs a long script.
//
// Scripts run on the io thread of the client that sent them. Past lua-time-limit, that
// thread's other clients must get -BUSY, and one of them may send SCRIPT KILL, but the
// thread is busy in Lua. An IoStandIn runs the thread's io_context on a thread of its own
// in the meantime, so those connections are served like everyone else's. The script's
// hook starts it; it is stopped and joined before the io thread goes back to its own
// loop, so the two never run handlers at the same time.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <thread>

namespace terndb::server::scripting {

class IoStandIn {
 public:
  explicit IoStandIn(asio::io_context& io);
  // Stops running handlers and joins (waits for the handler in progress to finish).
  ~IoStandIn();
  IoStandIn(const IoStandIn&) = delete;
  IoStandIn& operator=(const IoStandIn&) = delete;

 private:
  asio::io_context& io_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace terndb::server::scripting
