#include "storage/forkless_snapshot.h"

#include <malloc.h>

#include <cstring>
#include <mutex>

namespace terndb::storage {

// One attached table: what the writers keep for it ahead of the walk, and the contents it
// took over if the table was flushed.
class ForklessSnapshot::TableJob final : public TableSnapshot {
 public:
  TableJob(const rdb::WriteOptions& opt, int db, size_t shard)
      : opt_(opt), db_(db), shard_(shard) {}

  void preserve(const Entry& e) override {
    rdb::encode_key_record(db_, e, opt_, kept);
    ++kept_count;
  }
  void adopt(Table&& contents) override {
    adopted = std::make_unique<Table>(std::move(contents));
  }

  // The contents the walk goes through.
  Table* table() { return adopted ? adopted.get() : holder; }
  size_t shard() const { return shard_; }

  std::string kept;
  uint64_t kept_count = 0;
  std::unique_ptr<Table> adopted;
  bool done = false;

 private:
  const rdb::WriteOptions& opt_;
  int db_;
  size_t shard_;
};

ForklessSnapshot::ForklessSnapshot(Keyspace& ks, rdb::WriteOptions opt)
    : ks_(ks), opt_(std::move(opt)), dbs_(static_cast<size_t>(ks.databases())) {
  for (int db = 0; db < ks.databases(); ++db) {
    Database& d = dbs_[static_cast<size_t>(db)];
    for (size_t s = 0; s < ks.shard_count(); ++s) {
      Shard& shard = ks.shard(s);
      Table& t = shard.dbs[static_cast<size_t>(db)];
      if (opt_.versions) {
        for (const auto& [key, tomb] : shard.tombstones[static_cast<size_t>(db)]) {
          d.tombstones.emplace_back(key, tomb);
        }
      }
      if (t.size() == 0) continue;
      d.keys += t.size();
      d.volatile_keys += t.volatile_count();
      auto job = std::make_unique<TableJob>(opt_, db, s);
      t.attach_snapshot(job.get());
      d.tables.push_back(std::move(job));
    }
    keys_total_ += d.keys;
  }
}

ForklessSnapshot::~ForklessSnapshot() {
  abandon();  // write() never ran (the file could not be opened) or stopped half way
}

bool ForklessSnapshot::write(rdb::Sink& out, std::string* error, const StepRunner& run) {
  // Steps append to `staged`; this thread moves it to `out` between steps, so a step (which
  // may run on an io thread) never waits on the file.
  rdb::StringSink staged;
  rdb::PieceWriter w(staged, opt_);
  auto drain = [&]() {
    std::string& bytes = staged.str();
    if (bytes.empty()) return true;
    const bool ok = out.write(bytes.data(), bytes.size());
    bytes.clear();
    return ok;
  };
  auto sink_failed = [&]() {
    abandon();
    if (error) {
      std::string why = out.error();
      *error = why.empty() ? "write failed" : why;
    }
    return false;
  };
  std::string chunk;
  // String entries of the chunk, copied: [size in words][entry bytes], 8-byte aligned.
  std::vector<uint64_t> copies;
  uint64_t chunks = 0;
  for (size_t db = 0; db < dbs_.size(); ++db) {
    Database& d = dbs_[db];
    if (d.keys == 0 && d.tombstones.empty()) continue;
    w.select_db(static_cast<int>(db), d.keys, d.volatile_keys);
    for (auto& job : d.tables) {
      // `done` is only read and written under the shard lock (cancel_locked sets it).
      for (bool more = true; more;) {
        bool cancelled = false;
        auto step = [&]() {
          chunk.clear();
          uint64_t encoded = 0;
          {
            std::lock_guard<std::mutex> lock(ks_.shard(job->shard()).mu);
            if (cancelled_.load(std::memory_order_relaxed)) {
              cancelled = true;
              return;
            }
            Table* t = job->table();
            const size_t from = job->emitted_buckets;
            // Strings (one allocation each) are copied under the lock and encoded after it,
            // so the lock is held for little more than a memcpy per key.
            const size_t to = t->walk_buckets(from, from + kChunkBuckets, [&](const Entry& e) {
              if (e.value_encoding() == Encoding::kObject) {
                rdb::encode_key_record(static_cast<int>(db), e, opt_, chunk);
              } else {
                const size_t bytes = malloc_usable_size(const_cast<Entry*>(&e));
                const size_t words = (bytes + 7) / 8;
                const size_t at = copies.size();
                copies.resize(at + 1 + words);
                copies[at] = words;
                memcpy(copies.data() + at + 1, &e, bytes);
              }
              ++encoded;
            });
            job->emitted_buckets = to;
            chunk += job->kept;
            encoded += job->kept_count;
            job->kept_count = 0;
            // Release what a burst of writes made it hold, keep a small buffer.
            if (job->kept.capacity() > (1u << 16)) {
              std::string().swap(job->kept);
            } else {
              job->kept.clear();
            }
            if (to >= t->bucket_count()) {
              job->done = true;
              if (!job->adopted) t->detach_snapshot();
            }
            more = !job->done;
          }
          for (size_t at = 0; at < copies.size(); at += 1 + copies[at]) {
            const Entry* e = reinterpret_cast<const Entry*>(copies.data() + at + 1);
            rdb::encode_key_record(static_cast<int>(db), *e, opt_, chunk);
          }
          copies.clear();
          w.records(chunk);
          keys_written_.fetch_add(encoded, std::memory_order_relaxed);
          // What clients keep ahead of the walk in this database's other tables goes out
          // now and then too, so it does not pile up until the walk reaches them.
          if (++chunks % kSweepEveryChunks == 0) sweep_kept(d, w);
        };
        if (run) {
          run(step);
        } else {
          step();
        }
        if (cancelled) {
          if (error) *error = "the snapshot was cancelled";
          return false;
        }
        if (!drain()) return sink_failed();
      }
      job->adopted.reset();  // flushed contents: written, now freed (outside the lock)
    }
    for (const auto& [key, tomb] : d.tombstones) w.tombstone(key, tomb);
  }
  w.finish(nullptr);  // the checksum and end marker, into `staged`
  if (!drain() || !out.flush()) return sink_failed();
  return true;
}

void ForklessSnapshot::sweep_kept(Database& d, rdb::PieceWriter& w) {
  std::string kept;
  for (auto& job : d.tables) {
    uint64_t count;
    {
      std::lock_guard<std::mutex> lock(ks_.shard(job->shard()).mu);
      if (job->kept.empty()) continue;
      kept.swap(job->kept);
      count = std::exchange(job->kept_count, 0);
    }
    w.records(kept);
    keys_written_.fetch_add(count, std::memory_order_relaxed);
    std::string().swap(kept);
  }
}

void ForklessSnapshot::stop_job(TableJob& job) {
  job.done = true;
  if (job.adopted) return;  // nobody else sees it; freed with the snapshot
  job.holder->clear_snapshot_marks(job.emitted_buckets);
  job.holder->detach_snapshot();
}

void ForklessSnapshot::cancel_locked() {
  cancelled_.store(true, std::memory_order_relaxed);
  for (Database& d : dbs_) {
    for (auto& job : d.tables) {
      if (!job->done) stop_job(*job);
    }
  }
}

void ForklessSnapshot::abandon() {
  for (Database& d : dbs_) {
    for (auto& job : d.tables) {
      std::lock_guard<std::mutex> lock(ks_.shard(job->shard()).mu);
      if (!job->done && !cancelled_.load(std::memory_order_relaxed)) stop_job(*job);
    }
  }
}

}  // namespace terndb::storage
