// Snapshots: RDB files in `dir`/`dbfilename`, written by SAVE (in the calling thread), by
// BGSAVE and the `save` rules (in the background), loaded at start.
//
// Background saves are forkless by default (KeyDB's `use-fork no`): a thread writes a
// point-in-time snapshot while clients go on (storage/forkless_snapshot.h). Measured with
// 2,000,000 keys under a redis-benchmark SET/GET load spread over the keyspace (bench/
// bgsave_latency.sh), fork's copy-on-write nearly doubled RSS during the save (about 1.95x),
// because writes spread over the keyspace touch almost every page; the forkless save only
// encodes the entries clients use before the walk reaches them. `use-fork yes`, and
// any save with a flash tier (whose keys are read from a RocksDB checkpoint in the child),
// use a forked child instead.
//
// Fork: the child gets a copy-on-write image of the keyspace at one instant, so the
// snapshot is consistent while every io thread keeps serving; only pages written during
// the save are copied. Locks: the server is multithreaded and fork() copies only the
// calling thread, so every shard lock is taken just around fork() (no thread is then in the
// middle of changing an entry), and released in the parent at once. The child reads the
// keyspace without locks (nothing else runs in it), touches nothing another thread could
// have held at fork time (no logging, no asio), reports its errors through a pipe with
// write(2) and leaves with _exit().
//
// A background save writes temp-<pid>.rdb in `dir`, fsyncs it, renames it over
// `dbfilename` and fsyncs the directory, so a crash at any moment leaves the previous
// snapshot intact; temp files left by a crash are removed at start and never loaded.
//
// The periodic check (cron, worker 0) reaps the child, updates the status INFO reports,
// runs the callbacks, and starts a save when a `save <seconds> <changes>` rule is due.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/clock.h"
#include "storage/rdb_writer.h"

namespace terndb::server {

class Server;
class CommandTable;

class Persistence {
 public:
  explicit Persistence(Server& server);
  ~Persistence();

  // Start-up (clients get -LOADING meanwhile): removes stale temp files and loads
  // `dbfilename` if present.
  // False (after logging the offset and reason) when the file exists but cannot be loaded;
  // the file is never modified.
  bool load_at_startup();

  // FLUSHALL with save rules: saves the emptied keyspace (every shard lock held when
  // `locked`), keeping the changes counter where it was, as Redis does.
  bool save_after_flush(bool locked);
  // SAVE counts in rdb_saves (so does every BGSAVE; other saves do not, as in Redis).
  void count_save() { saves_.fetch_add(1); }
  // A snapshot another forked child renamed into `dbfilename` (a replica's disk-based full
  // sync, which Redis makes with a BGSAVE) counts as a finished background save; `writes`
  // is writes_now() taken just before that fork.
  uint64_t writes_now() const { return write_count(); }
  void background_save_done(bool ok, uint64_t writes, int64_t started_ms) {
    const int64_t now = storage::now_ms();
    last_bgsave_seconds_.store((now - started_ms) / 1000);
    last_bgsave_ok_.store(ok);
    if (!ok) return;
    writes_at_last_save_.store(writes);
    last_save_time_.store(now / 1000);
  }

  // Loads `dbfilename` into the keyspace (DEBUG RELOAD); false with *error on failure.
  bool reload(std::string* error);

  // SAVE: writes the snapshot from this thread with every shard lock held (pass
  // `locked` when the caller already holds them).
  // `final`: the last save before exit, when no worker runs: a plain replica records its
  // master's replication id and offset in it (repl-id, repl-offset), which are then exactly
  // the data's, so that after a restart it continues by partial resync.
  bool save(bool locked, std::string* error, bool final = false);

  // BGSAVE: forks a child writing `dbfilename`. on_done runs on worker 0's thread when the
  // child has finished (or on the thread of kill_child) (ok = the file was renamed into place; path
  // = its full path). False with *error when a save is already running or fork() failed.
  bool start_bgsave(std::function<void(bool ok, const std::string& path)> on_done,
                    std::string* error);
  // Forks a child writing the RDB stream to `fd` (a socket or pipe, for diskless
  // replication); the child closes nothing but its own copy. on_done as above (path empty).
  bool start_rdb_to_fd(int fd, std::function<void(bool ok, const std::string& path)> on_done,
                       std::string* error);
  // BGSAVE SCHEDULE, or BGSAVE inside a transaction: starts at the next check.
  void schedule_bgsave() { scheduled_.store(true); }
  // A background save (forked child or forkless thread) is running.
  bool child_running() const { return child_pid_.load() > 0 || thread_save_running_.load(); }
  // Kills a running child, or stops a forkless save, and removes its temp file (shutdown,
  // FLUSHALL); its on_done runs here with ok = false. `locked`: the caller holds every
  // shard lock.
  void kill_child(bool locked = false);

