// Running commands: lookup, arity and auth checks with Redis's error texts, MULTI queueing,
// the call itself, and per-command statistics.
#include "server/dispatch.h"

#include <cctype>

#include "server/active_replica.h"
#include "server/blocking.h"
#include "server/command_name_cache.h"
#include "server/connection.h"
#include "server/deferred_post.h"
#include "server/eviction.h"
#include "server/monitor.h"
#include "server/propagate.h"
#include "server/replication.h"
#include "server/script_batch.h"
#include "server/scripting/script_busy.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/shard_lock_carry.h"

namespace terndb::server {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string unknown_command_error(const std::vector<std::string_view>& argv) {
  // Arguments are quoted one by one until the list reaches 128 bytes, as Redis does.
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    args += "'" + std::string(argv[i].substr(0, 128 - args.size())) + "' ";
  }
  return "ERR unknown command '" + std::string(argv[0].substr(0, 128)) +
         "', with args beginning with: " + args;
}

bool arity_ok(const CommandSpec& spec, size_t argc) {
  int a = spec.arity;
  return (a > 0 && static_cast<size_t>(a) == argc) || (a < 0 && argc >= static_cast<size_t>(-a));
}

// Over maxmemory with nothing left to evict, Redis refuses the commands that may grow
// memory, and inside MULTI every command it would queue (the queue itself grows), except
// the ones that end the transaction or the connection.
bool refused_when_out_of_memory(const CommandSpec& spec, uint32_t tx_flags, bool in_multi) {
  const std::string& n = spec.parent ? spec.parent->name : spec.name;
  if (spec.flags & kCmdDenyOom) return true;
  if (n == "exec") return tx_flags & kCmdDenyOom;
  if (in_multi) return n != "discard" && n != "quit" && n != "reset";
  return false;
}

// Commands that run at once even between MULTI and EXEC.
bool runs_inside_multi(const CommandSpec& spec) {
  const std::string& n = spec.parent ? spec.parent->name : spec.name;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset" || n == "unwatch";
}

}  // namespace

