#include "server/replica_link.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol/numbers.h"
#include "server/active_replica.h"
#include "server/log.h"
#include "server/propagate.h"
#include "server/repl_snapshot.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

constexpr size_t kStreamChunk = 256 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

ReplicaLink::ReplicaLink(Server& server, Worker& worker, Socket socket, std::string addr,
                         ReplicaHello hello)
    : server_(server),
      worker_(worker),
      socket_(std::move(socket)),
      addr_(std::move(addr)),
      hello_(std::move(hello)) {
  last_ack_ms_ = storage::now_ms();
}

ReplicaLink::~ReplicaLink() {
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    ::waitpid(child_, nullptr, 0);
  }
}

ReplicaView ReplicaLink::view() const {
  ReplicaView v;
  v.ip = hello_.ip_address;
  if (v.ip.empty()) v.ip = addr_.substr(0, addr_.rfind(':'));
  v.port = hello_.listening_port;
  static const char* kStates[] = {"wait_bgsave", "send_bulk", "online"};
  v.state = kStates[state_.load()];
  v.ack_offset = ack_offset_.load();
  v.lag_seconds = (storage::now_ms() - last_ack_ms_.load()) / 1000;
  v.uuid = hello_.uuid;
  return v;
}

void ReplicaLink::start_full_sync(std::string pending_out, std::string pending_in) {
  out_ = std::move(pending_out);
  in_ = std::move(pending_in);
  Replication::instance().add_replica(shared_from_this());
  replication::StreamLog& log = stream_log();
  log.activate();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return close();
  storage::Keyspace& ks = server_.keyspace();
  // The snapshot point: with every shard locked, all writes with a lower ticket are in
  // the data and none with a higher one; the stream for this replica starts there.
  const std::string replid = log.replid();
  ks.lock_all();
  const uint64_t ticket = replication::StreamLog::next_ticket();
  // Placed now, before anything can append past the snapshot point (a PING, a PUBLISH or
  // a peer's message takes tickets without shard locks); on_placed runs later on this
  // thread, once this function has returned.
  std::weak_ptr<ReplicaLink> weak = weak_from_this();
  Worker* w = &worker_;
  log.attach_at_ticket(shared_from_this(), ticket, [weak, w](uint64_t offset) {
    asio::post(w->io, [weak, offset]() {
      if (auto self = weak.lock()) self->on_placed(offset);
    });
  });
  if (storage::FlashTier* flash = ks.flash()) flash->prepare_fork();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string err;
    // The offset is not known yet here (writes before the snapshot point may still be on
    // their way to the log); the replica takes it from +FULLRESYNC.
    bool ok = write_snapshot(ks, fds[1], replid, 0, &err);
    ::_exit(ok ? 0 : 1);
  }
  ks.unlock_all();
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    logf(LogLevel::kWarning, "Can't fork for the replica's full sync");
    return close();
  }
  child_ = pid;
  logf(LogLevel::kNotice, "Starting BGSAVE for SYNC with target: replicas sockets");
  pipe_ = std::make_unique<asio::posix::stream_descriptor>(worker_.io, fds[0]);
  read_acks();
}

void ReplicaLink::on_placed(uint64_t offset) {
  if (closed_) return;
  std::string head = "+FULLRESYNC " + stream_log().replid() + " " + std::to_string(offset) + "\r\n";
  if (hello_.capa_eof) {
    eof_mark_ = replication::random_replid();
    head += "$EOF:" + eof_mark_ + "\r\n";
  }
  state_ = 1;
  write_raw(std::move(head));
  if (!hello_.capa_eof) forward_snapshot();  // gathers it all before sending
}

void ReplicaLink::forward_snapshot() {
  // One read at a time: a wake-up from the stream may ask again while one is pending.
  if (closed_ || !pipe_ || pipe_reading_) return;
  pipe_reading_ = true;
  pipe_buf_.resize(64 * 1024);
  auto self = shared_from_this();
  pipe_->async_read_some(asio::buffer(pipe_buf_), [self](const asio::error_code& ec, size_t n) {
    self->pipe_reading_ = false;
    if (self->closed_) return;
    if (ec) return self->snapshot_finished();
    if (self->hello_.capa_eof) {
      self->write_raw(self->pipe_buf_.substr(0, n));  // the next read follows the write
    } else {
      self->disk_payload_.append(self->pipe_buf_, 0, n);
      self->forward_snapshot();
    }
  });
}

