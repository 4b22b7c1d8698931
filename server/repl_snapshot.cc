#include "server/repl_snapshot.h"

#include "server/version.h"
#include "storage/clock.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"

namespace terndb::server {

bool write_snapshot(storage::Keyspace& ks, int fd, const std::string& replid, uint64_t offset,
                    std::string* error) {
  storage::rdb::FdSink sink(fd);
  storage::rdb::WriteOptions opt;
  opt.aux =
      storage::rdb::standard_aux(kRedisCompatVersion, 0, replid, static_cast<int64_t>(offset), 0);
  opt.versions = storage::versioned_entries();  // active replication: versions, tombstones
  if (!storage::rdb::write_rdb(ks, sink, opt, error)) return false;
  if (!sink.flush()) {
    if (error) *error = sink.error();
    return false;
  }
  return true;
}

bool load_snapshot(storage::Keyspace& ks, std::string_view rdb, std::string* error,
                   size_t* keys_loaded) {
  storage::rdb::MemorySource src(rdb);
  storage::rdb::LoadOptions opt;
  opt.drop_expired = false;
  opt.now_ms = storage::now_ms();
  storage::rdb::LoadResult res = storage::rdb::load_rdb(src, ks, opt);
  if (keys_loaded) *keys_loaded = res.keys_loaded;
  if (!res.ok) {
    if (error) *error = res.reason + " at offset " + std::to_string(res.offset);
    return false;
  }
  return true;
}

}  // namespace terndb::server
