#include "server/replica_link.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "protocol/numbers.h"
#include "server/active_replica.h"
#include "server/full_sync_job.h"
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
  stream_log().detach(this);
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
  stream_log().activate();
  // As Redis decides: a replica that cannot take the EOF-marked form gets the file.
  const bool disk = !server_.config().flag("repl-diskless-sync") || !hello_.capa_eof;
  job_ = FullSyncJob::request(server_, worker_, shared_from_this(), disk);
  read_acks();
}

bool ReplicaLink::attach_at(uint64_t ticket) {
  std::weak_ptr<ReplicaLink> weak = weak_from_this();
  Worker* w = &worker_;
  // on_placed runs later on this link's thread, once the job has forked.
  bool ok = stream_log().attach_at_ticket(shared_from_this(), ticket, [weak, w](uint64_t offset) {
    asio::post(w->io, [weak, offset]() {
      if (auto self = weak.lock()) self->on_placed(offset);
    });
  });
  // Closed meanwhile on its own thread: close() may have detached before this attach.
  if (ok && closed_.load()) stream_log().detach(this);
  return ok;
}

void ReplicaLink::snapshot_started(int pipe_fd) {
  auto self = shared_from_this();
  asio::post(worker_.io, [self, pipe_fd]() {
    if (self->closed_) {
      ::close(pipe_fd);
      return;
    }
    self->pipe_ = std::make_unique<asio::posix::stream_descriptor>(self->worker_.io, pipe_fd);
    self->after_write();
  });
}

void ReplicaLink::snapshot_ready(bool ok) {
  auto self = shared_from_this();
  asio::post(worker_.io, [self, ok]() {
    if (self->closed_) return;
    if (!ok) {
      logf(LogLevel::kWarning, "Snapshot for the replica's full sync failed");
      return self->close();
    }
    self->file_ready_ = true;
    self->after_write();
  });
}

void ReplicaLink::keepalive() {
  auto self = shared_from_this();
  asio::post(worker_.io, [self]() {
    if (self->closed_) return;
    const bool waiting_file = self->state_ == 1 && self->job_ && self->job_->disk() &&
                              !self->file_head_sent_ && self->out_.empty();
    if (self->state_ == 0 || waiting_file) self->write_raw("\n");
  });
}

void ReplicaLink::on_placed(uint64_t offset) {
  if (closed_) return;
  std::string head;
  if (hello_.psync) {
    head = "+FULLRESYNC " + stream_log().replid() + " " + std::to_string(offset) + "\r\n";
  }
  if (!job_->disk()) {
    eof_mark_ = replication::random_replid();
    head += "$EOF:" + eof_mark_ + "\r\n";
  }
  state_ = 1;
  write_raw(std::move(head));
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
    self->write_raw(self->pipe_buf_.substr(0, n));  // the next read follows the write
  });
}

void ReplicaLink::snapshot_finished() {
  pipe_.reset();
  if (!job_->child_succeeded()) {
    logf(LogLevel::kWarning, "Snapshot for the replica's full sync failed");
    return close();
  }
  job_.reset();
  logf(LogLevel::kNotice, "Synchronization with replica %s succeeded", addr_.c_str());
  state_ = 2;
  await_ack_ = true;
  write_raw(eof_mark_);
}

// Disk: `$<length>`, then the file in chunks, each read once the previous one is written,
// so the snapshot never sits in memory.
void ReplicaLink::send_file_chunk() {
  if (!file_head_sent_) {
    file_head_sent_ = true;
    out_ = "$" + std::to_string(job_->file_size()) + "\r\n";
  }
  const uint64_t left = job_->file_size() - file_pos_;
  if (left == 0) {
    job_.reset();
    logf(LogLevel::kNotice, "Synchronization with replica %s succeeded", addr_.c_str());
    state_ = 2;  // the stream follows at once: the replica knows the payload's length
    return;
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(left, kStreamChunk));
  const size_t head = out_.size();
  out_.resize(head + want);
  ssize_t n;
  while ((n = ::pread(job_->file_fd(), out_.data() + head, want, static_cast<off_t>(file_pos_))) <
             0 &&
         errno == EINTR) {
  }
  if (n <= 0) {
    logf(LogLevel::kWarning, "Reading the snapshot for replica %s failed", addr_.c_str());
    return close();
  }
  out_.resize(head + static_cast<size_t>(n));
  file_pos_ += static_cast<uint64_t>(n);
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
      if (!job_->disk()) return forward_snapshot();
      if (!file_ready_) return;
      send_file_chunk();
      if (closed_) return;
    }
    if (out_.empty() && (state_ != 2 || await_ack_)) return;
    if (out_.empty()) {
      if (!stream_log().read(this, kStreamChunk, out_)) return close();
      if (out_.empty()) return;
    }
  }
  writing_ = true;
  writing_buf_.swap(out_);
  out_.clear();
  auto self = shared_from_this();
  asio::async_write(
      socket_, asio::buffer(writing_buf_), [self](const asio::error_code& ec, size_t n) {
        self->writing_ = false;
        if (self->closed_) return;
        if (ec) return self->close();
        self->worker_.stats.net_output_bytes.fetch_add(n, std::memory_order_relaxed);
        Replication::instance().stats.net_repl_output_bytes.fetch_add(n, std::memory_order_relaxed);
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
  job_.reset();  // the last replica of a diskless snapshot gone: its child is killed
  Replication::instance().remove_replica(this);
}

}  // namespace terndb::server
