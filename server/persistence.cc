#include "server/persistence.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <thread>

#include "server/active_replica.h"
#include "server/flash.h"
#include "server/info_line.h"
#include "server/log.h"
#include "server/memory_stats.h"
#include "server/propagate.h"
#include "server/replication.h"
#include "server/server.h"
#include "server/version.h"
#include "storage/clock.h"
#include "storage/forkless_snapshot.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"
#include "storage/shard_lock_carry.h"

namespace terndb::server {
namespace {

constexpr int64_t kBgsaveRetryDelayMs = 5000;  // after a failed save, as Redis waits
constexpr int kSaveThreadNice = 10;             // a forkless save's thread
// How long the save thread lets a walk step wait for its io thread before running the step
// itself (an io thread held up by a long command, or one stopping at shutdown).
constexpr auto kStepHandoffWait = std::chrono::milliseconds(20);

// Child-side error report: write(2) only, never the logging module (its mutex may have
// been held by another thread at fork time).
void child_report(int fd, const std::string& msg) {
  if (fd < 0) return;
  ssize_t n = ::write(fd, msg.data(), msg.size());
  (void)n;
}

std::string temp_name(pid_t pid) {
  return "temp-" + std::to_string(pid) + ".rdb";
}

bool fsync_dir(std::string* error) {
  int fd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    if (error) *error = std::string("fsync of the directory failed: ") + strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

using WriteBody = std::function<bool(storage::rdb::Sink&, std::string*)>;

// Writes `temp` in the working directory (which is `dir`) with `body` and fsyncs it; on
// failure removes it.
bool write_temp_file(const std::string& temp, const WriteBody& body, std::string* error) {
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    char cwd[4096];
    const char* where = getcwd(cwd, sizeof(cwd)) ? cwd : "(deleted)";
    *error = "Failed opening the temp RDB file " + temp + " (in server root dir " + where +
             ") for saving: " + strerror(errno);
    return false;
  }
  std::string why;
  bool ok;
  {
    storage::rdb::FdSink sink(fd);
    ok = body(sink, &why);
  }
  if (ok && fsync(fd) != 0) {
    ok = false;
    why = strerror(errno);
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    why = strerror(errno);
  }
  if (!ok) {
    *error = "Write error saving DB on disk: " + why;
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

// Renames a complete `temp` over `final_name`, then fsyncs the directory.
bool install_temp_file(const std::string& temp, const std::string& final_name,
                       std::string* error) {
  if (::rename(temp.c_str(), final_name.c_str()) != 0) {
    *error = "Error moving temp DB file " + temp + " on the final destination " + final_name +
             ": " + strerror(errno);
    ::unlink(temp.c_str());
    return false;
  }
  return fsync_dir(error);
}

// The whole keyspace (the caller makes sure nothing changes it meanwhile) to `temp`, then
// renamed over `final_name`. Used by SAVE and by the forked child.
bool write_snapshot(const storage::Keyspace& ks, const storage::rdb::WriteOptions& opt,
                    const std::string& temp, const std::string& final_name, std::string* error) {
  auto body = [&ks, &opt](storage::rdb::Sink& sink, std::string* why) {
    return storage::rdb::write_rdb(ks, sink, opt, why);
  };
  return write_temp_file(temp, body, error) && install_temp_file(temp, final_name, error);
}

// Runs a forkless save's walk steps on the io threads, each step on the next thread in turn,
// and returns when the step has run.
//
// Why not on the save thread itself: on a machine with few cores the io threads, the save
// thread and the clients all want a core during a save. A step the save thread runs, even
// at a low priority, is a thread the scheduler may leave running while an io thread with
// replies to send waits for its time slice: stalls of milliseconds. Posted to the io
// thread's own event loop, a step (one chunk, under a hundred microseconds) runs between
// that thread's other handlers, so clients wait for at most one step, and when the server
// is idle the steps run back to back. The save thread only moves the encoded bytes to the
// file. docs/architecture.md has the figures.
//
// A step the io thread has not started within kStepHandoffWait is run by the save thread
// instead (whichever of the two claims it first runs it), and that io thread gets no more
// steps until the late one has reached it: an io thread held up by a long command costs the
// save one wait, not one per step.
storage::ForklessSnapshot::StepRunner io_thread_step_runner(Server& server) {
  struct Handoff {
    std::atomic<bool> claimed{false};
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  struct State {
    size_t turn = 0;
    // Per worker: a step posted there timed out and has not been reached yet.
    std::unique_ptr<std::atomic<bool>[]> late;
  };
  auto state = std::make_shared<State>();
  state->late = std::make_unique<std::atomic<bool>[]>(server.workers().size());
  return [&server, state](const std::function<void()>& step) {
    auto& workers = server.workers();
    Worker* worker = nullptr;
    size_t index = 0;
    for (size_t tries = 0; tries < workers.size() && !worker; ++tries) {
      index = state->turn++ % workers.size();
      Worker& w = *workers[index];
      // A stopped loop (shutting down) would never run it.
      if (!state->late[index].load(std::memory_order_acquire) && !w.io.stopped()) worker = &w;
    }
    if (!worker) {
      step();
      return;
    }
    auto handoff = std::make_shared<Handoff>();
    const std::function<void()>* body = &step;
    std::atomic<bool>* late = &state->late[index];
    asio::post(worker->io, [handoff, body, late, keep = state, owner = worker->thread.get_id()] {
      // A script's IoStandIn (scripting/io_stand_in.h) runs this loop while the script
      // holds every shard lock: a step there would block it, and with it the -BUSY replies
      // and SCRIPT KILL it is there for. Left unclaimed, the save thread takes the step
      // (and this thread gets no more steps in this save).
      if (std::this_thread::get_id() != owner) return;
      if (handoff->claimed.exchange(true, std::memory_order_acq_rel)) {
        late->store(false, std::memory_order_release);  // reached: steps may come again
        return;
      }
      storage::lock_carry::release();  // never a client's kept shard lock under a step
      (*body)();
      {
        std::lock_guard<std::mutex> g(handoff->mu);
        handoff->done = true;
      }
      handoff->cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(handoff->mu);
    if (handoff->cv.wait_for(lock, kStepHandoffWait, [&] { return handoff->done; })) return;
    lock.unlock();
    // Marked before the claim, so that the late handler's clearing comes after it.
    late->store(true, std::memory_order_release);
    if (!handoff->claimed.exchange(true, std::memory_order_acq_rel)) {
      step();
      return;
    }
    late->store(false, std::memory_order_release);  // the io thread has just started it
    lock.lock();
    handoff->cv.wait(lock, [&] { return handoff->done; });
  };
}

}  // namespace

Persistence::Persistence(Server& server) : server_(server) {
  last_save_time_.store(storage::now_ms() / 1000);
}

// A forkless background save: its snapshot and the thread writing it.
struct Persistence::ThreadSave {
  std::unique_ptr<storage::ForklessSnapshot> snapshot;
  std::thread thread;
  std::string temp;  // temp-<pid>-<n>.rdb, apart from SAVE's temp-<pid>.rdb
  std::string path;
  std::function<void(bool, const std::string&)> on_done;
  // Set by the thread when done: ok and why are its result.
  std::atomic<bool> finished{false};
  bool ok = false;
  std::string why;
  // A stopped save never renames its file into place afterwards (FLUSHALL saves the empty
  // dataset right after stopping it).
  std::mutex rename_mu;
  bool stopped = false;
};

Persistence::~Persistence() {
  kill_child();
  join_stopped_threads();
  if (child_err_fd_ >= 0) ::close(child_err_fd_);
}

bool Persistence::forkless_allowed() const {
  return !server_.config().flag("use-fork") && !server_.keyspace().flash();
}

bool Persistence::start_thread_save(std::function<void(bool, const std::string&)> on_done,
                                    const std::string& final_name, const std::string& path,
                                    std::string* error) {
  storage::rdb::WriteOptions opt = write_options();
  storage::Keyspace& ks = server_.keyspace();
  auto job = std::make_shared<ThreadSave>();
  static std::atomic<uint64_t> serial{0};
  job->temp = "temp-" + std::to_string(getpid()) + "-" + std::to_string(++serial) + ".rdb";
  job->path = path;
  job->on_done = std::move(on_done);
  // The snapshot point is while both locks are held.
  std::unique_lock<std::mutex> guard;
  if (!lock_for_background_save(guard, error)) return false;
  last_bgsave_try_ms_.store(storage::now_ms());
  writes_at_fork_ = write_count();
  job->snapshot = std::make_unique<storage::ForklessSnapshot>(ks, std::move(opt));
  ks.unlock_all();
  ThreadSave* raw = job.get();
  job->thread = std::thread([raw, final_name, run = io_thread_step_runner(server_)] {
    // The walk's steps run on the io threads (io_thread_step_runner); this thread writes
    // the file, and the io threads come first when it wants a core.
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kSaveThreadNice);
    auto body = [raw, &run](storage::rdb::Sink& sink, std::string* why) {
      return raw->snapshot->write(sink, why, run);
    };
    std::string why;
    bool ok = write_temp_file(raw->temp, body, &why);
    if (ok) {
      std::lock_guard<std::mutex> g(raw->rename_mu);
      if (raw->stopped) {
        ::unlink(raw->temp.c_str());
        ok = false;
        why = "stopped";
      } else {
        ok = install_temp_file(raw->temp, final_name, &why);
      }
    }
    raw->ok = ok;
    raw->why = why;
    raw->finished.store(true, std::memory_order_release);
  });
  child_path_ = path;
  disk_child_.store(true);
  child_start_ms_ = storage::now_ms();
  child_start_time_ms_.store(child_start_ms_);
  thread_save_ = std::move(job);
  thread_save_running_.store(true);
  return true;
}

void Persistence::join_stopped_threads() {
  std::vector<std::shared_ptr<ThreadSave>> stopped;
  {
    std::lock_guard<std::mutex> guard(fork_mu_);
    stopped.swap(stopped_saves_);
  }
  for (auto& job : stopped) {
    if (job->thread.joinable()) job->thread.join();
  }
}

const char* Persistence::misconf_error() {
  return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
         "persist to disk. Commands that may modify the data set are disabled, because this "
         "instance is configured to report errors during writes if RDB snapshotting fails "
         "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
         "the RDB error.";
}

std::vector<Persistence::SaveRule> Persistence::save_rules() const {
  std::vector<SaveRule> rules;
  std::string text = server_.config().text("save");
  std::vector<int64_t> nums;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) nums.push_back(strtoll(text.substr(i, j - i).c_str(), nullptr, 10));
    i = j;
  }
  for (size_t k = 0; k + 1 < nums.size(); k += 2) rules.push_back({nums[k], nums[k + 1]});
  return rules;
}

bool Persistence::has_save_rules() const {
  return !save_rules().empty();
}

uint64_t Persistence::write_count() const {
  // Write commands that did not fail, from the per-worker statistics dispatch keeps
  // anyway: no counter of its own on the write path.
  uint64_t n = 0;
  for (const CommandSpec* spec : server_.commands().by_id()) {
    if (!spec->is_write()) continue;
    for (auto& w : server_.workers()) {
      const CommandStats& cs = w->command_stats[spec->id];
      n += cs.calls.load(std::memory_order_relaxed) -
           cs.failed_calls.load(std::memory_order_relaxed);
    }
  }
  return n;
}

uint64_t Persistence::dirty() const {
  uint64_t now = write_count();
  uint64_t base = writes_at_last_save_.load();
  if (now < base) {
    // CONFIG RESETSTAT zeroed the statistics: count from there, so save rules still fire.
    writes_at_last_save_.compare_exchange_strong(base, 0);
    return now;
  }
  return now - base;
}

bool Persistence::writes_refused() const {
  // The common case costs one relaxed load; the rest is read only after a failed save.
  if (last_bgsave_ok_.load(std::memory_order_relaxed)) return false;
  return server_.config().flag("stop-writes-on-bgsave-error") && has_save_rules();
}

storage::rdb::WriteOptions Persistence::write_options() const {
  storage::rdb::WriteOptions opt;
  opt.compress = server_.config().flag("rdbcompression");
  opt.checksum = server_.config().flag("rdbchecksum");
  opt.aux = storage::rdb::standard_aux(kRedisCompatVersion, read_memory_stats().allocated);
  opt.versions = storage::versioned_entries();  // active replication
  return opt;
}

bool Persistence::load_at_startup() {
  // Temp files are what a save interrupted by a crash left: never complete, never loaded.
  if (DIR* d = opendir(".")) {
    while (dirent* de = readdir(d)) {
      std::string name = de->d_name;
      if (name.size() > 9 && name.rfind("temp-", 0) == 0 &&
          name.compare(name.size() - 4, 4, ".rdb") == 0) {
        if (::unlink(name.c_str()) == 0) {
          logf(LogLevel::kNotice, "Removed stale temp file %s", name.c_str());
        }
      }
    }
    closedir(d);
  }
  if (flash_is_authoritative(server_)) {
    loading_.store(false);
    return true;
  }
  std::string file = server_.config().text("dbfilename");
  storage::rdb::FileSource src;
  std::string err;
  if (!src.open(file, &err)) {
    loading_.store(false);
    if (errno == ENOENT) return true;
    logf(LogLevel::kWarning, "Fatal error loading the DB: %s. Exiting.", err.c_str());
    return false;
  }
  int64_t start = storage::now_ms();
  storage::rdb::LoadOptions opt;
  opt.now_ms = start;
  opt.drop_expired = true;
  int64_t last_log = start;
  loading_start_ms_.store(start);
  loading_total_.store(src.size());
  loading_done_.store(0);
  loading_.store(true);
  // Only for tests: the hidden key-load-delay (microseconds per key) makes loading slow.
  int64_t delay_us = server_.config().num("key-load-delay");
  if (delay_us > 0) {
    opt.after_key = [delay_us] { usleep(static_cast<useconds_t>(delay_us)); };
  }
  opt.progress = [&](uint64_t done, uint64_t total) {
    loading_done_.store(done);
    int64_t now = storage::now_ms();
    if (now - last_log < 1000 || total == 0) return;
    last_log = now;
    logf(LogLevel::kNotice, "Loading RDB: %.1f%% (%llu of %llu bytes)", 100.0 * done / total,
         static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  };
  storage::rdb::LoadResult r = storage::rdb::load_rdb(src, server_.keyspace(), opt);
  loading_.store(false);
  if (!r.ok) {
    logf(LogLevel::kWarning,
         "Failed loading the RDB file '%s' at offset %llu: %s. Not starting: the file is left "
         "untouched.",
         file.c_str(), static_cast<unsigned long long>(r.offset), r.reason.c_str());
    return false;
  }
  std::string repl_id;
  int64_t repl_offset = -1;
  for (const auto& [k, v] : r.aux) {
    if (k == "repl-id") repl_id = v;
    if (k == "repl-offset") repl_offset = strtoll(v.c_str(), nullptr, 10);
    if (k == "redis-ver") {
      logf(LogLevel::kNotice, "Loading RDB produced by version %s", v.c_str());
    } else if (k == "ctime") {
      long long age = start / 1000 - strtoll(v.c_str(), nullptr, 10);
      logf(LogLevel::kNotice, "RDB age %lld seconds", age < 0 ? 0 : age);
    } else if (k == "used-mem") {
      logf(LogLevel::kNotice, "RDB memory usage when created %.2f Mb",
           strtod(v.c_str(), nullptr) / (1024 * 1024));
    }
  }
  for (const auto& w : r.warnings) logf(LogLevel::kWarning, "%s", w.c_str());
  // A replica's last snapshot names its master's stream and where the data stands in it:
  // the link asks to continue from there (PSYNC <repl-id> <repl-offset + 1>).
  if (repl_id.size() == 40 && repl_offset >= 0 && !active::enabled() &&
      !server_.config().text("replicaof").empty()) {
    stream_log().reset(repl_id, static_cast<uint64_t>(repl_offset));
    stream_log().activate();
    logf(LogLevel::kNotice,
         "Using the replication id and offset of the RDB file (%s, %lld) to continue from the "
         "master",
         repl_id.c_str(), static_cast<long long>(repl_offset));
  }
  keys_loaded_.store(r.keys_loaded);
  keys_expired_.store(r.keys_expired);
  logf(LogLevel::kNotice, "Done loading RDB, keys loaded: %zu, keys expired: %zu.", r.keys_loaded,
       r.keys_expired);
  logf(LogLevel::kNotice, "DB loaded from disk: %.3f seconds",
       (storage::now_ms() - start) / 1000.0);
  return true;
}

bool Persistence::save_after_flush(bool locked) {
  // Redis leaves the changes counter as it was before FLUSHALL; the FLUSHALL itself is
  // counted once it returns, hence the + 1.
  uint64_t before = dirty();
  std::string err;
  if (!save(locked, &err)) return false;
  writes_at_last_save_.store(writes_at_last_save_.load() + 1 - before);
  return true;
}

bool Persistence::reload(std::string* error) {
  std::string file = server_.config().text("dbfilename");
  storage::rdb::FileSource src;
  if (!src.open(file, error)) return false;
  storage::rdb::LoadOptions opt;
  opt.now_ms = storage::now_ms();
  storage::rdb::LoadResult r = storage::rdb::load_rdb(src, server_.keyspace(), opt);
  if (!r.ok) {
    *error = "offset " + std::to_string(r.offset) + ": " + r.reason;
    logf(LogLevel::kWarning, "Failed loading the RDB file '%s' at %s", file.c_str(),
         error->c_str());
    return false;
  }
  keys_loaded_.store(r.keys_loaded);
  keys_expired_.store(r.keys_expired);
  return true;
}

bool Persistence::save(bool locked, std::string* error, bool final) {
  storage::rdb::WriteOptions opt = write_options();
  if (final && Replication::instance().is_replica() && !active::enabled()) {
    const replication::StreamLog& log = stream_log();
    opt.aux = storage::rdb::standard_aux(kRedisCompatVersion, read_memory_stats().allocated,
                                         log.replid(), static_cast<int64_t>(log.offset()), 0);
    opt.versions = storage::versioned_entries();
  }
  std::string final_name = server_.config().text("dbfilename");
  storage::Keyspace& ks = server_.keyspace();
  // Lock order: the shard locks, then fork_mu_ (FLUSHALL saves holding the shard locks).
  if (!locked) ks.lock_all();
  std::unique_lock<std::mutex> guard(fork_mu_);
  if (child_running()) {
    guard.unlock();
    if (!locked) ks.unlock_all();
    *error = "Background save already in progress";
    return false;
  }
  uint64_t writes = write_count();
  std::string why;
  bool ok = write_snapshot(ks, opt, temp_name(getpid()), final_name, &why);
  guard.unlock();
  if (!locked) ks.unlock_all();
  if (!ok) {
    logf(LogLevel::kWarning, "%s", why.c_str());
    *error = why;
    return false;
  }
  logf(LogLevel::kNotice, "DB saved on disk");
  writes_at_last_save_.store(writes);
  last_save_time_.store(storage::now_ms() / 1000);
  last_bgsave_ok_.store(true);
  return true;
}

bool Persistence::lock_for_background_save(std::unique_lock<std::mutex>& guard,
                                           std::string* error) {
  storage::Keyspace& ks = server_.keyspace();
  ks.lock_all();  // lock order: the shard locks, then fork_mu_
  guard = std::unique_lock<std::mutex>(fork_mu_);
  if (!child_running()) return true;
  guard.unlock();
  ks.unlock_all();
  *error = "Background save already in progress";
  return false;
}

bool Persistence::fork_child(const std::function<int(int err_fd)>& body,
                             std::function<void(bool, const std::string&)> on_done,
                             const std::string& path, std::string* error) {
  storage::Keyspace& ks = server_.keyspace();
  // Every shard lock is held around fork(): no thread is inside a shard's tables while
  // the image is taken.
  std::unique_lock<std::mutex> guard;
  if (!lock_for_background_save(guard, error)) return false;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    guard.unlock();
    ks.unlock_all();
    *error = std::string("Can't create a pipe for the child: ") + strerror(errno);
    return false;
  }
  last_bgsave_try_ms_.store(storage::now_ms());
  // Signals stay blocked across fork() so the child can reset the server's handlers before
  // any can reach it (they would wake the parent's signal pipe).
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  const pid_t parent = getpid();
  uint64_t writes = write_count();
  if (storage::FlashTier* flash = ks.flash()) flash->prepare_fork();
  pid_t pid = fork();
  if (pid == 0) {
    // Child: only this thread exists. Die with the server rather than finish a save
    // nobody waits for.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ::close(pipefd[0]);
    _exit(body(pipefd[1]));
  }
  ks.unlock_all();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(pipefd[1]);
  if (pid < 0) {
    ::close(pipefd[0]);
    *error = std::string("Can't save in background: fork: ") + strerror(errno);
    logf(LogLevel::kWarning, "%s", error->c_str());
    last_bgsave_ok_.store(false);
    return false;
  }
  if (child_err_fd_ >= 0) ::close(child_err_fd_);
  child_err_fd_ = pipefd[0];
  child_path_ = path;
  disk_child_.store(!path.empty());
  on_done_ = std::move(on_done);
  writes_at_fork_ = writes;
  child_start_ms_ = storage::now_ms();
  child_start_time_ms_.store(child_start_ms_);
  child_pid_.store(pid);
  return true;
}

bool Persistence::start_bgsave(std::function<void(bool ok, const std::string& path)> on_done,
                               std::string* error) {
  storage::rdb::WriteOptions opt = write_options();
  std::string final_name = server_.config().text("dbfilename");
  char cwd[4096];
  std::string path = getcwd(cwd, sizeof(cwd)) ? std::string(cwd) + "/" + final_name : final_name;
  const storage::Keyspace& ks = server_.keyspace();
  auto body = [&ks, opt, final_name](int err_fd) {
    std::string why;
    if (!write_snapshot(ks, opt, temp_name(getpid()), final_name, &why)) {
      child_report(err_fd, why);
      return 1;
    }
    return 0;
  };
  saves_.fetch_add(1);  // as Redis counts them: every background save it tries
  if (forkless_allowed()) {
    if (!start_thread_save(std::move(on_done), final_name, path, error)) return false;
    logf(LogLevel::kNotice, "Background saving started (forkless)");
    return true;
  }
  if (!fork_child(body, std::move(on_done), path, error)) return false;
  logf(LogLevel::kNotice, "Background saving started by pid %d", static_cast<int>(child_pid_));
  return true;
}

bool Persistence::start_rdb_to_fd(int fd,
                                  std::function<void(bool ok, const std::string& path)> on_done,
                                  std::string* error) {
  storage::rdb::WriteOptions opt = write_options();
  const storage::Keyspace& ks = server_.keyspace();
  auto body = [&ks, opt, fd](int err_fd) {
    storage::rdb::FdSink sink(fd);
    std::string why;
    if (!storage::rdb::write_rdb(ks, sink, opt, &why)) {
      child_report(err_fd, "Write error sending the RDB stream: " + why);
      return 1;
    }
    return 0;
  };
  if (!fork_child(body, std::move(on_done), std::string(), error)) return false;
  logf(LogLevel::kNotice, "Starting RDB stream to descriptor %d by pid %d", fd,
       static_cast<int>(child_pid_));
  return true;
}

void Persistence::kill_child(bool locked) {
  if (thread_save_running_.load()) {
    storage::Keyspace& ks = server_.keyspace();
    std::shared_ptr<ThreadSave> job;
    if (!locked) ks.lock_all();  // cancel_locked needs every shard lock
    {
      std::lock_guard<std::mutex> guard(fork_mu_);
      job = std::move(thread_save_);
      thread_save_running_.store(false);
      if (job) job->snapshot->cancel_locked();
    }
    if (!locked) ks.unlock_all();
    if (job) {
      {
        std::lock_guard<std::mutex> g(job->rename_mu);
        job->stopped = true;
      }
      if (locked) {
        // The thread may be waiting for a shard lock this caller holds: joined later.
        std::lock_guard<std::mutex> guard(fork_mu_);
        stopped_saves_.push_back(job);
      } else {
        job->thread.join();
      }
      logf(LogLevel::kNotice, "Background saving stopped");
      if (job->on_done) job->on_done(false, job->path);
    }
  }
  std::function<void(bool, const std::string&)> done;
  std::string path;
  pid_t pid;
  {
    std::lock_guard<std::mutex> guard(fork_mu_);
    pid = child_pid_.load();
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::unlink(temp_name(pid).c_str());
    if (child_err_fd_ >= 0) ::close(child_err_fd_);
    child_err_fd_ = -1;
    done = std::move(on_done_);
    on_done_ = nullptr;
    path = child_path_;
    child_pid_.store(0);
  }
  // As with Redis's own kill of its child, the save status is not marked failed.
  logf(LogLevel::kNotice, "Killed the background save child %d", static_cast<int>(pid));
  if (done) done(false, path);
}

void Persistence::reap(int64_t now_ms) {
  join_stopped_threads();
  std::unique_lock<std::mutex> guard(fork_mu_);  // kill_child may run on another thread
  if (thread_save_ && thread_save_->finished.load(std::memory_order_acquire)) {
    std::shared_ptr<ThreadSave> job = std::move(thread_save_);
    thread_save_running_.store(false);
    guard.unlock();
    job->thread.join();
    finish_disk_save(job->ok, job->why, now_ms);
    if (job->on_done) job->on_done(job->ok, job->path);
    return;
  }
  pid_t pid = child_pid_.load();
  if (pid <= 0) return;
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == 0 || (r < 0 && errno == EINTR)) return;  // still running
  bool ok = r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::string why;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(child_err_fd_, buf, sizeof(buf))) > 0) why.append(buf, static_cast<size_t>(n));
  ::close(child_err_fd_);
  child_err_fd_ = -1;
  if (r == pid && WIFSIGNALED(status)) {
    why = "terminated by signal " + std::to_string(WTERMSIG(status));
    ::unlink(temp_name(pid).c_str());
  }
  std::function<void(bool, const std::string&)> done = std::move(on_done_);
  on_done_ = nullptr;
  std::string path = child_path_;
  child_pid_.store(0);
  guard.unlock();
  if (!path.empty()) {
    finish_disk_save(ok, why, now_ms);
  } else if (!ok) {
    logf(LogLevel::kWarning, "RDB stream child failed%s%s", why.empty() ? "" : ": ", why.c_str());
  }
  if (done) done(ok, path);
}

