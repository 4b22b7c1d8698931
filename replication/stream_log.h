// The replication stream as one ordered byte log: its replication ids, its offset, the
// backlog that partial resyncs read from, and the replicas reading it.
//
// Writers hand in what a command propagates together with the ticket it took from
// storage::write_sequence() (see storage/write_order.h). Commands finish in any order on
// the io threads; the log keeps what arrives early in a small reorder buffer and appends
// strictly in ticket order, so every key's writes appear in the order they were applied.
// A ticket that ends up propagating nothing is still handed in (empty), or the stream
// would wait for it forever.
//
// The bytes are kept in one buffer that serves as the backlog (`repl-backlog-size`) and as
// every replica's output buffer: a replica is a cursor into it, and bytes are dropped from
// the front only once the backlog does not need them and no replica has yet to read them.
// A replica that falls further behind than its output-buffer limit is cut off.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "replication/rewrite.h"

namespace terndb::replication {

struct StreamItem {
  int db = 0;
  Argv argv;
};

// One command's contribution: its items (MULTI ... EXEC around them when `transaction`),
// or bytes received from our master, appended verbatim so our offsets stay equal to its.
struct StreamBatch {
  std::vector<StreamItem> items;
  bool transaction = false;
  std::string raw;
  // Active replication: each item goes out as `RREPLAY <wrap_origin> <item> <db> <mvcc>`,
  // stamped as it is appended, so an origin's stamps rise in stream order.
  std::string wrap_origin;
};

// A reader of the stream (a replica's link). Its callbacks run with the log's lock held:
// they must only post work to the reader's own thread.
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // Bytes past the reader's position arrived (called once until the reader reads again).
  virtual void wake() = 0;
  // The reader is too far behind (output-buffer limit) or the log was reset under it.
  virtual void cut_off() = 0;
};

class StreamLog {
 public:
  StreamLog();

  // Identity and position, as PSYNC and INFO replication name them.
  std::string replid() const;
  std::string replid2() const;
  int64_t second_offset() const;        // second_repl_offset, -1 when there is no replid2
  uint64_t offset() const;              // master_repl_offset: bytes ever appended
  uint64_t backlog_first_byte() const;  // repl_backlog_first_byte_offset
  uint64_t backlog_histlen() const;
  bool backlog_active() const;

  void set_backlog_size(uint64_t bytes);
  void set_reader_limit(uint64_t bytes) { reader_limit_ = bytes; }

  // Turns the write sequence on (first replica, or becoming a replica): from now on
  // writes take tickets and must be handed in.
  void activate();
  // repl-backlog-ttl ran out on a master without replicas: the backlog is dropped and the
  // sequence turned off until the next replica, under a new replication id (a replica
  // of the old history must not continue from an offset that kept counting nowhere).
  // False, doing nothing, while a reader is attached or the log is off.
  bool free_backlog();

  // Appends in ticket order (see above).
  void submit(uint64_t ticket, StreamBatch batch);
  // Takes a ticket and appends one command now (PING, REPLCONF GETACK).
  void append_command(const Argv& argv);

  // Becoming a replica of a master whose stream we now follow from `offset` (full sync):
  // new identity, empty backlog; readers are cut off.
  void reset(const std::string& replid, uint64_t offset);
  // A replica's master moved to a new replication id at our offset (+CONTINUE <id>).
  void switch_replid(const std::string& replid);
  // Promotion (REPLICAOF NO ONE) or a new master: the current id becomes replid2, valid up
  // to our offset, and a fresh id is drawn.
  void shift_replid();

  // PSYNC: whether a replica following `replid` that has `offset` bytes can continue from
  // here. `offset` is its master_repl_offset (PSYNC's argument minus one).
  bool can_continue(const std::string& replid, uint64_t offset) const;

  // Readers. attach() places a reader at `offset` (checked by can_continue); attach_at_ticket()
  // places it where the write with `ticket` will start (a full sync's snapshot point),
  // calling `placed(offset)` then, with the lock held.
  void attach(const std::shared_ptr<StreamReader>& r, uint64_t offset);
  // A ticket already passed is accepted when it was a snapshot point some reader was placed
  // at and its bytes are still held (a replica joining a snapshot under way); otherwise
  // false, attaching nothing.
  bool attach_at_ticket(const std::shared_ptr<StreamReader>& r, uint64_t ticket,
                        std::function<void(uint64_t)> placed);
  void detach(const StreamReader* r);
  // Copies up to `max` bytes from the reader's position to `out`, advancing it. Returns
  // false when the reader is no longer attached.
  bool read(const StreamReader* r, size_t max, std::string& out);
  // The reader's position (its acknowledged-or-sent offset), or 0.
  uint64_t position(const StreamReader* r) const;
  size_t reader_count() const;
  // Bytes a reader still has to read.
  uint64_t lag_bytes(const StreamReader* r) const;

  // The ticket the next write will take (storage::write_sequence()).
  static uint64_t next_ticket();

 private:
  struct Reader {
    std::weak_ptr<StreamReader> reader;
    const StreamReader* key;
    uint64_t pos = 0;
    bool placed = true;
    uint64_t start_ticket = 0;
    std::function<void(uint64_t)> on_placed;
    bool woken = false;
  };
  void drain_locked();
  void append_locked(StreamBatch& batch);
  void encode(const Argv& argv);
  void place_readers_locked();
  void trim_locked();
  void wake_readers_locked();
  Reader* find_locked(const StreamReader* r);
  const Reader* find_locked(const StreamReader* r) const;

  mutable std::mutex mu_;
  std::string replid_;
  std::string replid2_;
  int64_t second_offset_ = -1;
  uint64_t offset_ = 0;  // bytes ever appended
  std::string buf_;      // the bytes (offset_ - buf_.size(), offset_]
  uint64_t backlog_size_ = 1024 * 1024;
  uint64_t reader_limit_ = 256ull * 1024 * 1024;
  bool active_ = false;
  int selected_db_ = -1;
  uint64_t expected_ticket_ = 1;
  std::map<uint64_t, StreamBatch> early_;  // handed in before their turn
  std::vector<Reader> readers_;
  // The last snapshot points readers were placed at: ticket -> offset.
  std::map<uint64_t, uint64_t> snapshot_points_;
};

// A new 40-hex-digit replication id.
std::string random_replid();

}  // namespace terndb::replication
