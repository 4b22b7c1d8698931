#include "server/propagate.h"

#include <memory>

#include "server/active_replica.h"
#include "server/command.h"
#include "server/replication.h"

namespace terndb::server {
namespace {

thread_local PropagationBatch* t_batch = nullptr;

}  // namespace

replication::StreamLog& stream_log() {
  static replication::StreamLog log;
  return log;
}

PropagationBatch* PropagationBatch::current() {
  return t_batch;
}

PropagationBatch::PropagationBatch(bool raw) : raw_(raw) {
  if (!storage::write_sequence().enabled.load(std::memory_order_relaxed)) return;
  active_ = true;
  saved_slot_ = storage::current_write_slot();
  saved_batch_ = t_batch;
  storage::current_write_slot() = &slot_;
  t_batch = this;
}

PropagationBatch::~PropagationBatch() {
  finish();
}

void PropagationBatch::finish() {
  if (!active_) return;
  active_ = false;
  storage::current_write_slot() = saved_slot_;
  t_batch = saved_batch_;
  if (raw_) {
    batch_.items.clear();
    // Bytes from our master are appended even when they changed nothing (PING, a DEL
    // of a missing key): our offset must stay equal to the master's.
    if (batch_.raw.empty() && slot_.ticket == 0) return;
    storage::take_write_ticket(slot_);
  } else if (active::enabled()) {
    // Large keys no command settled (a change outside command execution): their states.
    if (!pending_.empty()) active::send_pending_states(*this, 0, false);
    // Key states arrived through add_raw; items are our own messages that are not key
    // states (PUBLISH, FLUSHDB...), sent as RREPLAY from us.
    if (slot_.ticket == 0 && batch_.raw.empty() && batch_.items.empty()) return;
    storage::take_write_ticket(slot_);
    if (!batch_.items.empty()) batch_.wrap_origin = active::node_uuid();
  } else {
    if (slot_.ticket == 0) return;
    // A writable replica's own writes stay local, as in Redis: our stream is our master's.
    if (Replication::instance().is_replica()) {
      stream_log().submit(slot_.ticket, replication::StreamBatch{});
      return;
    }
    if (!before_.empty()) batch_.items.insert(batch_.items.begin(), before_.begin(), before_.end());
    batch_.transaction = transaction_ || batch_.items.size() > 1;
  }
  stream_log().submit(slot_.ticket, std::move(batch_));
}

CommandPropagation::CommandPropagation(CommandContext& ctx) : ctx_(ctx) {
  batch_ = t_batch;
  if (!batch_) {
    if (!storage::write_sequence().enabled.load(std::memory_order_relaxed)) return;
    own_ = std::make_unique<PropagationBatch>();
    if (!own_->active()) return;
    batch_ = own_.get();
  }
  writes_before_ = batch_->slot_.writes;
  pending_before_ = batch_->pending_.size();
}

void CommandPropagation::done(std::string_view reply) {
  if (!batch_) return;
  PropagationBatch& b = *batch_;
  const std::string& name = ctx_.spec->name;
  if (active::enabled()) {
    // Keys reach peers as states (server/active_replica.cc); what has no key goes as the
    // command itself. A peer's message is sent on by whoever applies it.
    const CommandSpec* top = ctx_.spec->parent ? ctx_.spec->parent : ctx_.spec;
    bool keyless = top->first_key == 0 && !top->key_finder;
    bool publish = name == "publish" || name == "spublish";
    if (b.pending_.size() > pending_before_) {
      active::settle_command_changes(b, pending_before_, ctx_, reply);
    }
    if (!b.raw_ && !active::applying_peer() && keyless &&
        (publish || b.slot_.writes != writes_before_)) {
      b.take_ticket();
      b.add(ctx_.db(), replication::Argv(ctx_.argv.begin(), ctx_.argv.end()));
    }
    if (own_) own_->finish();
    return;
  }
  if (replication::propagates_effects_only(name)) {
    b.transaction_ = true;
  } else if (!b.raw_ && b.slot_.writes != writes_before_) {
    std::string_view lower = name;
    std::string parent;
    if (ctx_.spec->parent) {
      parent = ctx_.spec->parent->name;
      lower = parent;
    }
    for (auto& argv : replication::rewrite_for_stream(lower, ctx_.argv, reply, ctx_.now)) {
      b.add(ctx_.db(), std::move(argv));
    }
  }
  if (own_) own_->finish();
}

void propagate_expired(int db, std::string_view key) {
  // Active replicas expire keys themselves, and evictions go out as key states.
  if (active::enabled()) return;
  storage::WriteSequence& seq = storage::write_sequence();
  if (!seq.enabled.load(std::memory_order_relaxed)) return;
  PropagationBatch* b = t_batch;
  if (b && b->raw_) return;  // our master sends its own DELs
  if (b) {
    storage::take_write_ticket(b->slot_);
    b->before_.push_back(replication::StreamItem{db, {"DEL", std::string(key)}});
    return;
  }
  replication::StreamBatch batch;
  batch.items.push_back(replication::StreamItem{db, {"DEL", std::string(key)}});
  stream_log().submit(seq.next.fetch_add(1), std::move(batch));
}

}  // namespace terndb::server
