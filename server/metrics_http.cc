#include "server/metrics_http.h"

#include <string>

#include "protocol/resp_parser.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/tcp_listen.h"

namespace terndb::server {
namespace {

constexpr size_t kMaxRequest = 16 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(10);

std::string response(const char* status, const char* content_type, const std::string& body,
                     bool head, const char* extra = "") {
  std::string out = std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + content_type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
                    "Connection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

// One connection: read the request head, answer, close.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(Server& server, asio::ip::tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() {
    timer_.expires_after(kRequestTimeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->close();
    });
    asio::async_read_until(socket_, asio::dynamic_buffer(request_, kMaxRequest), "\r\n\r\n",
                           [self = shared_from_this()](const asio::error_code& ec, size_t) {
                             if (ec) return self->close();
                             self->answer();
                           });
  }

 private:
  void answer() {
    const size_t eol = request_.find("\r\n");
    const std::string line = request_.substr(0, eol);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
    const std::string method = line.substr(0, sp1);
    std::string target = sp1 == std::string::npos ? "" : line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    const bool head = method == "HEAD";
    if (method != "GET" && !head) {
      reply_ = response("405 Method Not Allowed", "text/plain; charset=utf-8",
                        "only GET and HEAD\n", false, "Allow: GET, HEAD\r\n");
    } else if (target == "/metrics") {
      reply_ = response("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                        render_metrics(server_), head);
    } else if (target == "/") {
      reply_ = response("200 OK", "text/plain; charset=utf-8", "terndb: metrics are at /metrics\n",
                        head);
    } else {
      reply_ = response("404 Not Found", "text/plain; charset=utf-8", "not found\n", head);
    }
    asio::async_write(
        socket_, asio::buffer(reply_),
        [self = shared_from_this()](const asio::error_code&, size_t) { self->close(); });
  }

  void close() {
    asio::error_code ec;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  Server& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::string request_;
  std::string reply_;
};

}  // namespace

MetricsEndpoint::MetricsEndpoint(Server& server) : server_(server) {}

MetricsEndpoint::~MetricsEndpoint() {
  stop();
}

void MetricsEndpoint::start() {
  const auto port = static_cast<unsigned short>(server_.config().num("metrics-port"));
  if (port == 0) return;
  std::vector<std::string> binds;
  protocol::split_args(server_.config().text("metrics-bind"), binds);
  for (const std::string& word : binds) {
    const ListenAddress a = parse_listen_address(word);
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
    const asio::error_code ec =
        a.valid ? open_listener(*acceptor, asio::ip::tcp::endpoint(a.ip, port), 64)
                : asio::error::invalid_argument;
    if (ec) {
      if (a.optional) continue;
      throw std::runtime_error("Could not create the metrics listening socket " + a.text + ":" +
                               std::to_string(port) + ": " + ec.message());
    }
    acceptors_.push_back(std::move(acceptor));
  }
  if (acceptors_.empty()) {
    throw std::runtime_error("metrics-port is set but no metrics-bind address could be bound");
  }
  for (auto& acceptor : acceptors_) accept(*acceptor);
  thread_ = std::thread([this]() { io_.run(); });
  logf(LogLevel::kNotice, "Serving Prometheus metrics on port %d at /metrics",
       static_cast<int>(port));
}

void MetricsEndpoint::accept(asio::ip::tcp::acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](const asio::error_code& ec, asio::ip::tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Exchange>(server_, std::move(s))->start();
    accept(acceptor);
  });
}

void MetricsEndpoint::stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
  acceptors_.clear();
}

}  // namespace terndb::server