CommandSpec* resolve_command(Server& server, Worker& worker, ClientState& client,
                             const std::vector<std::string_view>& argv,
                             protocol::ReplyBuilder& reply) {
  auto reject = [&](const std::string& err, CommandSpec* spec) -> CommandSpec* {
    reply.error(err);
    client.last_command.store(spec, std::memory_order_relaxed);
    worker.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    if (spec) worker.command_stats[spec->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  };
  thread_local CommandNameCache names;
  CommandSpec* spec = names.find(server.commands(), argv[0]);
  if (!spec) return reject(unknown_command_error(argv), nullptr);
  // A container named alone runs its own handler (COMMAND) or fails its arity (CLIENT).
  if (!spec->subcommands.empty() && argv.size() >= 2) {
    auto it = spec->subcommands.find(lowercase(argv[1]));
    if (it == spec->subcommands.end()) {
      std::string upper;
      for (char c : spec->name) upper.push_back(static_cast<char>(toupper(c)));
      // Redis records no statistic and no last command for an unknown subcommand.
      return reject("ERR unknown subcommand '" + std::string(argv[1].substr(0, 128)) + "'. Try " +
                        upper + " HELP.",
                    nullptr);
    }
    spec = it->second.get();
  }
  if (!arity_ok(*spec, argv.size()) || !spec->handler) {
    return reject("ERR wrong number of arguments for '" + spec->name + "' command", spec);
  }
  if (!client.authenticated.load(std::memory_order_relaxed) && !(spec->flags & kCmdNoAuth)) {
    return reject("NOAUTH Authentication required.", spec);
  }
  return spec;
}

namespace {

// SLOWLOG and LATENCY see commands as Redis's call() does: each command of an EXEC and of a
// script on its own (EXEC itself is skip_slowlog). A command that blocks is left out; Redis
// logs it once served, which terndb's wake-up path does not report here yet.
void note_duration(const CommandContext& ctx, int64_t duration_us) {
  if (ctx.spec->flags & kCmdSkipSlowlog) return;
  if (ctx.client.blocked.load(std::memory_order_relaxed)) return;
  SlowLog& slowlog = ctx.server.slowlog;
  if (slowlog.wants(duration_us)) {
    // Commands a script runs have no client connection of their own; Redis shows "?:0".
    if (ctx.connection) {
      slowlog.record(duration_us, ctx.argv, ctx.client.addr, ctx.client.name());
    } else {
      slowlog.record(duration_us, ctx.argv, "?:0", "");
    }
  }
  ctx.server.latency.add_if_needed((ctx.spec->flags & kCmdFast) ? "fast-command" : "command",
                                   duration_us / 1000);
}

}  // namespace

void invoke_command(CommandContext& ctx, Worker& worker) {
  // The top-level path passes the clock reading it took on arrival, so timing a command
  // (for INFO commandstats, SLOWLOG and LATENCY alike) costs one more reading, at the end.
  const int64_t start_us = ctx.start_us ? ctx.start_us : storage::now_us();
  std::string* sink = ctx.reply.output();
  const size_t reply_start = sink->size();
  ctx.keyspace_hits = &worker.stats.keyspace_hits;
  ctx.keyspace_misses = &worker.stats.keyspace_misses;
  ctx.worker = &worker;
  ctx.client.last_command.store(ctx.spec, std::memory_order_relaxed);
  CommandPostScope posts;  // posts to workers wait until the outermost command returns
  CommandPropagation propagation(ctx);
  storage::ReadOnlyLookups lookups((ctx.spec->flags & (kCmdReadonly | kCmdWrite)) == kCmdReadonly);
  ctx.spec->handler(ctx);
  propagation.done(std::string_view(*sink).substr(reply_start));
  const bool failed = sink->size() > reply_start && (*sink)[reply_start] == '-';
  const int64_t duration_us = std::max<int64_t>(0, storage::now_us() - start_us);
  CommandStats& cs = worker.command_stats[ctx.spec->id];
  cs.calls.fetch_add(1, std::memory_order_relaxed);
  cs.usec.fetch_add(static_cast<uint64_t>(duration_us), std::memory_order_relaxed);
  if (failed) {
    cs.failed_calls.fetch_add(1, std::memory_order_relaxed);
    worker.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
  }
  worker.stats.commands.fetch_add(1, std::memory_order_relaxed);
  note_duration(ctx, duration_us);
  feed_monitors(ctx);
}

void Connection::execute(const std::vector<std::string_view>& argv) {
  // Shard locks a previous script left held serve only a script that follows at once.
  script_batch::release_unless_script(server_, *state_, argv);
  const int64_t start_us = storage::now_us();
  state_->last_interaction_ms.store(start_us / 1000, std::memory_order_relaxed);

  // CLIENT REPLY OFF / SKIP: the command runs but its reply is dropped. Whether to drop is
  // decided by the mode the command leaves behind, so CLIENT REPLY ON's own +OK is sent.
  const bool had_skip = state_->skip_next_reply;
  if (state_->skip_next_reply) {
    state_->skip_next_reply = false;
    if (state_->reply_mode == ReplyMode::kOn) state_->reply_mode = ReplyMode::kSkip;
  }
  reply_.set_output(&out_);
  const size_t reply_start = out_.size();
  reply_.set_resp(state_->resp.load(std::memory_order_relaxed));

  executing_ = true;
  CommandSpec* spec = resolve_command(server_, worker_, *state_, argv, reply_);
  // A shard lock the previous command kept serves only a command that may keep it, when
  // nothing this command goes through before it runs (eviction, a client pause, a master
  // link's stream) takes shard locks itself.
  const bool may_keep_lock = spec && (spec->flags & kCmdKeepsShardLock) &&
                             script_batch::in_scope() &&
                             script_batch::locks_may_carry_over(server_, *state_);
  if (!may_keep_lock) storage::lock_carry::release();
  // While a script runs, commands wait for it or are refused with -BUSY.
  if (spec && scripting::ScriptBusy::instance().refuse(server_, worker_, *state_, *spec, reply_)) {
    spec = nullptr;
  }
  TransactionState& tx = state_->tx;
  thread_local std::string refusal;
  if (spec && replication_refuses(server_, *spec, refusal)) {
    reply_.error(refusal);
    worker_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    worker_.command_stats[spec->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    spec = nullptr;
  }
  if (!spec) {
    if (tx.active) tx.failed = true;  // EXEC will answer EXECABORT
  } else if (!admit(*spec, argv)) {
    if (postponed_) {
      // Held by CLIENT PAUSE: it runs again later, with the same reply mode.
      executing_ = false;
      if (had_skip) {
        state_->skip_next_reply = true;
        if (state_->reply_mode == ReplyMode::kSkip) state_->reply_mode = ReplyMode::kOn;
      }
      return;
    }
  } else if (!memory_admits(*spec)) {
    if (tx.active) tx.failed = true;  // EXEC will answer EXECABORT
  } else if (tx.active && !runs_inside_multi(*spec)) {
    tx.queued.emplace_back(argv.begin(), argv.end());
    state_->multi_count.store(static_cast<int>(tx.queued.size()), std::memory_order_relaxed);
    reply_.simple("QUEUED");
  } else {
    CommandContext ctx{server_, *state_, argv, reply_, spec, start_us / 1000};
    ctx.start_us = start_us;
    ctx.connection = this;
    storage::lock_carry::Allowed allowed(may_keep_lock);
    invoke_command(ctx, worker_);
  }
  executing_ = false;
  if (state_->reply_mode != ReplyMode::kOn) out_.resize(reply_start);
  if (!state_->kept_pushes.empty()) {
    out_ += state_->kept_pushes;
    state_->kept_pushes.clear();
  }
  if (state_->reply_mode == ReplyMode::kSkip) state_->reply_mode = ReplyMode::kOn;
  if (state_->close_after_reply) close_when_flushed_ = true;
}

bool Connection::memory_admits(const CommandSpec& spec) {
  bool& oom = oom_before_command();
  oom = false;
  Evictor& evictor = server_.evictor();
  if (evictor.maxmemory() <= 0) return true;
  // A replica leaves eviction to its master (whose DELs arrive in the stream) unless told
  // otherwise, as Redis's replica-ignore-maxmemory.
  if (Replication::instance().is_replica() && !active::enabled() &&
      server_.config().flag("replica-ignore-maxmemory")) {
    return true;
  }
  oom = evictor.perform_evictions(false) == Evictor::Result::kFail;
  if (!oom) return true;
  const uint32_t tx_flags = state_->tx.active ? transaction_flags(server_, state_->tx) : 0;
  if (!refused_when_out_of_memory(spec, tx_flags, state_->tx.active)) return true;
  reply_.error(kOomError);
  state_->last_command.store(&spec, std::memory_order_relaxed);
  worker_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
  worker_.command_stats[spec.id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void CommandContext::block(BlockRequest&& request) {
  std::vector<std::string> args(argv.begin(), argv.end());
  std::vector<std::string> keys = request.keys;
  auto waiter =
      std::make_shared<BlockedClient>(server, *worker, connection->weak_from_this(), db(),
                                      client.resp.load(), std::move(args), std::move(request));
  // The caller holds the keys' shard locks, so the queues can be edited directly.
  for (auto& key : keys) {
    storage::Shard& s = keyspace().shard(keyspace().shard_of(storage::hash_key(key)));
    s.waiters.add(db(), key, waiter);
  }
  connection->enter_blocked(waiter);
}

}  // namespace terndb::server
