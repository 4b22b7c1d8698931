// Replica side: the link to one master. Resolves the master's name at every connect
// (IPv6 addresses first), runs Redis's handshake (PING, AUTH, REPLCONF listening-port and
// capa, PSYNC), loads the snapshot of a full sync, then applies the stream as the master
// client: its commands skip the read-only check.
//
// Plain replica: the stream is appended to our own log verbatim, so our offsets stay
// equal to the master's and our replicas can follow us; a full sync flushes first.
//
// Active replica (one link per peer): KeyDB's handshake adds `REPLCONF capa activeExpire`
// and `REPLCONF uuid`, whose answer names the peer (our own uuid: we reached ourselves,
// and the link is dropped). Our log is never touched: each command of the peer's stream
// goes to active::on_peer_command() first (what it leaves, PING, SELECT or a plain
// master's write, runs here without being streamed again), a full sync is merged
// (active::merge_snapshot),
// and the link keeps its own position in the peer's stream (the peer's replid and the
// bytes processed) for PSYNC and ACK, so a cut resumes by partial resync.
//
// Lives on worker 0; every member runs there but view(), which any thread may call.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/active_replica.h"
#include "server/client_state.h"
#include "server/replication.h"

namespace terndb::server {

class Server;
struct Worker;

class MasterLink : public std::enable_shared_from_this<MasterLink> {
 public:
  MasterLink(Server& server, Worker& worker, std::string host, int port, bool active,
             bool from_dns = false);
  ~MasterLink();  // waits for an async load under way
  void start();
  // Stops for good (REPLICAOF NO ONE or another master).
  void stop();
  // Periodic: ack, timeout (on worker 0).
  void cron();
  MasterView view() const;
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  bool link_up() const { return state_.load() == kConnected; }
  bool from_dns() const { return from_dns_; }

 private:
  enum State { kConnect, kConnecting, kHandshake, kTransfer, kConnected };
  void connect();
  void try_endpoint(std::shared_ptr<std::vector<asio::ip::tcp::endpoint>> eps, size_t i);
  void fail(const std::string& why);
  void send(std::string bytes);
  void command(std::vector<std::string> argv, std::function<void(std::string)> on_line);
  void read_line(std::function<void(std::string)> on_line);
  void read_more(std::function<void()> then);
  void handshake();
  void announce_capabilities();
  void on_uuid_reply(const std::string& reply);
  void psync();
  void on_psync_reply();
  void read_payload_header(const std::string& replid, uint64_t offset);
  void read_payload(const std::string& replid, uint64_t offset);
  void finish_full_sync(const std::string& replid, uint64_t offset, std::string_view rdb);
  // repl-diskless-load swapdb: the snapshot loads into a keyspace of its own on a thread
  // while clients keep reading the old data, then replaces it under every shard lock.
  void start_async_load(const std::string& replid, uint64_t offset);
  void poll_async_load();
  void finish_async_load();
  void streaming();
  void apply_input();
  bool apply_command(const std::vector<std::string_view>& argv);
  void note_peer_write(const std::vector<std::string_view>& argv);
  void send_ack();

  Server& server_;
  Worker& worker_;
  const std::string host_;
  const int port_;
  const bool active_;
  const bool from_dns_;
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
  std::atomic<int64_t> sync_total_{-1};
  std::atomic<int64_t> sync_read_{0};
  struct AsyncLoad;
  std::unique_ptr<AsyncLoad> async_load_;  // joined when dropped
  asio::steady_timer load_timer_;
  // Active mode: the peer and our position in its stream (strings under view_mu_, which
  // view() reads from other threads).
  mutable std::mutex view_mu_;
  std::string peer_uuid_;
  std::string peer_replid_;
  std::atomic<uint64_t> peer_offset_{0};
  std::atomic<int64_t> lag_ms_{-1};
  // Applying the stream.
  protocol::RequestParser parser_;
  std::shared_ptr<ClientState> client_;
  active::PeerLink peer_link_;  // active replication: asking this peer for key states
  std::string scratch_;
  bool writing_ = false;
  std::string out_, writing_buf_;
};

}  // namespace terndb::server