void Persistence::finish_disk_save(bool ok, const std::string& why, int64_t now_ms) {
  last_bgsave_seconds_.store((now_ms - child_start_ms_) / 1000);
  if (ok) {
    logf(LogLevel::kNotice, "Background saving terminated with success");
    writes_at_last_save_.store(writes_at_fork_);
    last_save_time_.store(now_ms / 1000);
    last_bgsave_ok_.store(true);
  } else {
    logf(LogLevel::kWarning, "Background saving error%s%s", why.empty() ? "" : ": ", why.c_str());
    last_bgsave_ok_.store(false);
  }
}

void Persistence::cron(int64_t now_ms) {
  reap(now_ms);
  if (child_running()) return;
  std::string err;
  if (scheduled_.exchange(false)) {
    start_bgsave(nullptr, &err);
    return;
  }
  uint64_t changes = dirty();
  int64_t since = now_ms / 1000 - last_save_time_.load();
  bool may_retry =
      last_bgsave_ok_.load() || now_ms - last_bgsave_try_ms_.load() >= kBgsaveRetryDelayMs;
  for (const SaveRule& rule : save_rules()) {
    if (static_cast<int64_t>(changes) >= rule.changes && since > rule.seconds && may_retry) {
      logf(LogLevel::kNotice, "%lld changes in %lld seconds. Saving...",
           static_cast<long long>(rule.changes), static_cast<long long>(rule.seconds));
      start_bgsave(nullptr, &err);
      return;
    }
  }
}

