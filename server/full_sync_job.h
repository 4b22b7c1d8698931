// One full-sync snapshot, shared by the replicas that wait for it together.
//
// A job has one snapshot point (a ticket taken with every shard lock held, so the stream of
// each of its replicas starts right after the last write in the data) and one forked child
// writing the RDB:
//
// * Diskless (`repl-diskless-sync yes` and a replica that sent `capa eof`): the child writes
//   the same bytes into one pipe per replica, each forwarded by its ReplicaLink as the
//   `$EOF:<mark>` payload. The job waits `repl-diskless-sync-delay` seconds after the first
//   replica asks, or until `repl-diskless-sync-max-replicas` wait, so that replicas arriving
//   meanwhile share the fork.
// * Disk (`repl-diskless-sync no`, or a replica without `capa eof`, as Redis decides): the
//   child writes temp-<pid>.rdb in `dir`; once it exits the job opens the file, renames it
//   over `dbfilename` (it counts as a background save, as Redis's BGSAVE for replication
//   does) and each replica streams it from disk as `$<length>`. A replica asking while the
//   child runs joins it, as in Redis.
#pragma once

#include <sys/types.h>

#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace terndb::server {

class Server;
struct Worker;
class ReplicaLink;

class FullSyncJob : public std::enable_shared_from_this<FullSyncJob> {
 public:
  FullSyncJob(Server& server, Worker& home, bool disk);
  ~FullSyncJob();

  // A replica needs a full sync: it joins a job it can share or a new one is made. Runs on
  // the link's worker. Null when nothing could be started (the link is then closed).
  static std::shared_ptr<FullSyncJob> request(Server& server, Worker& worker,
                                              const std::shared_ptr<ReplicaLink>& link, bool disk);

  bool disk() const { return disk_; }
  // Diskless: once a replica's pipe reached its end, whether the child succeeded (reaps it).
  bool child_succeeded();
  // Disk, after the link was told the file is ready: the open file and its size.
  int file_fd() const { return file_fd_; }
  uint64_t file_size() const { return file_size_; }

 private:
  bool join(const std::shared_ptr<ReplicaLink>& link);
  void start();
  void wait_for_file();
  void file_written();
  void fail_links(const std::vector<std::shared_ptr<ReplicaLink>>& links);
  std::vector<std::shared_ptr<ReplicaLink>> live_links_locked();

  Server& server_;
  Worker& home_;  // the timer and the disk child's pipe run here
  const bool disk_;
  std::mutex mu_;
  enum class Phase { kWaiting, kRunning, kDone } phase_ = Phase::kWaiting;
  std::vector<std::weak_ptr<ReplicaLink>> links_;
  uint64_t ticket_ = 0;
  pid_t child_ = -1;
  bool child_ok_ = false;
  asio::steady_timer timer_;
  // Disk: the child holds the write end of this pipe; its end tells that the file is done.
  std::unique_ptr<asio::posix::stream_descriptor> exit_pipe_;
  char exit_buf_[64];
  std::string temp_path_;
  bool renamed_ = false;
  int file_fd_ = -1;
  uint64_t file_size_ = 0;
  uint64_t writes_at_fork_ = 0;
  int64_t started_ms_ = 0;
};

}  // namespace terndb::server
