// Master side of one replica: after PSYNC/SYNC the client's socket is handed over to a
// ReplicaLink, which sends the snapshot (full sync) and then the stream from the log, and
// reads the replica's REPLCONF ACKs. It lives on the worker that served the client.
#pragma once

#include <sys/types.h>

#include <asio.hpp>
#include <memory>
#include <string>

#include "protocol/resp_parser.h"
#include "replication/stream_log.h"
#include "server/replication.h"

namespace terndb::server {

class Server;
struct Worker;
class FullSyncJob;

class ReplicaLink : public replication::StreamReader,
                    public std::enable_shared_from_this<ReplicaLink> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  ReplicaLink(Server& server, Worker& worker, Socket socket, std::string addr, ReplicaHello hello);
  ~ReplicaLink() override;

  // +FULLRESYNC and a snapshot, then the stream.
  void start_full_sync(std::string pending_out, std::string pending_in);
  // +CONTINUE: the stream from `offset` (the replica's master_repl_offset).
  void start_continue(uint64_t offset, bool send_replid, std::string pending_out,
                      std::string pending_in);

  // StreamReader (called with the log's lock held: post only).
  void wake() override;
  void cut_off() override;

  // Called by the FullSyncJob (server/full_sync_job.h), from any thread.
  // Places this replica's stream at the snapshot point `ticket` (see StreamLog).
  bool attach_at(uint64_t ticket);
  // Diskless: the read end of the pipe the child writes this replica's snapshot into.
  void snapshot_started(int pipe_fd);
  // Disk: the file is written (ok) or the snapshot failed (either way: ok false closes).
  void snapshot_ready(bool ok);
  bool closed() const { return closed_.load(); }
  // Every second: a newline while the replica waits for its snapshot to start or for the
  // file to be written, so that its repl-timeout does not fire (as Redis does).
  void keepalive();

  ReplicaView view() const;
  uint64_t ack_offset() const { return ack_offset_.load(); }
  int64_t last_ack_ms() const { return last_ack_ms_.load(); }
  void close();

 private:
  void read_acks();
  void on_placed(uint64_t offset);
  void forward_snapshot();
  void snapshot_finished();
  void send_file_chunk();
  void pump();
  void write_raw(std::string bytes);
  void after_write();

  Server& server_;
  Worker& worker_;
  Socket socket_;
  std::string addr_;
  ReplicaHello hello_;
  std::atomic<int> state_{0};  // 0 wait_bgsave, 1 send_bulk, 2 online
  std::atomic<uint64_t> ack_offset_{0};
  std::atomic<int64_t> last_ack_ms_{0};
  std::atomic<bool> closed_{false};
  // After an EOF-marked snapshot the stream waits for the replica's first ACK, as Redis
  // does: the replica looks for the marker at the end of what it read.
  bool await_ack_ = false;
  bool writing_ = false;
  std::string out_;  // queued for writing
  std::string writing_buf_;
  std::string in_;
  protocol::RequestParser parser_;
  char read_buf_[4096];
  // The snapshot (shared with the replicas that synced with us) and, diskless, the pipe
  // its child writes to; disk: how far the file was sent.
  std::shared_ptr<FullSyncJob> job_;
  std::unique_ptr<asio::posix::stream_descriptor> pipe_;
  std::string eof_mark_;
  std::string pipe_buf_;
  bool pipe_reading_ = false;
  bool file_ready_ = false;
  bool file_head_sent_ = false;
  uint64_t file_pos_ = 0;
};

}  // namespace terndb::server
