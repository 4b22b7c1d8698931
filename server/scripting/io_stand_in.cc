#include "server/scripting/io_stand_in.h"

#include <chrono>

namespace terndb::server::scripting {

IoStandIn::IoStandIn(asio::io_context& io) : io_(io) {
  thread_ = std::thread([this] {
    while (!stop_.load(std::memory_order_acquire)) {
      // Short waits, so that stopping never takes long.
      if (io_.run_one_for(std::chrono::milliseconds(10)) == 0 && io_.stopped()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
}

IoStandIn::~IoStandIn() {
  stop_.store(true, std::memory_order_release);
  thread_.join();
}

}  // namespace terndb::server::scripting
