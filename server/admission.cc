// The checks a client's command passes before it runs (after lookup, arity and AUTH), in
// Redis 7.0's order: a RESP2 client with subscriptions may only run the pub/sub commands,
// PING, QUIT and RESET; a MONITOR client may not touch the keyspace; and CLIENT PAUSE
// holds the commands it covers. They apply to commands a client sends, not to the ones
// EXEC runs.
#include <cctype>

#include "server/client_pause.h"
#include "server/connection.h"
#include "server/persistence.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

bool allowed_while_subscribed(const CommandSpec& spec) {
  static const char* const kAllowed[] = {"subscribe",    "unsubscribe", "psubscribe",
                                         "punsubscribe", "ssubscribe",  "sunsubscribe",
                                         "ping",         "quit",        "reset"};
  for (const char* name : kAllowed)
    if (spec.name == name) return true;
  return false;
}

// The flags of EXEC together with those of the commands it would run.
uint32_t transaction_flags(Server& server, const TransactionState& tx) {
  uint32_t flags = 0;
  for (const auto& argv : tx.queued) {
    std::string name = argv[0];
    for (auto& ch : name) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    const CommandSpec* spec = server.commands().find(name);
    if (!spec) continue;
    if (!spec->subcommands.empty() && argv.size() > 1) {
      std::string sub = argv[1];
      for (auto& ch : sub) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      auto it = spec->subcommands.find(sub);
      if (it != spec->subcommands.end()) spec = it->second.get();
    }
    flags |= spec->flags;
  }
  return flags;
}

}  // namespace

bool Connection::admit(const CommandSpec& spec, const std::vector<std::string_view>& argv) {
  auto reject = [&](const std::string& msg) {
    reply_.error(msg);
    state_->last_command.store(&spec, std::memory_order_relaxed);
    worker_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    worker_.command_stats[spec.id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    if (state_->tx.active) state_->tx.failed = true;  // EXEC will answer EXECABORT
    return false;
  };
  if (state_->resp.load(std::memory_order_relaxed) == 2 && state_->subscribed() &&
      !allowed_while_subscribed(spec)) {
    return reject("ERR Can't execute '" + spec.full_name() +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
                  "in this context");
  }
  if (persistence_of(server_).writes_refused()) {
    // As Redis: writes (and PING) are refused while the last background save failed.
    uint32_t f = spec.flags;
    if (spec.name == "exec") f |= transaction_flags(server_, state_->tx);
    if ((f & kCmdWrite) || spec.name == "ping") return reject(Persistence::misconf_error());
  }
  if (!(spec.flags & kCmdLoading) && persistence_of(server_).loading()) {
    return reject(Persistence::loading_error());
  }
  ClientPause& pause = server_.client_pause();
  const bool monitor = state_->monitor.load(std::memory_order_relaxed);
  if (!monitor && !pause.active()) return true;
  uint32_t flags = spec.flags;
  if (spec.name == "exec") flags |= transaction_flags(server_, state_->tx);
  if (monitor) {
    if (flags & (kCmdWrite | kCmdReadonly | kCmdMayReplicate)) {
      return reject("ERR Replica can't interact with the keyspace");
    }
    return true;  // MONITOR clients are never paused
  }
  if (pause.holds(flags)) {
    postpone(argv);
    return false;
  }
  return true;
}

void Connection::postpone(const std::vector<std::string_view>& argv) {
  postponed_ = true;
  postponed_argv_.assign(argv.begin(), argv.end());
  arm_pause_timer();
}

void Connection::arm_pause_timer() {
  if (!pause_timer_) pause_timer_ = std::make_unique<asio::steady_timer>(worker_.io);
  const int64_t wait_ms =
      std::max<int64_t>(1, server_.client_pause().end_ms() - storage::now_ms() + 1);
  pause_timer_->expires_after(std::chrono::milliseconds(wait_ms));
  std::weak_ptr<Connection> weak = weak_from_this();
  pause_timer_->async_wait([weak](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->resume_postponed();
  });
}

void Connection::resume_postponed() {
  if (closed_ || !postponed_) return;
  postponed_ = false;
  std::vector<std::string> argv = std::move(postponed_argv_);
  postponed_argv_.clear();
  std::vector<std::string_view> views(argv.begin(), argv.end());
  // The command goes through every check again: the pause may have been extended.
  execute(views);
  if (postponed_) return;
  resume();
}

}  // namespace terndb::server
