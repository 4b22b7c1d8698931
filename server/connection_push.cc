// The output side of pub/sub and MONITOR on a connection: frames published by any thread
// arrive here through the worker's inbox (pubsub.h), are appended to the output, written
// in batches, and held to client-output-buffer-limit.
#include "server/client_info.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/output_limits.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

// Frames at least this big are queued by reference instead of copied into the output;
// smaller ones are cheaper to copy than to count references to.
constexpr size_t kShareFrameFrom = 4096;
// Chunks per gathered write (two buffers each at most: asio gathers up to 64).
constexpr size_t kMaxGatherChunks = 32;

}  // namespace

size_t Connection::OutChunk::size() const {
  return shared ? shared->bytes.size() : owned.size();
}

bool Connection::reads_while_writing() const {
  return push_target_ && (state_->subscribed() || state_->monitor.load(std::memory_order_relaxed));
}

const std::shared_ptr<PushTarget>& Connection::push_target() {
  if (!push_target_) push_target_ = std::make_shared<PushTarget>(worker_, this, state_);
  return push_target_;
}

bool Connection::push(const PushItem* items, size_t count) {
  if (closed_ || closing_for_limits_ || close_when_flushed_) return false;
  const bool resp3 = state_->resp.load(std::memory_order_relaxed) == 3;
  // Room for the frames that are copied, at once.
  size_t copied = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t n = items[i].frame->bytes.size();
    if (n < kShareFrameFrom || executing_) copied += n;
  }
  if (out_.capacity() - out_.size() < copied)
    out_.reserve(std::max(out_.size() + copied, 2 * out_.capacity()));
  for (size_t i = 0; i < count; ++i) {
    const std::shared_ptr<const PushFrame>& frame = items[i].frame;
    const std::string& bytes = frame->bytes;
    const bool as_push = resp3 && frame->is_push;
    // While one of our commands runs, its reply is being built in out_: frames join it
    // there (they arrive between the command's own reply frames).
    if (bytes.size() >= kShareFrameFrom && !executing_) {
      if (!out_.empty()) {
        OutChunk pending;
        pending.owned.swap(out_);
        chunk_bytes_ += pending.owned.size();
        chunks_.push_back(std::move(pending));
      }
      OutChunk ch;
      ch.shared = frame;
      ch.as_resp3_push = as_push;
      chunk_bytes_ += bytes.size();
      chunks_.push_back(std::move(ch));
    } else {
      const size_t at = out_.size();
      out_.append(bytes);
      if (as_push) out_[at] = '>';
    }
  }
  enforce_output_limits();
  if (closing_for_limits_ || executing_ || push_flush_pending_) return false;
  push_flush_pending_ = true;
  return true;
}

void Connection::flush_pushed() {
  push_flush_pending_ = false;
  if (closed_) return;
  state_->output_bytes.store(out_.size() + chunk_bytes_, std::memory_order_relaxed);
  flush();
}

void Connection::flush_chunks() {
  if (!out_.empty()) {
    OutChunk tail;
    tail.owned.swap(out_);
    chunk_bytes_ += tail.owned.size();
    chunks_.push_back(std::move(tail));
  }
  static const char kPushPrefix = '>';
  gather_.clear();
  size_t bytes = 0;
  chunks_in_flight_ = 0;
  for (const OutChunk& ch : chunks_) {
    if (chunks_in_flight_ == kMaxGatherChunks) break;
    if (!ch.shared) {
      gather_.emplace_back(ch.owned.data(), ch.owned.size());
    } else if (ch.as_resp3_push) {
      gather_.emplace_back(&kPushPrefix, 1);
      gather_.emplace_back(ch.shared->bytes.data() + 1, ch.shared->bytes.size() - 1);
    } else {
      gather_.emplace_back(ch.shared->bytes.data(), ch.shared->bytes.size());
    }
    bytes += ch.size();
    ++chunks_in_flight_;
  }
  write_in_flight_ = true;
  state_->output_pending.store(bytes, std::memory_order_relaxed);
  state_->output_bytes.store(chunk_bytes_ - bytes, std::memory_order_relaxed);
  auto self = shared_from_this();
  asio::async_write(socket_, gather_,
                    [self](const asio::error_code& ec, size_t n) { self->on_written(ec, n); });
}

// Redis's rule: past the hard limit, or past the soft limit for longer than its seconds,
// the client is closed (asynchronously: it may be in the middle of a delivery batch).
void Connection::enforce_output_limits() {
  if (closing_for_limits_) return;
  const size_t used = output_size();
  note_output_size(used);
  const OutputLimit& limit =
      output_limits().of(state_->subscribed() ? OutputClass::kPubsub : OutputClass::kNormal);
  const int64_t hard = limit.hard_bytes.load(std::memory_order_relaxed);
  const int64_t soft = limit.soft_bytes.load(std::memory_order_relaxed);
  if (hard == 0 && soft == 0) return;
  const bool over_hard = hard > 0 && used >= static_cast<size_t>(hard);
  bool over_soft = soft > 0 && used >= static_cast<size_t>(soft);
  if (over_soft) {
    const int64_t now = storage::now_ms();
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now;
      over_soft = false;
    } else if ((now - soft_limit_since_ms_) / 1000 <=
               limit.soft_seconds.load(std::memory_order_relaxed)) {
      over_soft = false;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (!over_hard && !over_soft) return;
  closing_for_limits_ = true;
  logf(LogLevel::kWarning,
       "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
       client_info_line(*state_, storage::now_ms()).c_str());
  // Nothing more is written to it; what is queued goes away with the connection (a reply
  // being built stays until the command ends).
  if (!executing_) out_.clear();
  auto self = shared_from_this();
  asio::post(worker_.io, [self]() { self->close(); });
}

}  // namespace terndb::server
