// The flash tier on RocksDB: FlashStore round trips (every type, expiries, a column family
// per database, FLUSHDB and SWAPDB, reopening), and a keyspace with flash behind it
// (write-through, eviction to flash and the miss path, DBSIZE, snapshots with keys on
// flash only).
#include "storage/flash_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "storage/digest.h"
#include "storage/hash_value.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"
#include "storage/list_value.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace st = terndb::storage;
namespace rdb = terndb::storage::rdb;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/terndb-flash-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<st::FlashStore> open_store(const std::string& path, int64_t now = kNow) {
  st::FlashOptions opt;
  opt.path = path;
  opt.databases = 4;
  opt.write_buffer_bytes = 4 << 20;
  opt.block_cache_bytes = 2 << 20;
  std::string err;
  auto s = st::FlashStore::open(opt, now, &err);
  EXPECT_TRUE(s) << err;
  return s;
}

struct EntryDeleter {
  void operator()(st::Entry* e) const { st::free_entry(e); }
};
using EntryPtr = std::unique_ptr<st::Entry, EntryDeleter>;

std::string string_of(const st::Entry* e) {
  char scratch[32];
  return std::string(e->string_value(scratch));
}

void register_digests() {
  static bool done = [] {
    st::register_hash_digest();
    st::register_set_digest();
    st::register_list_digest();
    st::register_zset_digest();
    return true;
  }();
  (void)done;
}

// A few keys of every type.
void fill(st::Keyspace& ks, int db) {
  auto put = [&](const std::string& key, st::Entry* e) {
    st::KeyHandle h(ks, db, key, kNow, false);
    h.put(e);
  };
  put("int", st::make_string_entry("int", "12345", -1));
  put("raw", st::make_string_entry("raw", std::string(5000, 'r') + "end", kNow + 60000));
  auto* list = new st::ListValue();
  for (int i = 0; i < 300; ++i) list->push(st::ListEnd::kTail, "e" + std::to_string(i));
  put("list", st::make_object_entry("list", st::ValueType::kList, list, -1));
  auto* set = st::SetValue::create_for("a");
  for (int i = 0; i < 50; ++i) set->add("m" + std::to_string(i));
  put("set", st::make_object_entry("set", st::ValueType::kSet, set, -1));
  auto* hash = new st::HashValue();
  for (int i = 0; i < 200; ++i) hash->set("f" + std::to_string(i), std::to_string(i * 3));
  put("hash", st::make_object_entry("hash", st::ValueType::kHash, hash, -1));
  auto* z = new st::ZSetValue();
  for (int i = 0; i < 20; ++i) z->add("z" + std::to_string(i), i * 1.5, 0, nullptr);
  put("zset", st::make_object_entry("zset", st::ValueType::kZSet, z, kNow + 90000));
}

TEST(FlashStore, StringsRoundTripWithExpiry) {
  TempDir dir;
  auto s = open_store(dir.path());
  EntryPtr a(st::make_string_entry("views/a", std::string(12000, 'x'), -1));
  EntryPtr b(st::make_string_entry("views/b", "42", kNow + 5000));
  s->store(0, *a);
  s->store(0, *b);
  EntryPtr got_a(s->fetch(0, "views/a"));
  ASSERT_TRUE(got_a);
  EXPECT_EQ(string_of(got_a.get()), std::string(12000, 'x'));
  EXPECT_EQ(got_a->expire_at(), -1);
  EntryPtr got_b(s->fetch(0, "views/b"));
  ASSERT_TRUE(got_b);
  EXPECT_EQ(string_of(got_b.get()), "42");
  EXPECT_EQ(got_b->value_encoding(), st::Encoding::kInt);
  EXPECT_EQ(got_b->expire_at(), kNow + 5000);
  s->remove(0, "views/a");
  EXPECT_FALSE(EntryPtr(s->fetch(0, "views/a")));
  EXPECT_FALSE(EntryPtr(s->fetch(0, "never")));
}

