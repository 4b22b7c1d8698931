#include "server/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "server/blocking.h"
#include "server/deferred_post.h"
#include "server/dispatch.h"
#include "server/log.h"
#include "server/pubsub.h"
#include "server/script_batch.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/hashing.h"

namespace terndb::server {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Arguments bigger than this make us reserve the whole frame at once (see parser hint).
constexpr size_t kBigArg = 32 * 1024;

std::string endpoint_text(const asio::generic::stream_protocol::endpoint& ep, bool is_unix,
                          int family_hint) {
  (void)family_hint;
  if (is_unix) return "";
  const sockaddr* sa = reinterpret_cast<const sockaddr*>(ep.data());
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  return "?:0";
}

}  // namespace

Connection::Connection(Server& server, Worker& worker, Socket socket, bool is_unix)
    : server_(server), worker_(worker), socket_(std::move(socket)), reply_(&out_, 2) {
  state_ = std::make_shared<ClientState>();
  state_->id = server_.next_client_id();
  state_->created_ms = storage::now_ms();
  state_->last_interaction_ms = state_->created_ms;
  state_->is_unix = is_unix;
  state_->fd = socket_.native_handle();
  state_->authenticated = server_.config().text("requirepass").empty();
  asio::error_code ec;
  if (is_unix) {
    std::string path = server_.config().text("unixsocket");
    state_->addr = path + ":0";
    state_->laddr = path + ":0";
  } else {
    state_->addr = endpoint_text(socket_.remote_endpoint(ec), false, 0);
    state_->laddr = endpoint_text(socket_.local_endpoint(ec), false, 0);
    int one = 1;
    setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int keepalive = static_cast<int>(server_.config().num("tcp-keepalive"));
    if (keepalive > 0) {
      setsockopt(socket_.native_handle(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
      int idle = keepalive, intvl = std::max(1, keepalive / 3), cnt = 3;
      setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
      setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
      setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    }
  }
  socket_.non_blocking(true, ec);
}

Connection::~Connection() {
  if (push_target_) push_target_->connection = nullptr;
}

void Connection::start() {
  server_.register_client(state_, shared_from_this(), &worker_);
  worker_.connections[state_->id] = weak_from_this();
  read_more();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  script_batch::release();  // dropping WATCHes below takes shard locks
  if (push_target_) {
    push_target_->connection = nullptr;
    server_.pubsub().leave_all(push_target_, false);
  }
  if (pause_timer_) pause_timer_->cancel();
  if (blocked_) {
    blocked_->claim();
    leave_blocked();
  }
  if (state_->tx.watch_flag) {
    // Forget our WATCHes so writers stop marking a dead client.
    for (auto& [db, key] : state_->tx.watched) {
      storage::Shard& s = server_.keyspace().shard(server_.keyspace().shard_of(storage::hash_key(key)));
      std::lock_guard<std::mutex> g(s.mu);
      s.watches.remove(db, key, state_->tx.watch_flag.get());
    }
  }
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  worker_.connections.erase(state_->id);
  server_.unregister_client(state_->id);
}

void Connection::read_more() {
  if (closed_ || reading_ || (write_in_flight_ && !reads_while_writing())) return;
  size_t want = kReadChunk;
  size_t hint = parser_.hint_size();
  // A large argument in flight: make room for the whole frame at once.
  if (hint > in_.size() + kBigArg) want = hint - in_.size();
  in_.release_if_oversized(4 * 1024 * 1024);
  char* dst = in_.prepare(want);
  size_t room = in_.writable();
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(dst, room), [self](const asio::error_code& ec, size_t n) {
    if (!ec) self->in_.commit(n);
    self->on_read(ec, n);
  });
}

void Connection::on_read(const asio::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec || n == 0) {
    close();
    return;
  }
  worker_.stats.net_input_bytes.fetch_add(n, std::memory_order_relaxed);
  size_t pending = in_.size();
  if (pending > static_cast<size_t>(server_.opt_query_buffer_limit.num.load(std::memory_order_relaxed))) {
    logf(LogLevel::kWarning, "Closing client that reached max query buffer length: id=%llu addr=%s",
         static_cast<unsigned long long>(state_->id), state_->addr.c_str());
    close();
    return;
  }
  process_input();
  if (closed_) return;
  state_->query_buffer_bytes.store(in_.size(), std::memory_order_relaxed);
  state_->query_buffer_free.store(in_.capacity() - in_.size(), std::memory_order_relaxed);
  continue_io();
}

// After input was processed: write what is pending, close once a QUIT's reply is out, or
// read on. Subscribers and monitors read on while their output is being written.
void Connection::continue_io() {
  if (closed_) return;
  if (hand_over_ && !write_in_flight_ && !reading_) return finish_hand_over();
  if (has_output()) flush();
  // A subscriber whose replies pile up behind an unfinished write (it sends but does not
  // read) is held to its output limit like the frames pushed to it.
  if (write_in_flight_ && has_output() && reads_while_writing()) enforce_output_limits();
  if (closing_for_limits_) return;
  if (close_when_flushed_) {
    if (!write_in_flight_ && !has_output()) close();
    return;
  }
  if (!write_in_flight_ || reads_while_writing()) read_more();
}

void Connection::finish_hand_over() {
  HandOver take = std::move(hand_over_);
  hand_over_ = nullptr;
  Socket socket(std::move(socket_));
  std::string in(in_.data(), in_.size());
  std::string out = std::move(out_);
  out_.clear();
  close();
  take(std::move(socket), std::move(out), std::move(in));
}