  // Reaps a finished child, runs due save rules and scheduled saves. Worker 0's cron.
  void cron(int64_t now_ms);

  // Writes are refused with -MISCONF: the last background save failed, save rules exist
  // and stop-writes-on-bgsave-error is on.
  bool writes_refused() const;
  static const char* misconf_error();

  // For SHUTDOWN and the signal path: whether save rules are configured.
  bool has_save_rules() const;

  // The start-up load is running: commands without the loading flag get -LOADING.
  bool loading() const { return loading_.load(std::memory_order_relaxed); }
  // Before the io threads start: clients get -LOADING until load_at_startup() is done, so
  // none sees the keyspace before the file is in.
  void begin_loading() {
    loading_start_ms_.store(storage::now_ms());
    loading_.store(true);
  }
  static const char* loading_error() { return "LOADING Redis is loading the dataset in memory"; }
  // INFO's loading_* lines, present only while loading (they follow the aof fields).
  void loading_info(std::string& out) const;

  // Changes since the last successful save (write commands that did not fail).
  uint64_t dirty() const;
  int64_t last_save_time() const { return last_save_time_.load(); }
  bool last_bgsave_ok() const { return last_bgsave_ok_.load(); }
  int64_t last_bgsave_seconds() const { return last_bgsave_seconds_.load(); }

  // A signal asked for shutdown: save (when rules exist) once the workers have stopped.
  void save_on_exit(bool v) { save_on_exit_.store(v); }
  bool save_on_exit() const { return save_on_exit_.load(); }

  // INFO persistence lines (Redis 7.0's fields up to the aof ones).
  void info(std::string& out) const;

 private:
  struct SaveRule {
    int64_t seconds;
    int64_t changes;
  };
  std::vector<SaveRule> save_rules() const;
  storage::rdb::WriteOptions write_options() const;
  uint64_t write_count() const;
  std::string rdb_path() const;
  // Takes every shard lock, then fork_mu_; false with *error, holding neither, when a
  // background save is already running.
  bool lock_for_background_save(std::unique_lock<std::mutex>& guard, std::string* error);
  // A forkless background save writing `final_name` (see the top of this file).
  bool start_thread_save(std::function<void(bool, const std::string&)> on_done,
                         const std::string& final_name, const std::string& path,
                         std::string* error);
  bool forkless_allowed() const;
  // Bookkeeping of a finished background save to disk (fork or thread).
  void finish_disk_save(bool ok, const std::string& why, int64_t now_ms);
  // Joins forkless save threads that were stopped while the shard locks were held.
  void join_stopped_threads();
  // Forks; in the child runs `body` (returns the child's exit code) and never returns.
  bool fork_child(const std::function<int(int err_fd)>& body,
                  std::function<void(bool, const std::string&)> on_done, const std::string& path,
                  std::string* error);
  void reap(int64_t now_ms);

  Server& server_;
  std::atomic<pid_t> child_pid_{0};
  std::atomic<bool> disk_child_{false};  // the running child writes dbfilename
  int child_err_fd_ = -1;                // read end of the child's error pipe
  std::string child_path_;               // final path of a disk save, empty for a stream
  std::function<void(bool, const std::string&)> on_done_;
  uint64_t writes_at_fork_ = 0;
  int64_t child_start_ms_ = 0;
  mutable std::mutex fork_mu_;  // one background save at a time

  struct ThreadSave;
  std::shared_ptr<ThreadSave> thread_save_;  // guarded by fork_mu_
  std::vector<std::shared_ptr<ThreadSave>> stopped_saves_;  // guarded by fork_mu_
  std::atomic<bool> thread_save_running_{false};

  std::atomic<bool> scheduled_{false};
  std::atomic<bool> save_on_exit_{false};
  std::atomic<bool> loading_{false};
  std::atomic<int64_t> loading_start_ms_{0};
  std::atomic<uint64_t> loading_total_{0};
  std::atomic<uint64_t> loading_done_{0};
  mutable std::atomic<uint64_t> writes_at_last_save_{0};
  std::atomic<int64_t> last_save_time_{0};
  std::atomic<int64_t> last_bgsave_try_ms_{0};
  std::atomic<bool> last_bgsave_ok_{true};
  std::atomic<int64_t> last_bgsave_seconds_{-1};
  std::atomic<int64_t> child_start_time_ms_{0};
  std::atomic<uint64_t> saves_{0};
  std::atomic<uint64_t> keys_loaded_{0};
  std::atomic<uint64_t> keys_expired_{0};
};

// The Server's Persistence (created by its constructor), for code that has the Server.
Persistence& persistence_of(Server& server);

void register_persistence_commands(CommandTable& t);

}  // namespace terndb::server