TEST(FlashStore, ColumnFamilyPerDatabaseFlushAndSwap) {
  TempDir dir;
  {
    auto s = open_store(dir.path());
    EntryPtr one(st::make_string_entry("k", "in-db0", -1));
    EntryPtr two(st::make_string_entry("k", "in-db1", -1));
    EntryPtr three(st::make_string_entry("other", "in-db1", -1));
    s->store(0, *one);
    s->store(1, *two);
    s->store(1, *three);
    EXPECT_EQ(string_of(EntryPtr(s->fetch(0, "k")).get()), "in-db0");
    EXPECT_EQ(string_of(EntryPtr(s->fetch(1, "k")).get()), "in-db1");
    EXPECT_FALSE(EntryPtr(s->fetch(2, "k")));
    s->swap(0, 1);
    EXPECT_EQ(string_of(EntryPtr(s->fetch(0, "k")).get()), "in-db1");
    EXPECT_EQ(string_of(EntryPtr(s->fetch(1, "k")).get()), "in-db0");
    s->clear(1);
    EXPECT_FALSE(EntryPtr(s->fetch(1, "k")));
    EXPECT_TRUE(EntryPtr(s->fetch(0, "other")));
    // A key beyond the range tombstone's upper bound goes too.
    EntryPtr high(st::make_string_entry(std::string(20, '\xff'), "v", -1));
    s->store(2, *high);
    s->clear(2);
    EXPECT_FALSE(EntryPtr(s->fetch(2, std::string(20, '\xff'))));
  }
  // The swap is remembered; each database's keys are counted at open.
  auto s = open_store(dir.path());
  EXPECT_EQ(string_of(EntryPtr(s->fetch(0, "k")).get()), "in-db1");
  EXPECT_EQ(s->offloaded(0), 2);
  EXPECT_EQ(s->offloaded(1), 0);
}

TEST(FlashStore, ReopenDropsKeysThatExpiredMeanwhile) {
  TempDir dir;
  {
    auto s = open_store(dir.path());
    EntryPtr live(st::make_string_entry("live", "v", kNow + 100000));
    EntryPtr dying(st::make_string_entry("dying", "v", kNow + 1000));
    s->store(0, *live);
    s->store(0, *dying);
  }
  auto s = open_store(dir.path(), kNow + 2000);
  EXPECT_EQ(s->offloaded(0), 1);
  EXPECT_TRUE(EntryPtr(s->fetch(0, "live")));
  EXPECT_FALSE(EntryPtr(s->fetch(0, "dying")));
}

TEST(FlashKeyspace, WriteThroughEvictionAndMissPath) {
  TempDir dir;
  auto s = open_store(dir.path());
  st::Keyspace ks(4, 2);
  ks.set_flash(s.get());
  fill(ks, 0);
  EXPECT_EQ(ks.db_size(0), 6u);
  // Writes reach flash in batches: the next flush (or the store's thread) writes them.
  s->flush_all_dirty(false);
  EXPECT_EQ(s->offloaded(0), 0);
  EXPECT_TRUE(EntryPtr(s->fetch(0, "hash")));
  {
    st::KeyHandle h(ks, 0, "hash", kNow, false);
    h.modify_object([](st::CompositeValue* v) { static_cast<st::HashValue*>(v)->set("new", "x"); });
  }
  // Evicting a changed key writes its latest value first.
  {
    st::KeyHandle h(ks, 0, "hash", kNow, false);
    EXPECT_TRUE(h.drop_from_memory());
  }
  {
    EntryPtr h(s->fetch(0, "hash"));
    ASSERT_TRUE(h);
    EXPECT_EQ(static_cast<st::HashValue*>(h->object())->size(), 201u);
  }
  // Evicted keys leave RAM, stay counted and come back on access.
  for (const char* k : {"int", "list"}) {
    st::KeyHandle h(ks, 0, k, kNow, false);
    EXPECT_TRUE(h.drop_from_memory());
  }
  EXPECT_EQ(ks.db_size(0), 6u);
  EXPECT_EQ(s->offloaded(0), 3);
  {
    st::KeyHandle h(ks, 0, "list", kNow, false);
    st::Entry* e = h.get();
    ASSERT_TRUE(e);
    EXPECT_EQ(static_cast<st::ListValue*>(e->object())->size(), 300u);
  }
  EXPECT_EQ(s->offloaded(0), 2);
  // Deleting a key that is on flash only removes it from flash; until the batch is written
  // the miss path knows it is gone.
  {
    st::KeyHandle h(ks, 0, "int", kNow, false);
    EXPECT_TRUE(h.erase());
  }
  EXPECT_TRUE(EntryPtr(s->fetch(0, "int")));
  {
    st::KeyHandle h(ks, 0, "int", kNow, false);
    EXPECT_EQ(h.get(), nullptr);
  }
  s->flush_all_dirty(false);
  EXPECT_FALSE(EntryPtr(s->fetch(0, "int")));
  EXPECT_EQ(ks.db_size(0), 5u);
  // An expired key read from flash is deleted.
  {
    st::KeyHandle h(ks, 0, "raw", kNow, false);
    EXPECT_TRUE(h.drop_from_memory());
  }
  {
    st::KeyHandle h(ks, 0, "raw", kNow + 70000, false);
    EXPECT_EQ(h.get(), nullptr);
  }
  EXPECT_FALSE(EntryPtr(s->fetch(0, "raw")));
  EXPECT_EQ(ks.db_size(0), 4u);
  // FLUSHDB empties both tiers.
  ks.flush_db(0);
  EXPECT_EQ(ks.db_size(0), 0u);
  EXPECT_FALSE(EntryPtr(s->fetch(0, "hash")));
}