void Persistence::loading_info(std::string& out) const {
  if (!loading()) return;
  int64_t now = storage::now_ms();
  int64_t start = loading_start_ms_.load();
  uint64_t total = loading_total_.load(), done = loading_done_.load();
  double perc = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
  int64_t elapsed_s = (now - start) / 1000;
  int64_t eta = done && total > done ? static_cast<int64_t>(elapsed_s * (total - done) / done) : 1;
  info_line(out, "loading_start_time:%lld", static_cast<long long>(start / 1000));
  info_line(out, "loading_total_bytes:%llu", static_cast<unsigned long long>(total));
  info_line(out, "loading_rdb_used_mem:0");
  info_line(out, "loading_loaded_bytes:%llu", static_cast<unsigned long long>(done));
  info_line(out, "loading_loaded_perc:%.2f", perc);
  info_line(out, "loading_eta_seconds:%lld", static_cast<long long>(eta));
}

void Persistence::info(std::string& out) const {
  int64_t now = storage::now_ms();
  bool running = child_running() && disk_child_.load();
  info_line(out, "loading:%d", loading() ? 1 : 0);
  info_line(out, "async_loading:%d", Replication::instance().async_loading.load() ? 1 : 0);
  info_line(out, "current_cow_peak:0");
  info_line(out, "current_cow_size:0");
  info_line(out, "current_cow_size_age:0");
  info_line(out, "current_fork_perc:0.00");
  uint64_t processed = 0, total = 0;
  {
    std::lock_guard<std::mutex> guard(fork_mu_);
    if (thread_save_) {
      processed = thread_save_->snapshot->keys_written();
      total = thread_save_->snapshot->keys_total();
    }
  }
  info_line(out, "current_save_keys_processed:%llu", static_cast<unsigned long long>(processed));
  info_line(out, "current_save_keys_total:%llu", static_cast<unsigned long long>(total));
  info_line(out, "rdb_changes_since_last_save:%llu", static_cast<unsigned long long>(dirty()));
  info_line(out, "rdb_bgsave_in_progress:%d", running ? 1 : 0);
  info_line(out, "rdb_last_save_time:%lld", static_cast<long long>(last_save_time_.load()));
  info_line(out, "rdb_last_bgsave_status:%s", last_bgsave_ok_.load() ? "ok" : "err");
  info_line(out, "rdb_last_bgsave_time_sec:%lld",
           static_cast<long long>(last_bgsave_seconds_.load()));
  info_line(out, "rdb_current_bgsave_time_sec:%lld",
           running ? static_cast<long long>((now - child_start_time_ms_.load()) / 1000) : -1LL);
  info_line(out, "rdb_saves:%llu", static_cast<unsigned long long>(saves_.load()));
  info_line(out, "rdb_last_cow_size:0");
  info_line(out, "rdb_last_load_keys_expired:%llu",
           static_cast<unsigned long long>(keys_expired_.load()));
  info_line(out, "rdb_last_load_keys_loaded:%llu",
           static_cast<unsigned long long>(keys_loaded_.load()));
}

Persistence& persistence_of(Server& server) { return server.persistence(); }

}  // namespace terndb::server
