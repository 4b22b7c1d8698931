#include "server/full_sync_job.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "server/log.h"
#include "server/persistence.h"
#include "server/propagate.h"
#include "server/repl_snapshot.h"
#include "server/replica_link.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

// The jobs replicas may still join: a diskless one waiting for its delay, a disk one until
// its child has written the file.
std::mutex g_jobs_mu;
std::weak_ptr<FullSyncJob> g_waiting_diskless;
std::weak_ptr<FullSyncJob> g_disk;

bool reap(pid_t pid) {
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  return r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// In the child: only async-signal-safe calls before the snapshot (fork() copied this
// thread alone; the keyspace is read without locks, nothing else runs).
void child_setup(pid_t parent) {
  ::signal(SIGPIPE, SIG_IGN);  // a replica gone: its pipe fails, the others go on
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);
}

}  // namespace

FullSyncJob::FullSyncJob(Server& server, Worker& home, bool disk)
    : server_(server), home_(home), disk_(disk), timer_(home.io) {}

FullSyncJob::~FullSyncJob() {
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    reap(child_);
  }
  if (!temp_path_.empty() && !renamed_) ::unlink(temp_path_.c_str());
  if (file_fd_ >= 0) ::close(file_fd_);
}

std::shared_ptr<FullSyncJob> FullSyncJob::request(Server& server, Worker& worker,
                                                  const std::shared_ptr<ReplicaLink>& link,
                                                  bool disk) {
  std::lock_guard<std::mutex> g(g_jobs_mu);
  std::weak_ptr<FullSyncJob>& slot = disk ? g_disk : g_waiting_diskless;
  if (auto job = slot.lock(); job && job->join(link)) return job;
  auto job = std::make_shared<FullSyncJob>(server, worker, disk);
  job->links_.push_back(link);
  slot = job;
  const int64_t delay = disk ? 0 : server.config().num("repl-diskless-sync-delay");
  if (delay <= 0) {
    job->start();
  } else {
    logf(LogLevel::kNotice, "Delay next BGSAVE for diskless SYNC");
    job->timer_.expires_after(std::chrono::seconds(delay));
    job->timer_.async_wait([job](const asio::error_code&) { job->start(); });
  }
  return job;
}

bool FullSyncJob::join(const std::shared_ptr<ReplicaLink>& link) {
  std::lock_guard<std::mutex> g(mu_);
  if (phase_ == Phase::kWaiting) {
    links_.push_back(link);
    const int64_t max = server_.config().num("repl-diskless-sync-max-replicas");
    if (max > 0 && static_cast<int64_t>(live_links_locked().size()) >= max) {
      // Enough replicas wait: no need to sit out the delay (the timer finds it started).
      auto self = shared_from_this();
      asio::post(home_.io, [self]() { self->start(); });
    }
    return true;
  }
  // A disk snapshot under way: the replica starts its stream at the same point, whose
  // bytes the other replicas still hold in the log.
  if (phase_ == Phase::kRunning && disk_ && link->attach_at(ticket_)) {
    links_.push_back(link);
    logf(LogLevel::kNotice, "Waiting for end of BGSAVE for SYNC");
    return true;
  }
  return false;
}

std::vector<std::shared_ptr<ReplicaLink>> FullSyncJob::live_links_locked() {
  std::vector<std::shared_ptr<ReplicaLink>> out;
  for (auto& w : links_) {
    if (auto l = w.lock(); l && !l->closed()) out.push_back(std::move(l));
  }
  return out;
}

void FullSyncJob::fail_links(const std::vector<std::shared_ptr<ReplicaLink>>& links) {
  for (auto& l : links) l->snapshot_ready(false);
}

