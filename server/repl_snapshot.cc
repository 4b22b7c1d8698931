#include "server/repl_snapshot.h"

#include <memory>

#include "server/version.h"
#include "storage/clock.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"

namespace terndb::server {
namespace {

storage::rdb::WriteOptions snapshot_options(const std::string& replid, uint64_t offset) {
  storage::rdb::WriteOptions opt;
  opt.aux =
      storage::rdb::standard_aux(kRedisCompatVersion, 0, replid, static_cast<int64_t>(offset), 0);
  opt.versions = storage::versioned_entries();  // active replication: versions, tombstones
  return opt;
}

// Copies every write to several descriptors; one that fails (its reader is gone) is left
// out from then on, and the sink fails only when none is left.
class TeeSink final : public storage::rdb::Sink {
 public:
  explicit TeeSink(const std::vector<int>& fds) {
    for (int fd : fds) sinks_.push_back(std::make_unique<storage::rdb::FdSink>(fd));
  }
  bool write(const void* data, size_t len) override {
    return each([&](storage::rdb::FdSink& s) { return s.write(data, len); });
  }
  bool flush() override {
    return each([](storage::rdb::FdSink& s) { return s.flush(); });
  }
  std::string error() const override { return error_; }

 private:
  template <typename F>
  bool each(F&& op) {
    bool any = false;
    for (auto& s : sinks_) {
      if (!s) continue;
      if (op(*s)) {
        any = true;
      } else {
        error_ = s->error();
        s.reset();
      }
    }
    return any;
  }
  std::vector<std::unique_ptr<storage::rdb::FdSink>> sinks_;
  std::string error_;
};

}  // namespace

bool write_snapshot(storage::Keyspace& ks, int fd, const std::string& replid, uint64_t offset,
                    std::string* error) {
  storage::rdb::FdSink sink(fd);
  if (!storage::rdb::write_rdb(ks, sink, snapshot_options(replid, offset), error)) return false;
  if (!sink.flush()) {
    if (error) *error = sink.error();
    return false;
  }
  return true;
}

bool write_snapshot(storage::Keyspace& ks, const std::vector<int>& fds, const std::string& replid,
                    uint64_t offset, std::string* error) {
  TeeSink sink(fds);
  if (!storage::rdb::write_rdb(ks, sink, snapshot_options(replid, offset), error)) return false;
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
