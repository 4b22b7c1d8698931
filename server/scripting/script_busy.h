// What the rest of the server needs to know about a running script.
//
// A script holds every shard lock while it runs, so at most one runs at a time. While it
// runs, commands from other clients wait for it, as they would in Redis, where the whole
// server is busy: up to lua-time-limit (busy-reply-threshold) milliseconds after the
// script started. Past that limit they are answered
//   -BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.
// except commands flagged allow-busy (SCRIPT KILL, SHUTDOWN, AUTH...), which run. Waiting
// here, before the command touches any shard, keeps io threads from blocking on the
// script's locks for good, so SCRIPT KILL can always get through.
//
// SCRIPT KILL sets a flag that the script's instruction-count hook checks (lua_engine.cc);
// it refuses (UNKILLABLE) once the script has run a write command.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "protocol/reply_builder.h"

namespace terndb::server {
class Server;
struct Worker;
struct CommandSpec;
struct ClientState;
}  // namespace terndb::server

namespace terndb::server::scripting {

class ScriptBusy {
 public:
  static ScriptBusy& instance();

  // The running script's side, called with every shard lock held: begin() when the
  // script starts (the time limit counts from `now_ms`), end() when it is done.
  //
  // end(false) leaves the commands waiting in refuse() asleep until wake_waiters(): the
  // caller keeps the shard locks for the next script of the same input (server/
  // script_batch.h), so a waiter woken now would find the next script running, or wait
  // for the locks, and the wakeup would only cost both threads a context switch. Whoever
  // then releases the locks calls wake_waiters().
  void begin(int64_t now_ms);
  void end(bool wake = true);
  void wake_waiters() { ended_.notify_all(); }
  void note_write() { wrote_.store(true, std::memory_order_relaxed); }
  // Polled by the script's hook.
  bool kill_requested() const { return kill_.load(std::memory_order_relaxed); }
  int64_t started_ms() const { return started_ms_.load(std::memory_order_relaxed); }

  enum class KillResult { kNotBusy, kUnkillable, kKilled };
  // SCRIPT KILL. `force` (SHUTDOWN) stops even a script that wrote.
  KillResult kill(bool force = false);

  bool running() const { return running_.load(std::memory_order_acquire) != 0; }
  // Whether the running script has passed lua-time-limit (set by its hook).
  bool timed_out() const { return timed_out_.load(std::memory_order_relaxed); }
  void set_timed_out() { timed_out_.store(true, std::memory_order_relaxed); }

  // Called by the connection loop for every command it is about to run. Returns true
  // after writing -BUSY into `reply` (the command must not run). A refused EXEC ends the
  // client's transaction with -EXECABORT, as in Redis.
  bool refuse(Server& server, Worker& worker, ClientState& client, const CommandSpec& spec,
              protocol::ReplyBuilder& reply);

 private:
  // A command that finds a script running first spins this long for its end before it
  // sleeps. Scripts are mostly short (a 10-call script takes about 10 µs), and with two io
  // threads running scripts in turn, sleeping cost a futex wait, a wake-up call from the
  // script's thread and two context switches per turn. With EVALSHA of a 10-call script
  // from 50 clients without pipelining, the spin cut context switches by about a third and
  // raised the rate by about 8% (medians of 8 alternated runs on two cores).
  static constexpr int kSpinMicros = 20;
  // True once no script runs; false after kSpinMicros with one still running.
  bool spin_until_idle() const;

  std::atomic<uint64_t> running_{0};  // id of the running script, 0 when none
  std::atomic<int64_t> started_ms_{0};
  std::atomic<bool> wrote_{false};
  std::atomic<bool> kill_{false};
  std::atomic<bool> timed_out_{false};
  uint64_t next_id_ = 0;  // guarded by mu_
  std::mutex mu_;
  std::condition_variable ended_;
};

}  // namespace terndb::server::scripting
