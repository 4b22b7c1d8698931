#include "server/scripting/script_busy.h"

#include <chrono>
#include <cstring>

#include "server/client_state.h"
#include "server/command.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server::scripting {
namespace {

const char kBusyError[] =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

const std::string& base_name(const CommandSpec& spec) {
  return spec.parent ? spec.parent->name : spec.name;
}

// Allow-busy commands that would wait on the script's shard locks: WATCH registrations
// live in the shards. Redis runs them during a busy script; here they would stall their
// io thread until the script ends, so they are refused like the rest.
bool needs_shard_locks(const CommandSpec& spec, const ClientState& client) {
  const std::string& n = base_name(spec);
  if (n == "watch") return true;
  return (n == "unwatch" || n == "discard") && client.tx.watch_flag != nullptr;
}

}  // namespace

bool ScriptBusy::spin_until_idle() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (running_.load(std::memory_order_acquire) == 0) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

ScriptBusy& ScriptBusy::instance() {
  // Never destroyed: io threads may still consult it while the process exits.
  static ScriptBusy* busy = new ScriptBusy();
  return *busy;
}

void ScriptBusy::begin(int64_t now_ms) {
  std::lock_guard<std::mutex> g(mu_);
  wrote_.store(false, std::memory_order_relaxed);
  kill_.store(false, std::memory_order_relaxed);
  timed_out_.store(false, std::memory_order_relaxed);
  started_ms_.store(now_ms, std::memory_order_relaxed);
  running_.store(++next_id_, std::memory_order_release);
}

void ScriptBusy::end(bool wake) {
  {
    std::lock_guard<std::mutex> g(mu_);
    running_.store(0, std::memory_order_release);
    kill_.store(false, std::memory_order_relaxed);
  }
  if (wake) ended_.notify_all();
}

ScriptBusy::KillResult ScriptBusy::kill(bool force) {
  std::lock_guard<std::mutex> g(mu_);
  if (running_.load(std::memory_order_relaxed) == 0) return KillResult::kNotBusy;
  if (wrote_.load(std::memory_order_relaxed) && !force) return KillResult::kUnkillable;
  kill_.store(true, std::memory_order_relaxed);
  return KillResult::kKilled;
}

bool ScriptBusy::refuse(Server& server, Worker& worker, ClientState& client,
                        const CommandSpec& spec, protocol::ReplyBuilder& reply) {
  if (running_.load(std::memory_order_acquire) == 0) return false;  // the common case
  if (spin_until_idle()) return false;
  const int64_t limit = server.opt_lua_time_limit.num.load(std::memory_order_relaxed);
  {
    // Wait while a script runs and has not yet passed the limit (0: no limit, wait for
    // its end). A script that ends may be followed by another: wait for that one too.
    std::unique_lock<std::mutex> lk(mu_);
    while (running_.load(std::memory_order_relaxed) != 0) {
      if (limit > 0) {
        int64_t deadline = started_ms_.load(std::memory_order_relaxed) + limit;
        int64_t now = storage::now_ms();
        if (now >= deadline) break;
        ended_.wait_for(lk, std::chrono::milliseconds(deadline - now));
      } else {
        ended_.wait(lk);
      }
    }
    if (running_.load(std::memory_order_relaxed) == 0) return false;
  }
  const std::string& name = base_name(spec);
  if ((spec.flags & kCmdAllowBusy) && !needs_shard_locks(spec, client)) {
    // SHUTDOWN must not wait for a script that may never end.
    if (name == "shutdown") kill(/*force=*/true);
    return false;
  }
  if (name == "exec" && client.tx.active) {
    // Redis discards the transaction of a refused EXEC. WATCHes stay (dropping them takes
    // shard locks); the next EXEC clears them.
    client.tx.active = false;
    client.tx.failed = false;
    client.tx.queued.clear();
    client.multi_count.store(-1);
    reply.error(std::string("EXECABORT Transaction discarded because of: ") + kBusyError);
  } else {
    reply.error(kBusyError);
  }
  worker.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
  worker.command_stats[spec.id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace terndb::server::scripting