void ReplicaLink::snapshot_finished() {
  pipe_.reset();
  int status = 0;
  pid_t pid = child_;
  child_ = -1;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    logf(LogLevel::kWarning, "Snapshot for the replica's full sync failed");
    return close();
  }
  logf(LogLevel::kNotice, "Synchronization with replica %s succeeded", addr_.c_str());
  state_ = 2;
  if (hello_.capa_eof) {
    await_ack_ = true;
    write_raw(eof_mark_);
  } else {
    std::string payload = "$" + std::to_string(disk_payload_.size()) + "\r\n";
    payload += disk_payload_;
    std::string().swap(disk_payload_);
    write_raw(std::move(payload));
  }
}

void ReplicaLink::start_continue(uint64_t offset, bool send_replid, std::string pending_out,
                                 std::string pending_in) {
  out_ = std::move(pending_out);
  in_ = std::move(pending_in);
  out_ +=
      send_replid ? "+CONTINUE " + stream_log().replid() + "\r\n" : std::string("+CONTINUE\r\n");
  ack_offset_ = offset;
  state_ = 2;
  Replication::instance().add_replica(shared_from_this());
  stream_log().attach(shared_from_this(), offset);
  logf(LogLevel::kNotice, "Partial resynchronization request from %s accepted.", addr_.c_str());
  after_write();
  read_acks();
}

void ReplicaLink::wake() {
  auto self = shared_from_this();
  asio::post(worker_.io, [self]() { self->pump(); });
}

void ReplicaLink::cut_off() {
  auto self = shared_from_this();
  asio::post(worker_.io, [self]() { self->close(); });
}

void ReplicaLink::write_raw(std::string bytes) {
  out_ += bytes;
  if (!writing_) after_write();
}

// Starts the next write: queued bytes first, then the snapshot or the stream.
void ReplicaLink::after_write() {
  if (closed_ || writing_) return;
  if (out_.empty()) {
    if (state_ == 1) {
      if (hello_.capa_eof) forward_snapshot();
      return;
    }
    if (state_ != 2 || await_ack_) return;
    if (!stream_log().read(this, kStreamChunk, out_)) return close();
    if (out_.empty()) return;
  }
  writing_ = true;
  writing_buf_.swap(out_);
  out_.clear();
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(writing_buf_),
                    [self](const asio::error_code& ec, size_t n) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) return self->close();
                      self->worker_.stats.net_output_bytes.fetch_add(n, std::memory_order_relaxed);
                      Replication::instance().stats.net_repl_output_bytes.fetch_add(
                          n, std::memory_order_relaxed);
                      self->writing_buf_.clear();
                      self->after_write();
                    });
}

void ReplicaLink::pump() {
  after_write();
}

void ReplicaLink::read_acks() {
  if (closed_) return;
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(read_buf_), [self](const asio::error_code& ec, size_t n) {
    if (self->closed_) return;
    if (ec || n == 0) {
      logf(LogLevel::kNotice, "Connection with replica %s lost.", self->addr_.c_str());
      return self->close();
    }
    self->worker_.stats.net_input_bytes.fetch_add(n, std::memory_order_relaxed);
    self->in_.append(self->read_buf_, n);
    protocol::ParserLimits limits;
    size_t used = 0;
    while (used < self->in_.size()) {
      auto st = self->parser_.parse(self->in_.data() + used, self->in_.size() - used, limits);
      if (st == protocol::ParseStatus::kNeedMore) break;
      if (st == protocol::ParseStatus::kError) return self->close();
      if (st == protocol::ParseStatus::kCommand) {
        const auto& a = self->parser_.args();
        if (a.size() == 3 && iequals(a[0], "rfetch")) {
          int64_t db;
          if (protocol::parse_int64(a[1], db)) {
            active::serve_fetch(self->server_, static_cast<int>(db), a[2]);
          }
        } else if (a.size() >= 3 && iequals(a[0], "replconf") && iequals(a[1], "ack")) {
          uint64_t off;
          if (protocol::parse_uint64(a[2], off)) {
            if (off > self->ack_offset_.load()) self->ack_offset_ = off;
            self->last_ack_ms_ = storage::now_ms();
            Replication::instance().on_ack();
            if (self->await_ack_) {
              self->await_ack_ = false;
              self->after_write();
            }
          }
        }
      }
      used += self->parser_.consumed();
    }
    self->in_.erase(0, used);
    self->read_acks();
  });
}

void ReplicaLink::close() {
  if (closed_) return;
  closed_ = true;
  stream_log().detach(this);
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  if (pipe_) pipe_->close(ec);
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    ::waitpid(child_, nullptr, 0);
    child_ = -1;
  }
  Replication::instance().remove_replica(this);
}

}  // namespace terndb::server
