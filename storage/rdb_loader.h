// Reads Redis RDB files into a keyspace: everything redis-server 7.0 and KeyDB 6.3 write
// (RDB versions 1 to 10). Values are rebuilt in terndb's encodings, converting up where
// the configured encoding limits say so, as Redis does on load.
//
// Supported: strings (raw, int, LZF); lists (plain, ziplist, quicklist of ziplists,
// quicklist 2 of listpacks and plain nodes); sets (plain, intset, listpack); sorted sets
// (plain, ZSET_2, ziplist, listpack); hashes (plain, zipmap, ziplist, listpack); opcodes
// AUX (KeyDB's per-key "mvcc-tstamp" included), RESIZEDB, EXPIRETIME, EXPIRETIME_MS,
// SELECTDB, IDLE, FREQ, MODULE_AUX (skipped), FUNCTION2 (skipped with a warning). Streams
// and module-typed keys are refused, naming the key. The CRC-64 trailer is verified
// unless it is 0 (a file written with rdbchecksum no).
//
// Any failure reports the byte offset of the item that could not be read and why; keys
// loaded before the failure stay in the keyspace (the caller decides what to do).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/keyspace.h"

namespace terndb::storage::rdb {

// Where RDB bytes come from.
class Source {
 public:
  virtual ~Source() = default;
  // Up to `len` bytes into dst; 0 at the end of the data, -1 on an error.
  virtual ssize_t read(void* dst, size_t len) = 0;
  // Total bytes when known (progress), else 0.
  virtual uint64_t size() const { return 0; }
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  ssize_t read(void* dst, size_t len) override;
  uint64_t size() const override { return data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Reads a file (or an already open descriptor, not closed by the source).
class FileSource final : public Source {
 public:
  FileSource() = default;
  explicit FileSource(int fd);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  // Opens `path`; false with *error set (strerror) when it cannot be opened.
  bool open(const std::string& path, std::string* error);
  ssize_t read(void* dst, size_t len) override;
  uint64_t size() const override { return size_; }

 private:
  int fd_ = -1;
  bool owned_ = false;
  uint64_t size_ = 0;
};

struct LoadOptions {
  // Keys whose expiry is already past are not loaded (a master does this; a replica keeps
  // them for its master to expire).
  bool drop_expired = true;
  int64_t now_ms = 0;
  // When set, called for every key that carries a KeyDB "mvcc-tstamp".
  std::function<void(int db, std::string_view key, uint64_t mvcc)> on_key_mvcc;
  // Called now and then, and once at the end.
  std::function<void(uint64_t bytes_read, uint64_t total)> progress;
  // Optional: called after each key is loaded (key-load-delay slows loading down with it).
  std::function<void()> after_key;
  // Active replication (a peer's snapshot merged into ours): when set, each key is handed
  // over here instead of being inserted (`e` is the caller's), with its version from the
  // file's "mvcc-tstamp"/"mvcc-origin" (empty when it has none).
  std::function<void(int db, std::string key, Entry* e, const Version& v)> take_key;
  // Tombstones in the file ("tombstone" aux). When unset they are kept in the keyspace's
  // shards if entries are versioned, else ignored.
  std::function<void(int db, std::string key, const Version& v)> on_tombstone;
};

struct LoadResult {
  bool ok = false;
  uint64_t offset = 0;  // where the failing item starts (on failure)
  std::string reason;
  std::vector<std::pair<std::string, std::string>> aux;  // aux fields, in file order
  size_t keys_loaded = 0;
  size_t keys_expired = 0;            // dropped because their expiry had passed
  int version = 0;                    // the file's RDB version
  std::vector<std::string> warnings;  // skipped content (functions, module aux data)
};

LoadResult load_rdb(Source& in, Keyspace& ks, const LoadOptions& opt);

// A DUMP payload (RESTORE): checks its RDB version and CRC-64 and builds the entry, or
// returns null with *why set.
Entry* restore_value(std::string_view payload, std::string_view key, int64_t expire_at,
                     std::string* why);

// The entry held by one item as encode_key_item (rdb_writer.h) makes it, with the given
// expiry; nullptr with *error set when the item is malformed, or without an error for an
// empty value (which Redis skips too).
Entry* decode_key_item(std::string_view item, int64_t expire_at, std::string* error);

}  // namespace terndb::storage::rdb