void Connection::process_input() {
  // Workers receiving what these commands publish are woken once the whole batch ran, so
  // a pipeline of PUBLISHes costs each subscriber one write, as with Redis, which writes
  // to its clients once per event loop iteration.
  CommandPostScope batch;
  // Destroyed before `batch`: locks held from a script are released before anything else.
  ScriptBatchScope scripts;
  protocol::ParserLimits limits;
  limits.max_bulk_len = server_.opt_proto_max_bulk_len.num.load(std::memory_order_relaxed);
  while (!closed_ && !close_when_flushed_ && !blocked_ && !postponed_ && !hand_over_ &&
         in_.size() > 0) {
    limits.authenticated = state_->authenticated.load(std::memory_order_relaxed);
    auto status = parser_.parse(in_.data(), in_.size(), limits);
    if (status == protocol::ParseStatus::kNeedMore) break;
    if (status == protocol::ParseStatus::kError) {
      fail_protocol(parser_.error());
      return;
    }
    size_t consumed = parser_.consumed();
    if (status == protocol::ParseStatus::kCommand) execute(parser_.args());
    // A read may be in flight into the buffer's free end: keep the data where it is.
    in_.consume(consumed, reading_);
  }
}

void Connection::fail_protocol(const std::string& msg) {
  // Redis answers the error, then closes once it is written.
  reply_.error("ERR " + msg);
  logf(LogLevel::kVerbose, "Protocol error (%s) from client: id=%llu addr=%s", msg.c_str(),
       static_cast<unsigned long long>(state_->id), state_->addr.c_str());
  close_when_flushed_ = true;
}

void Connection::flush() {
  if (closed_ || write_in_flight_ || !has_output()) return;
  if (!chunks_.empty()) return flush_chunks();
  writing_.swap(out_);
  out_.clear();
  write_in_flight_ = true;
  state_->output_pending.store(writing_.size(), std::memory_order_relaxed);
  state_->output_bytes.store(0, std::memory_order_relaxed);
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(writing_),
                    [self](const asio::error_code& ec, size_t n) { self->on_written(ec, n); });
}

void Connection::on_written(const asio::error_code& ec, size_t n) {
  write_in_flight_ = false;
  state_->output_pending.store(0, std::memory_order_relaxed);
  if (closed_) return;
  if (ec) {
    close();
    return;
  }
  worker_.stats.net_output_bytes.fetch_add(n, std::memory_order_relaxed);
  if (chunks_in_flight_ > 0) {
    for (; chunks_in_flight_ > 0; --chunks_in_flight_) {
      chunk_bytes_ -= chunks_.front().size();
      chunks_.pop_front();
    }
    state_->output_bytes.store(out_.size() + chunk_bytes_, std::memory_order_relaxed);
  } else if (writing_.capacity() > 1024 * 1024) {
    // Keep a moderate buffer around for the next round; give back big ones.
    std::string().swap(writing_);
  } else {
    writing_.clear();
  }
  // Commands may be waiting in the input already (pipelines larger than one read).
  if (!has_output() && !close_when_flushed_ && in_.size() > 0 && !parser_.in_frame() && !blocked_ &&
      !postponed_) {
    process_input();
  }
  continue_io();
}

}  // namespace terndb::server

namespace terndb::server {

void Connection::enter_blocked(const std::shared_ptr<BlockedClient>& waiter) {
  blocked_ = waiter;
  state_->blocked.store(true);
  server_.blocked_clients.fetch_add(1);
  arm_block_timer();
}

void Connection::arm_block_timer() {
  int64_t deadline = blocked_->request().deadline_ms;
  if (deadline <= 0) return;
  if (!block_timer_) block_timer_ = std::make_unique<asio::steady_timer>(worker_.io);
  int64_t wait_ms = std::max<int64_t>(1, deadline - storage::now_ms());
  block_timer_->expires_after(std::chrono::milliseconds(wait_ms));
  std::weak_ptr<Connection> weak = weak_from_this();
  std::shared_ptr<BlockedClient> waiter = blocked_;
  block_timer_->async_wait([weak, waiter](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->blocked_ != waiter) return;
    if (!waiter->claim()) {
      // A serving thread holds the claim; its reply is on its way, or it gives the claim
      // back: look again shortly.
      self->arm_block_timer();
      return;
    }
    protocol::ReplyBuilder reply(&self->out_, waiter->resp());
    waiter->request().on_timeout(reply);
    self->leave_blocked();
    self->resume();
  });
}

void Connection::leave_blocked() {
  if (!blocked_) return;
  blocked_->leave_queues(server_.keyspace());
  if (block_timer_) block_timer_->cancel();
  blocked_.reset();
  state_->blocked.store(false);
  server_.blocked_clients.fetch_sub(1);
}

void Connection::finish_blocked(const std::shared_ptr<BlockedClient>& waiter, std::string reply) {
  if (closed_ || blocked_ != waiter) return;
  out_ += reply;
  leave_blocked();
  resume();
}

void Connection::retry_blocked(const std::shared_ptr<BlockedClient>& waiter) {
  if (closed_ || blocked_ != waiter || !waiter->claim()) return;
  leave_blocked();
  // Run the command again from the top: it serves itself or blocks anew.
  std::vector<std::string> argv = waiter->argv();
  std::vector<std::string_view> views(argv.begin(), argv.end());
  execute(views);
  resume();
}

bool Connection::unblock(const std::string& error) {
  if (!blocked_ || !blocked_->claim()) return false;
  protocol::ReplyBuilder reply(&out_, blocked_->resp());
  if (error.empty()) {
    blocked_->request().on_timeout(reply);
  } else {
    reply.error(error);
  }
  leave_blocked();
  resume();
  return true;
}

void Connection::resume() {
  if (closed_) return;
  process_input();
  continue_io();
}

}  // namespace terndb::server
