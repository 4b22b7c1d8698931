// Writes a keyspace as a Redis RDB file (version 10, the layout redis-server 7.0 writes and
// loads): SELECTDB and RESIZEDB per database, EXPIRETIME_MS per volatile key, each value in
// the encoding Redis 7.0 uses for it (strings int/raw/LZF, small hashes and sorted sets as
// listpack blobs, sets as intsets, lists as quicklist-2 of listpacks, the rest plain),
// then EOF and the CRC-64 of everything before it (0 when checksums are off).
//
// No sockets, no threads: the caller guarantees that nothing modifies the keyspace while
// write_rdb runs (a forked child, a server holding every shard lock, a test).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/entry.h"
#include "storage/keyspace.h"

namespace terndb::storage::rdb {

// Where RDB bytes go.
class Sink {
 public:
  virtual ~Sink() = default;
  // Returns false on an error (then error() says why).
  virtual bool write(const void* data, size_t len) = 0;
  virtual bool flush() { return true; }
  virtual std::string error() const { return {}; }
};

// Collects the bytes in memory (tests, replication to a socket in one go).
class StringSink final : public Sink {
 public:
  bool write(const void* data, size_t len) override {
    out_.append(static_cast<const char*>(data), len);
    return true;
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Buffered writes to a file descriptor with write(2) only (usable in a forked child: no
// locks, no stdio). The descriptor is not closed by the sink.
class FdSink final : public Sink {
 public:
  explicit FdSink(int fd, size_t buffer_size = 1 << 16);
  ~FdSink() override;
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;
  bool write(const void* data, size_t len) override;
  bool flush() override;
  std::string error() const override { return error_; }
  uint64_t bytes_written() const { return written_; }

 private:
  int fd_;
  char* buf_;
  size_t cap_;
  size_t used_ = 0;
  uint64_t written_ = 0;
  std::string error_;
};

struct WriteOptions {
  int version = 10;
  bool compress = true;
  bool checksum = true;
  // Written first, in this order (redis-ver, redis-bits, ctime, used-mem, ...).
  std::vector<std::pair<std::string, std::string>> aux;
  // Optional: a per-key mvcc timestamp, written as KeyDB's "mvcc-tstamp" aux before the key.
  std::function<uint64_t(int db, const Entry&)> key_mvcc;
  // Active replication: each versioned key's "mvcc-tstamp" (and "mvcc-origin" whenever the
  // origin changes from the previous key's), and each database's tombstones as "tombstone"
  // aux fields after its keys. Loaders that do not know them skip unknown aux fields.
  bool versions = false;
};

class Writer;

// Writes an RDB in pieces (forkless snapshots, storage/forkless_snapshot.h): the header at
// construction, then per database select_db and the records of its keys made by
// encode_key_record (and its tombstones), then finish() with EOF and the checksum.
class PieceWriter {
 public:
  PieceWriter(Sink& out, const WriteOptions& opt);
  ~PieceWriter();
  PieceWriter(const PieceWriter&) = delete;
  PieceWriter& operator=(const PieceWriter&) = delete;
  void select_db(int db, size_t keys, size_t volatile_keys);
  void records(std::string_view bytes);
  void tombstone(std::string_view key, const Tombstone& t);
  bool ok() const;
  // False with *error when the sink failed at any point.
  bool finish(std::string* error);

 private:
  Sink& out_;
  std::unique_ptr<Writer> w_;
};

// Appends one key's record to `out` as write_rdb writes it (version aux fields, expiry,
// type, key, value), without checksum; a versioned key always names its origin.
void encode_key_record(int db, const Entry& e, const WriteOptions& opt, std::string& out);

// One key as an RDB file holds it after its expiry: the type byte, the key, the value
// (uncompressed). The flash store keeps each key in this form, so that a snapshot copies
// it into the file byte for byte.
std::string encode_key_item(const Entry& e);

// Serializes every database, keys on the keyspace's flash tier included. Returns false
// with *error set when the sink fails.
bool write_rdb(const Keyspace& ks, Sink& out, const WriteOptions& opt, std::string* error);

// The value as DUMP returns it: type byte, value, RDB version (2 bytes), CRC-64 (8 bytes).
std::string dump_value(const Entry& e);

// The aux fields redis-server 7.0 writes, in its order (repl-* only when repl_id is set).
std::vector<std::pair<std::string, std::string>> standard_aux(const std::string& redis_ver,
                                                              uint64_t used_mem,
                                                              const std::string& repl_id = {},
                                                              int64_t repl_offset = 0,
                                                              int repl_stream_db = 0);

}  // namespace terndb::storage::rdb
