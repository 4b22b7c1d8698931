// One client connection: reads requests, runs them, writes replies. Lives on one worker
// thread for its whole life; other threads reach it only through posts to that worker.
//
// Reading and writing alternate: after a read the parsed commands run and their replies
// are written; the next read starts when the write completed. A client that stops
// reading therefore stops being read (TCP applies back-pressure) instead of growing our
// output buffer.
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/client_state.h"
#include "server/input_buffer.h"

namespace terndb::server {

class Server;
struct Worker;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  Connection(Server& server, Worker& worker, Socket socket, bool is_unix);
  ~Connection();

  void start();
  // Closes the socket now (on the owning worker's thread).
  void close();
  const std::shared_ptr<ClientState>& state() const { return state_; }
  Server& server() { return server_; }

  // Blocking commands (see blocking.h): park the client, deliver the reply that a serving
  // thread wrote, rerun the command on this thread, or end the wait (timeout or CLIENT
  // UNBLOCK). All run on this connection's thread.
  void enter_blocked(const std::shared_ptr<class BlockedClient>& waiter);
  void finish_blocked(const std::shared_ptr<class BlockedClient>& waiter, std::string reply);
  void retry_blocked(const std::shared_ptr<class BlockedClient>& waiter);
  // CLIENT UNBLOCK: answer as a timeout, or with `error` when not empty. False when the
  // client was not blocked (or already being served).
  bool unblock(const std::string& error);
  int64_t last_interaction_ms() const { return state_->last_interaction_ms.load(); }
  // Whether a read or write of this connection is in flight (its handler may run).
  bool io_pending() const { return reading_ || write_in_flight_; }

 private:
  void read_more();
  void on_read(const asio::error_code& ec, size_t n);
  void process_input();
  void execute(const std::vector<std::string_view>& argv);
  void flush();
  void on_written(const asio::error_code& ec, size_t n);
  void fail_protocol(const std::string& msg);
  void leave_blocked();
  void arm_block_timer();
  void resume();

  Server& server_;
  Worker& worker_;
  Socket socket_;
  std::shared_ptr<ClientState> state_;
  protocol::RequestParser parser_;
  protocol::ReplyBuilder reply_;
  InputBuffer in_;         // unparsed request bytes
  std::string out_;        // replies being accumulated
  std::string writing_;    // replies in flight
  bool write_in_flight_ = false;
  bool reading_ = false;
  bool closed_ = false;
  bool close_when_flushed_ = false;
  std::shared_ptr<class BlockedClient> blocked_;
  std::unique_ptr<asio::steady_timer> block_timer_;
};

}  // namespace terndb::server