TEST(FlashKeyspace, SnapshotsCarryKeysOnFlashOnly) {
  register_digests();
  TempDir dir;
  auto s = open_store(dir.path());
  st::Keyspace ks(4, 2);
  ks.set_flash(s.get());
  fill(ks, 0);
  fill(ks, 2);
  st::Keyspace all_in_ram(4, 2);
  fill(all_in_ram, 0);
  fill(all_in_ram, 2);
  for (const char* k : {"int", "raw", "zset", "set"}) {
    st::KeyHandle h(ks, 0, k, kNow, false);
    ASSERT_TRUE(h.drop_from_memory());
  }
  {
    st::KeyHandle h(ks, 2, "list", kNow, false);
    ASSERT_TRUE(h.drop_from_memory());
  }
  auto reload = [](st::Keyspace& from) {
    rdb::StringSink sink;
    std::string err;
    from.lock_all();  // as SAVE does
    EXPECT_TRUE(rdb::write_rdb(from, sink, rdb::WriteOptions(), &err)) << err;
    from.unlock_all();
    auto to = std::make_unique<st::Keyspace>(4, 2);
    rdb::MemorySource src(sink.str());
    rdb::LoadOptions opt;
    opt.now_ms = kNow;
    rdb::LoadResult r = rdb::load_rdb(src, *to, opt);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.keys_loaded, 12u);
    return to;
  };
  auto from_flash = reload(ks);
  auto from_ram = reload(all_in_ram);
  EXPECT_EQ(st::dataset_digest_hex(*from_flash, kNow), st::dataset_digest_hex(*from_ram, kNow));

  // In a forked child, from a checkpoint taken just before the fork.
  ks.lock_all();
  s->prepare_fork();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    rdb::FdSink sink(fds[1]);
    std::string err;
    _exit(rdb::write_rdb(ks, sink, rdb::WriteOptions(), &err) ? 0 : 1);
  }
  ks.unlock_all();
  close(fds[1]);
  // Changes after the fork are not in the child's snapshot.
  {
    st::KeyHandle h(ks, 0, "zset", kNow, false);
    EXPECT_TRUE(h.erase());
  }
  std::string bytes;
  char buf[65536];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) bytes.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  st::Keyspace from_child(4, 2);
  rdb::MemorySource src(bytes);
  rdb::LoadOptions opt;
  opt.now_ms = kNow;
  rdb::LoadResult r = rdb::load_rdb(src, from_child, opt);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(st::dataset_digest_hex(from_child, kNow), st::dataset_digest_hex(*from_ram, kNow));
  // The child removed its checkpoint.
  for (const auto& de : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(de.path().filename().string().rfind("fork-checkpoint-", 0), std::string::npos);
  }
}

}  // namespace
