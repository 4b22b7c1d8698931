// Replica side: the link to our master. Resolves the master's name at every connect
// (IPv6 addresses first), runs Redis's handshake (PING, AUTH, REPLCONF listening-port and
// capa, PSYNC), loads the snapshot of a full sync, then applies the stream as the master
// client: its commands skip the read-only check and are appended to our own log verbatim,
// so our offsets stay equal to the master's and our replicas can follow us.
// Lives on worker 0; every member runs there.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/client_state.h"
#include "server/replication.h"

namespace terndb::server {

class Server;
struct Worker;

class MasterLink : public std::enable_shared_from_this<MasterLink> {
 public:
  MasterLink(Server& server, Worker& worker, std::string host, int port);
  void start();
  // Stops for good (REPLICAOF NO ONE or another master).
  void stop();
  // Periodic: ack, timeout (on worker 0).
  void cron();
  MasterView view() const;
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  bool link_up() const { return state_.load() == kConnected; }

 private:
  enum State { kConnect, kConnecting, kHandshake, kTransfer, kConnected };
  void connect();
  void try_endpoint(std::shared_ptr<std::vector<asio::ip::tcp::endpoint>> eps, size_t i);
  void fail(const std::string& why);
  void send(std::string bytes);
  void command(std::initializer_list<std::string> argv, std::function<void(std::string)> on_line);
  void read_line(std::function<void(std::string)> on_line);
  void read_more(std::function<void()> then);
  void handshake();
  void psync();
  void on_psync_reply();
  void read_payload_header(const std::string& replid, uint64_t offset);
  void read_payload(const std::string& replid, uint64_t offset);
  void finish_full_sync(const std::string& replid, uint64_t offset, std::string_view rdb);
  void streaming();
  void apply_input();
  void send_ack();

  Server& server_;
  Worker& worker_;
  std::string host_;
  int port_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer retry_timer_;
  std::atomic<int> state_{kConnect};
  bool stopped_ = false;
  uint64_t generation_ = 0;  // bumped at each (re)connect; stale handlers check it
  std::atomic<int64_t> last_io_ms_{0};
  int64_t down_since_ms_ = 0;
  int64_t backoff_ms_ = 0;
  std::string in_;
  char buf_[64 * 1024];
  // Full sync payload.
  bool eof_form_ = false;
  std::string eof_mark_;
  uint64_t payload_len_ = 0;
  std::string payload_;
  // Applying the stream.
  protocol::RequestParser parser_;
  std::shared_ptr<ClientState> client_;
  std::string scratch_;
  bool writing_ = false;
  std::string out_, writing_buf_;
};

}  // namespace terndb::server
