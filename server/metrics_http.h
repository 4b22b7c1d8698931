// The HTTP side of the Prometheus endpoint: `metrics-port` (0: off) on the `metrics-bind`
// addresses, GET /metrics answered with render_metrics().
//
// It has its own thread and its own io_context, so a scrape is answered while every io
// thread is busy with clients. HTTP/1.1, one request per connection (Connection: close),
// requests over 16 KiB or slower than 10 s are dropped.
#pragma once

#include <asio.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace terndb::server {

class Server;

class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(Server& server);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Binds and starts serving when metrics-port is set; throws what the listeners throw
  // when an address cannot be bound (start-up then fails, as for `port`).
  void start();
  void stop();

 private:
  void accept(asio::ip::tcp::acceptor& acceptor);

  Server& server_;
  asio::io_context io_{1};
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::thread thread_;
};

}  // namespace terndb::server