void FullSyncJob::start() {
  std::unique_lock<std::mutex> lk(mu_);
  if (phase_ != Phase::kWaiting) return;
  phase_ = Phase::kRunning;
  std::vector<std::shared_ptr<ReplicaLink>> links = live_links_locked();
  if (links.empty()) {
    phase_ = Phase::kDone;
    return;
  }
  // Disk: one pipe the child only holds open (its end says the file is written).
  // Diskless: one pipe per replica, all written with the same bytes.
  const size_t npipes = disk_ ? 1 : links.size();
  std::vector<int> read_fds, write_fds;
  for (size_t i = 0; i < npipes; ++i) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) break;
    read_fds.push_back(fds[0]);
    write_fds.push_back(fds[1]);
  }
  auto close_all = [](std::vector<int>& fds) {
    for (int fd : fds) ::close(fd);
    fds.clear();
  };
  if (read_fds.size() != npipes) {
    close_all(read_fds);
    close_all(write_fds);
    phase_ = Phase::kDone;
    logf(LogLevel::kWarning, "Can't create pipes for the replicas' full sync: %s", strerror(errno));
    return fail_links(links);
  }
  Persistence& persistence = server_.persistence();
  if (disk_) {
    writes_at_fork_ = persistence.writes_now();
    persistence.count_save();
  }
  started_ms_ = storage::now_ms();
  storage::Keyspace& ks = server_.keyspace();
  const std::string replid = stream_log().replid();
  const pid_t parent = ::getpid();
  // Signals stay blocked across fork() until the child has reset the server's handlers.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  // The snapshot point: with every shard locked, all writes with a lower ticket are in the
  // data and none with a higher one; every replica's stream starts there.
  ks.lock_all();
  ticket_ = replication::StreamLog::next_ticket();
  for (auto& l : links) l->attach_at(ticket_);
  if (storage::FlashTier* flash = ks.flash()) flash->prepare_fork();
  const pid_t pid = ::fork();
  if (pid == 0) {
    child_setup(parent);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    for (int fd : read_fds) ::close(fd);
    std::string err;
    bool ok;
    if (disk_) {
      const std::string path = "temp-" + std::to_string(::getpid()) + ".rdb";
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      // The offset is not known yet here (writes before the snapshot point may still be
      // on their way to the log); the replica takes it from +FULLRESYNC.
      ok = fd >= 0 && write_snapshot(ks, fd, replid, 0, &err) && ::fsync(fd) == 0;
    } else {
      ok = write_snapshot(ks, write_fds, replid, 0, &err);
    }
    ::_exit(ok ? 0 : 1);
  }
  const int fork_errno = errno;
  ks.unlock_all();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close_all(write_fds);
  if (pid < 0) {
    close_all(read_fds);
    phase_ = Phase::kDone;
    logf(LogLevel::kWarning, "Can't fork for the replicas' full sync: %s", strerror(fork_errno));
    if (disk_) persistence.background_save_done(false, writes_at_fork_, started_ms_);
    return fail_links(links);
  }
  child_ = pid;
  if (disk_) {
    temp_path_ = "temp-" + std::to_string(pid) + ".rdb";
    exit_pipe_ = std::make_unique<asio::posix::stream_descriptor>(home_.io, read_fds[0]);
    logf(LogLevel::kNotice, "Starting BGSAVE for SYNC with target: disk");
    logf(LogLevel::kNotice, "Background saving started by pid %d", static_cast<int>(pid));
    lk.unlock();
    wait_for_file();
    return;
  }
  logf(LogLevel::kNotice, "Starting BGSAVE for SYNC with target: replicas sockets");
  logf(LogLevel::kNotice, "Background RDB transfer started by pid %d", static_cast<int>(pid));
  for (size_t i = 0; i < links.size(); ++i) links[i]->snapshot_started(read_fds[i]);
}

void FullSyncJob::wait_for_file() {
  auto self = shared_from_this();
  exit_pipe_->async_read_some(asio::buffer(exit_buf_),
                              [self](const asio::error_code& ec, size_t n) {
                                if (!ec && n > 0) return self->wait_for_file();
                                self->file_written();
                              });
}

// The disk child has exited: the file is opened before it is renamed into place, so a
// save finishing right after cannot swap another snapshot under the replicas.
void FullSyncJob::file_written() {
  exit_pipe_.reset();
  std::vector<std::shared_ptr<ReplicaLink>> links;
  bool ok;
  {
    std::lock_guard<std::mutex> g(mu_);
    ok = reap(child_);
    child_ = -1;
    phase_ = Phase::kDone;
    links = live_links_locked();
  }
  std::string why = ok ? "" : "the child failed";
  if (ok) {
    file_fd_ = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    const std::string final_name = server_.config().text("dbfilename");
    if (file_fd_ < 0 || ::fstat(file_fd_, &st) != 0) {
      ok = false;
      why = strerror(errno);
    } else if (::rename(temp_path_.c_str(), final_name.c_str()) != 0) {
      ok = false;
      why = std::string("rename: ") + strerror(errno);
    } else {
      renamed_ = true;
      file_size_ = static_cast<uint64_t>(st.st_size);
    }
  }
  server_.persistence().background_save_done(ok, writes_at_fork_, started_ms_);
  if (ok) {
    logf(LogLevel::kNotice, "Background saving terminated with success");
  } else {
    logf(LogLevel::kWarning, "Background saving error: %s", why.c_str());
  }
  for (auto& l : links) l->snapshot_ready(ok);
}

bool FullSyncJob::child_succeeded() {
  std::lock_guard<std::mutex> g(mu_);
  if (child_ > 0) {
    child_ok_ = reap(child_);
    child_ = -1;
  }
  return child_ok_;
}

}  // namespace terndb::server
