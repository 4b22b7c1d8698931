// The diskless path replication uses: Persistence::start_rdb_to_fd forks a child that
// streams the RDB to a pipe while the parent keeps running; the bytes load back into an
// equal keyspace, and the completion callback runs when the periodic check reaps it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "conf/config_registry.h"
#include "server/persistence.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/digest.h"
#include "storage/key_handle.h"
#include "storage/rdb_loader.h"

namespace {

using terndb::server::Persistence;
using terndb::server::persistence_of;
using terndb::server::Server;
namespace st = terndb::storage;

TEST(RdbStreamChild, ForkedChildStreamsTheKeyspaceToADescriptor) {
  terndb::conf::Registry config;
  Server server(config);
  int64_t now = st::now_ms();
  for (int i = 0; i < 5000; ++i) {
    std::string key = "key:" + std::to_string(i);
    st::KeyHandle h(server.keyspace(), i % 3, key, now, false);
    h.put(st::make_string_entry(key, "value-" + std::to_string(i * 7), i % 2 ? now + 100000 : -1));
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Persistence& p = persistence_of(server);
  bool done = false, ok = false;
  std::string err;
  ASSERT_TRUE(p.start_rdb_to_fd(
      fds[1],
      [&](bool success, const std::string& path) {
        done = true;
        ok = success;
        EXPECT_TRUE(path.empty());
      },
      &err))
      << err;
  close(fds[1]);  // the child holds its own copy
  EXPECT_TRUE(p.child_running());
  std::string stream;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) stream.append(buf, static_cast<size_t>(n));
  });
  reader.join();  // EOF: the child has exited
  close(fds[0]);
  for (int i = 0; i < 200 && !done; ++i) {
    p.cron(st::now_ms());
    usleep(10000);
  }
  ASSERT_TRUE(done);
  EXPECT_TRUE(ok);
  EXPECT_FALSE(p.child_running());
  EXPECT_EQ(stream.substr(0, 9), "REDIS0010");

  st::Keyspace copy(16, 2);
  st::rdb::MemorySource src(stream);
  st::rdb::LoadOptions lo;
  lo.now_ms = now;
  st::rdb::LoadResult r = st::rdb::load_rdb(src, copy, lo);
  ASSERT_TRUE(r.ok) << r.offset << ": " << r.reason;
  EXPECT_EQ(r.keys_loaded, 5000u);
  EXPECT_EQ(st::dataset_digest_hex(copy, now), st::dataset_digest_hex(server.keyspace(), now));
}

}  // namespace
