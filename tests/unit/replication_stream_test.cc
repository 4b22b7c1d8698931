// The replication stream's pure parts: command rewriting and the ordered log.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "replication/rewrite.h"
#include "replication/stream_log.h"
#include "storage/write_order.h"

namespace terndb::replication {
namespace {

std::vector<Argv> rw(std::vector<std::string_view> argv, std::string_view reply = "+OK\r\n",
                     int64_t now = 1000000) {
  std::string name(argv[0]);
  for (auto& c : name) c = static_cast<char>(tolower(c));
  return rewrite_for_stream(name, argv, reply, now);
}

TEST(Rewrite, RelativeExpiriesBecomeAbsolute) {
  EXPECT_EQ(rw({"EXPIRE", "k", "10"}), (std::vector<Argv>{{"PEXPIREAT", "k", "1010000"}}));
  EXPECT_EQ(rw({"PEXPIRE", "k", "10", "NX"}), (std::vector<Argv>{{"PEXPIREAT", "k", "1000010"}}));
  EXPECT_EQ(rw({"EXPIREAT", "k", "2000"}), (std::vector<Argv>{{"PEXPIREAT", "k", "2000000"}}));
  // A time already past deleted the key.
  EXPECT_EQ(rw({"EXPIRE", "k", "-1"}), (std::vector<Argv>{{"DEL", "k"}}));
  EXPECT_EQ(rw({"SETEX", "k", "5", "v"}),
            (std::vector<Argv>{{"SET", "k", "v", "PXAT", "1005000"}}));
  EXPECT_EQ(rw({"PSETEX", "k", "5", "v"}),
            (std::vector<Argv>{{"SET", "k", "v", "PXAT", "1000005"}}));
  EXPECT_EQ(rw({"SET", "k", "v", "NX", "EX", "2", "GET"}),
            (std::vector<Argv>{{"SET", "k", "v", "PXAT", "1002000"}}));
  EXPECT_EQ(rw({"SET", "k", "v", "KEEPTTL"}), (std::vector<Argv>{{"SET", "k", "v", "KEEPTTL"}}));
  EXPECT_EQ(rw({"SET", "k", "v"}), (std::vector<Argv>{{"SET", "k", "v"}}));
  EXPECT_EQ(rw({"GETEX", "k", "EX", "1"}), (std::vector<Argv>{{"PEXPIREAT", "k", "1001000"}}));
  EXPECT_EQ(rw({"GETEX", "k", "PERSIST"}), (std::vector<Argv>{{"PERSIST", "k"}}));
}

TEST(Rewrite, OutcomesReadFromTheReply) {
  EXPECT_EQ(rw({"INCRBYFLOAT", "k", "0.1"}, "$3\r\n1.1\r\n"),
            (std::vector<Argv>{{"SET", "k", "1.1", "KEEPTTL"}}));
  EXPECT_EQ(rw({"HINCRBYFLOAT", "h", "f", "2"}, "$1\r\n3\r\n"),
            (std::vector<Argv>{{"HSET", "h", "f", "3"}}));
  EXPECT_EQ(rw({"SPOP", "s"}, "$1\r\na\r\n"), (std::vector<Argv>{{"SREM", "s", "a"}}));
  EXPECT_EQ(rw({"SPOP", "s", "2"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            (std::vector<Argv>{{"SREM", "s", "a", "b"}}));
  EXPECT_EQ(rw({"SPOP", "s", "2"}, "~2\r\n$1\r\na\r\n$1\r\nb\r\n"),  // RESP3 set
            (std::vector<Argv>{{"SREM", "s", "a", "b"}}));
  EXPECT_TRUE(rw({"SPOP", "s"}, "$-1\r\n").empty());
  EXPECT_EQ(rw({"BLPOP", "a", "b", "0"}, "*2\r\n$1\r\nb\r\n$1\r\nx\r\n"),
            (std::vector<Argv>{{"LPOP", "b"}}));
  EXPECT_EQ(rw({"BZPOPMAX", "z", "0"}, "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n"),
            (std::vector<Argv>{{"ZPOPMAX", "z"}}));
  EXPECT_EQ(rw({"BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "5"},
               "*2\r\n$1\r\na\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
            (std::vector<Argv>{{"RPOP", "a", "2"}}));
  EXPECT_EQ(rw({"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"}),
            (std::vector<Argv>{{"LMOVE", "a", "b", "LEFT", "RIGHT"}}));
  EXPECT_EQ(rw({"BRPOPLPUSH", "a", "b", "0"}), (std::vector<Argv>{{"RPOPLPUSH", "a", "b"}}));
}

class Reader : public StreamReader {
 public:
  void wake() override { ++wakes; }
  void cut_off() override { cut = true; }
  int wakes = 0;
  bool cut = false;
};

StreamBatch one(int db, Argv argv) {
  StreamBatch b;
  b.items.push_back(StreamItem{db, std::move(argv)});
  return b;
}

TEST(StreamLog, AppendsInTicketOrderAndSelectsDatabases) {
  StreamLog log;
  log.activate();
  uint64_t t1 = storage::write_sequence().next.fetch_add(1);
  uint64_t t2 = storage::write_sequence().next.fetch_add(1);
  uint64_t t3 = storage::write_sequence().next.fetch_add(1);
  auto r = std::make_shared<Reader>();
  log.attach(r, log.offset());
  log.submit(t3, one(1, {"SET", "c", "3"}));
  log.submit(t2, StreamBatch{});  // a ticket that propagated nothing
  EXPECT_EQ(log.offset(), 0u);    // waits for t1
  log.submit(t1, one(0, {"SET", "a", "1"}));
  std::string out;
  ASSERT_TRUE(log.read(r.get(), 1 << 20, out));
  EXPECT_EQ(out,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
  EXPECT_EQ(log.offset(), out.size());
  EXPECT_EQ(r->wakes, 1);
}

TEST(StreamLog, TransactionsAndPartialResync) {
  StreamLog log;
  log.activate();
  StreamBatch b;
  b.transaction = true;
  b.items.push_back(StreamItem{0, {"INCR", "n"}});
  b.items.push_back(StreamItem{0, {"DEL", "k"}});
  log.submit(storage::write_sequence().next.fetch_add(1), std::move(b));
  std::string id = log.replid();
  uint64_t off = log.offset();
  EXPECT_TRUE(log.can_continue(id, 0));
  EXPECT_TRUE(log.can_continue(id, off));
  EXPECT_FALSE(log.can_continue(id, off + 1));
  EXPECT_FALSE(log.can_continue(std::string(40, 'a'), 0));
  auto r = std::make_shared<Reader>();
  log.attach(r, 0);
  std::string out;
  ASSERT_TRUE(log.read(r.get(), 1 << 20, out));
  EXPECT_NE(out.find("MULTI"), std::string::npos);
  EXPECT_LT(out.find("INCR"), out.find("DEL"));
  EXPECT_NE(out.find("EXEC"), std::string::npos);
  // Promotion: the old id stays valid up to the offset where it ended.
  log.shift_replid();
  EXPECT_NE(log.replid(), id);
  EXPECT_EQ(log.replid2(), id);
  EXPECT_TRUE(log.can_continue(id, off));
  log.append_command({"PING"});
  EXPECT_FALSE(log.can_continue(id, log.offset()));
  EXPECT_TRUE(log.can_continue(log.replid(), log.offset()));
}

TEST(StreamLog, FullSyncReaderStartsAtItsTicket) {
  StreamLog log;
  log.activate();
  uint64_t t1 = storage::write_sequence().next.fetch_add(1);
  uint64_t snapshot = StreamLog::next_ticket();
  auto r = std::make_shared<Reader>();
  uint64_t placed = ~0ull;
  log.attach_at_ticket(r, snapshot, [&](uint64_t off) { placed = off; });
  EXPECT_EQ(placed, ~0ull);
  log.submit(t1, one(0, {"SET", "before", "1"}));
  EXPECT_EQ(placed, log.offset());
  log.append_command({"SET", "after", "1"});
  std::string out;
  ASSERT_TRUE(log.read(r.get(), 1 << 20, out));
  EXPECT_EQ(out.find("before"), std::string::npos);
  EXPECT_NE(out.find("after"), std::string::npos);
}

TEST(StreamLog, LateReaderJoinsAPassedSnapshotPoint) {
  StreamLog log;
  log.activate();
  uint64_t snapshot = StreamLog::next_ticket();
  auto first = std::make_shared<Reader>();
  uint64_t placed_first = ~0ull;
  ASSERT_TRUE(log.attach_at_ticket(first, snapshot, [&](uint64_t off) { placed_first = off; }));
  log.append_command({"SET", "after", "1"});  // takes `snapshot`: the point is placed
  ASSERT_NE(placed_first, ~0ull);
  // A replica joining the same snapshot later starts at the same offset, SELECT included.
  auto late = std::make_shared<Reader>();
  uint64_t placed_late = ~0ull;
  ASSERT_TRUE(log.attach_at_ticket(late, snapshot, [&](uint64_t off) { placed_late = off; }));
  EXPECT_EQ(placed_late, placed_first);
  std::string a, b;
  ASSERT_TRUE(log.read(first.get(), 1 << 20, a));
  ASSERT_TRUE(log.read(late.get(), 1 << 20, b));
  EXPECT_EQ(a, b);
  EXPECT_NE(b.find("after"), std::string::npos);
  // A passed ticket that was no snapshot point cannot be joined.
  log.append_command({"PING"});  // takes snapshot + 1
  auto other = std::make_shared<Reader>();
  EXPECT_FALSE(log.attach_at_ticket(other, snapshot + 1, [](uint64_t) {}));
  EXPECT_EQ(log.reader_count(), 2u);
}

TEST(StreamLog, FreedBacklogDropsHistoryAndIdentity) {
  StreamLog log;
  log.activate();
  log.append_command({"SET", "k", "1"});
  const std::string id = log.replid();
  const uint64_t off = log.offset();
  auto r = std::make_shared<Reader>();
  log.attach(r, off);
  EXPECT_FALSE(log.free_backlog());  // never under a reader
  log.detach(r.get());
  // A ticket taken before the backlog goes is handed in after: dropped.
  uint64_t in_flight = storage::write_sequence().next.fetch_add(1);
  ASSERT_TRUE(log.free_backlog());
  EXPECT_FALSE(storage::write_sequence().enabled.load());
  EXPECT_FALSE(log.backlog_active());
  EXPECT_EQ(log.backlog_histlen(), 0u);
  EXPECT_EQ(log.backlog_first_byte(), 0u);
  EXPECT_NE(log.replid(), id);
  EXPECT_EQ(log.replid2(), std::string(40, '0'));
  EXPECT_EQ(log.offset(), off);
  EXPECT_FALSE(log.can_continue(id, off));
  log.submit(in_flight, one(0, {"SET", "lost", "1"}));
  EXPECT_EQ(log.offset(), off);
  EXPECT_FALSE(log.free_backlog());  // already off
  // The next replica turns it on again: the offset goes on from where it was.
  log.activate();
  log.append_command({"SET", "k", "2"});
  EXPECT_GT(log.offset(), off);
  EXPECT_TRUE(log.can_continue(log.replid(), off));
  EXPECT_FALSE(log.can_continue(id, off));
}

}  // namespace
}  // namespace terndb::replication
