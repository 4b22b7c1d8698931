// Feeding the replication stream from command execution.
//
// The outermost command on a thread opens a PropagationBatch: it installs the write slot
// that storage fills with the command's ticket (storage/write_order.h), collects what the
// command and any commands it runs (EXEC, scripts) propagate, and hands it all to the
// stream log when it closes. With the stream off (no replica, no backlog) nothing is
// installed and a command pays one relaxed load.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "replication/stream_log.h"
#include "storage/version.h"
#include "storage/write_order.h"

namespace terndb::server {

struct CommandContext;

class PropagationBatch {
 public:
  // `raw`: the commands come from our master and are appended verbatim (set_raw()); what
  // they propagate themselves is ignored.
  explicit PropagationBatch(bool raw = false);
  ~PropagationBatch();
  PropagationBatch(const PropagationBatch&) = delete;
  PropagationBatch& operator=(const PropagationBatch&) = delete;

  bool active() const { return active_; }
  void set_raw(std::string bytes) { batch_.raw = std::move(bytes); }
  void add(int db, replication::Argv argv) {
    batch_.items.push_back(replication::StreamItem{db, std::move(argv)});
  }
  // Active replication: bytes already in stream form (a key's state, a peer's message).
  void add_raw(std::string_view bytes) { batch_.raw.append(bytes.data(), bytes.size()); }
  void take_ticket() { storage::take_write_ticket(slot_); }
  // Active replication: a key changed by the running command whose state is large; the
  // command decides, once it returns, whether the key goes out as the command itself (a
  // change against `base`) or as its whole state (server/active_replica.cc).
  struct PendingKey {
    int db;
    std::string key;
    storage::Version base;
    storage::Version version;
  };
  void add_pending(PendingKey p) { pending_.push_back(std::move(p)); }
  std::vector<PendingKey>& pending() { return pending_; }
  // Hands the batch to the log (the destructor does it too).
  void finish();

  // The batch open on this thread, or null.
  static PropagationBatch* current();

 private:
  friend class CommandPropagation;
  friend void propagate_expired(int db, std::string_view key);
  bool active_ = false;
  bool raw_ = false;
  bool transaction_ = false;
  storage::WriteSlot slot_;
  storage::WriteSlot* saved_slot_ = nullptr;
  PropagationBatch* saved_batch_ = nullptr;
  std::vector<replication::StreamItem> before_;  // keys expired on the way (DELs)
  std::vector<PendingKey> pending_;
  replication::StreamBatch batch_;
};

// Wraps one command invocation (server/dispatch.cc).
class CommandPropagation {
 public:
  explicit CommandPropagation(CommandContext& ctx);
  // After the handler: records what the command propagates, reading its reply from
  // `reply` when its outcome needs it.
  void done(std::string_view reply);

 private:
  CommandContext& ctx_;
  PropagationBatch* batch_ = nullptr;
  uint64_t writes_before_ = 0;
  size_t pending_before_ = 0;
  std::unique_ptr<PropagationBatch> own_;
};

// A key deleted because it expired or was evicted, with its shard lock held: DEL in the
// stream, ahead of the command that noticed it, or on its own outside commands.
void propagate_expired(int db, std::string_view key);

// The stream log of this process.
replication::StreamLog& stream_log();

}  // namespace terndb::server
