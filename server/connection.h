// One client connection: reads requests, runs them, writes replies. Lives on one worker
// thread for its whole life; other threads reach it only through posts to that worker.
//
// Reading and writing alternate: after a read the parsed commands run and their replies
// are written; the next read starts when the write completed. A client that stops
// reading therefore stops being read (TCP applies back-pressure) instead of growing our
// output buffer.
#pragma once

#include <asio.hpp>
#include <functional>
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
struct CommandSpec;
struct PushFrame;
struct PushItem;
struct PushTarget;

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

  // Pub/sub and MONITOR (pubsub.h), on this connection's thread. push() appends the frames
  // of `count` items to the output and returns true when the caller should call
  // flush_pushed() once its batch is appended (frames that arrive while a command runs
  // join that command's reply).
  bool push(const PushItem* items, size_t count);
  void flush_pushed();
  // The connection's handle in the pub/sub registry, created on first use.
  const std::shared_ptr<PushTarget>& push_target();
  const std::shared_ptr<PushTarget>& existing_push_target() const { return push_target_; }
  // CLIENT UNPAUSE, or the pause's end: runs the command that the pause held.
  void resume_postponed();
  // PSYNC / SYNC: once the running command returns and nothing is in flight, the socket
  // leaves this connection (which closes) for `take`, with the output not yet written
  // and the input not yet parsed.
  using HandOver = std::function<void(Socket socket, std::string out, std::string in)>;
  void hand_over(HandOver take) { hand_over_ = std::move(take); }

 private:
  void read_more();
  void on_read(const asio::error_code& ec, size_t n);
  void process_input();
  void execute(const std::vector<std::string_view>& argv);
  void flush();
  void continue_io();
  void on_written(const asio::error_code& ec, size_t n);
  void fail_protocol(const std::string& msg);
  void leave_blocked();
  void arm_block_timer();
  void resume();
  // Checks of server/admission.cc that run before a command: the RESP2 subscribed context,
  // MONITOR clients' restrictions and CLIENT PAUSE. False when the command must not run
  // now (an error was written, or the command was postponed).
  bool admit(const CommandSpec& spec, const std::vector<std::string_view>& argv);
  void postpone(const std::vector<std::string_view>& argv);
  // maxmemory: evicts what it must before the command; false after replying -OOM when
  // the command may not run.
  bool memory_admits(const CommandSpec& spec);
  void arm_pause_timer();
  bool has_output() const { return !out_.empty() || !chunks_.empty(); }
  size_t output_size() const { return out_.size() + chunk_bytes_ + writing_.size(); }
  // Whether reads go on while replies are being written (subscribers, monitors: their
  // output is held to client-output-buffer-limit instead).
  bool reads_while_writing() const;
  void flush_chunks();
  void enforce_output_limits();
  void finish_hand_over();

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

  // Output that holds shared frames (large published messages are not copied per
  // receiver). When chunks_ is not empty the output is chunks_ followed by out_; writes
  // then gather up to a few dozen chunks at once.
  struct OutChunk {
    std::string owned;
    std::shared_ptr<const PushFrame> shared;
    bool as_resp3_push = false;  // '>' replaces the frame's leading '*'
    size_t size() const;
  };
  std::deque<OutChunk> chunks_;
  size_t chunk_bytes_ = 0;
  size_t chunks_in_flight_ = 0;
  std::vector<asio::const_buffer> gather_;
  std::shared_ptr<PushTarget> push_target_;
  bool executing_ = false;           // a command of ours is running (its reply is in out_)
  bool push_flush_pending_ = false;  // pushed frames wait for flush_pushed()
  bool closing_for_limits_ = false;
  int64_t soft_limit_since_ms_ = 0;
  // CLIENT PAUSE: the held command, run again when the pause ends.
  bool postponed_ = false;
  std::vector<std::string> postponed_argv_;
  std::unique_ptr<asio::steady_timer> pause_timer_;
  HandOver hand_over_;
};

}  // namespace terndb::server
