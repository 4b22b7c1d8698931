#include "storage/rdb_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "protocol/numbers.h"
#include "storage/crc64.h"
#include "storage/encoding_limits.h"
#include "storage/hash_value.h"
#include "storage/hashing.h"
#include "storage/list_value.h"
#include "storage/lzf.h"
#include "storage/rdb_blobs.h"
#include "storage/rdb_format.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace terndb::storage::rdb {

FdSink::FdSink(int fd, size_t buffer_size)
    : fd_(fd), buf_(static_cast<char*>(malloc(buffer_size))), cap_(buffer_size) {}

FdSink::~FdSink() {
  free(buf_);
}

bool FdSink::write(const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  if (used_ + len > cap_) {
    if (!flush()) return false;
    if (len >= cap_) {  // large writes bypass the buffer
      while (len > 0) {
        ssize_t n = ::write(fd_, p, len);
        if (n < 0) {
          if (errno == EINTR) continue;
          error_ = strerror(errno);
          return false;
        }
        p += n;
        len -= static_cast<size_t>(n);
        written_ += static_cast<uint64_t>(n);
      }
      return true;
    }
  }
  memcpy(buf_ + used_, p, len);
  used_ += len;
  return true;
}

bool FdSink::flush() {
  size_t off = 0;
  while (off < used_) {
    ssize_t n = ::write(fd_, buf_ + off, used_ - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = strerror(errno);
      return false;
    }
    off += static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  used_ = 0;
  return true;
}

namespace {

// Quicklist node limits, as list-max-listpack-size reads: negative = bytes, positive =
// elements (with Redis's 8 KB safety cap on counted nodes).
constexpr size_t kNodeSizes[] = {4096, 8192, 16384, 32768, 65536};

}  // namespace

class Writer {
 public:
  Writer(Sink& out, const WriteOptions& opt) : out_(out), opt_(opt), checksum_(opt.checksum) {}
  // A piece of a file whose checksum another Writer computes (forkless snapshots): no CRC
  // here, and the first versioned key names its origin whatever it is.
  struct Piece {};
  Writer(Sink& out, const WriteOptions& opt, Piece)
      : out_(out), opt_(opt), checksum_(false), last_origin_(UINT32_MAX) {}

  bool ok() const { return ok_; }

  void raw(const void* p, size_t n) {
    if (!ok_) return;
    if (checksum_) crc_ = crc64(crc_, p, n);
    if (!out_.write(p, n)) ok_ = false;
  }
  void byte(uint8_t b) { raw(&b, 1); }
  void le(uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    raw(b, static_cast<size_t>(bytes));
  }

  void len(uint64_t n) {
    uint8_t b[9];
    if (n < 64) {
      b[0] = static_cast<uint8_t>(n);
      raw(b, 1);
    } else if (n < 16384) {
      b[0] = static_cast<uint8_t>((kLen14Bit << 6) | (n >> 8));
      b[1] = static_cast<uint8_t>(n & 0xff);
      raw(b, 2);
    } else if (n <= UINT32_MAX) {
      b[0] = kLen32Bit;
      for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<uint8_t>(n >> (8 * (3 - i)));
      raw(b, 5);
    } else {
      b[0] = kLen64Bit;
      for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<uint8_t>(n >> (8 * (7 - i)));
      raw(b, 9);
    }
  }

  // An integer in the int8/16/32 string encodings; false when it needs more bits.
  bool int_encoded(int64_t v) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      byte((kLenEncoded << 6) | kEncInt8);
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      byte((kLenEncoded << 6) | kEncInt16);
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      byte((kLenEncoded << 6) | kEncInt32);
      le(static_cast<uint64_t>(v), 4);
    } else {
      return false;
    }
    return true;
  }

  // A string as Redis saves one: short canonical integers int-encoded, long strings LZF
  // compressed when that saves space, the rest length-prefixed.
  void string(std::string_view s) {
    int64_t v;
    if (s.size() <= 11 && protocol::parse_int64(s, v) && int_encoded(v)) return;
    if (opt_.compress && s.size() > 20 && lzf_string(s)) return;
    len(s.size());
    raw(s.data(), s.size());
  }

  void integer_string(int64_t v) {
    if (int_encoded(v)) return;
    char buf[24];
    size_t n = protocol::format_int64(v, buf);
    len(n);
    raw(buf, n);
  }

  bool lzf_string(std::string_view s) {
    if (s.size() <= 4) return false;
    size_t cap = s.size() - 4;  // compressing must save at least 4 bytes
    if (scratch_.size() < cap) scratch_.resize(cap);
    size_t n = lzf::compress(s.data(), s.size(), scratch_.data(), cap);
    if (n == 0) return false;
    byte((kLenEncoded << 6) | kEncLzf);
    len(n);
    len(s.size());
    raw(scratch_.data(), n);
    return true;
  }

  void aux(std::string_view k, std::string_view v) {
    byte(kOpAux);
    string(k);
    string(v);
  }

  void entry(int db, const Entry& e) {
    if (opt_.key_mvcc) {
      aux(kMvccAux, std::to_string(opt_.key_mvcc(db, e)));
    } else if (opt_.versions && e.has_version) {
      Version v = e.version();
      if (!v.empty()) {
        if (v.origin != last_origin_) {
          aux(kMvccOriginAux, origin_uuid(v.origin));
          last_origin_ = v.origin;
        }
        aux(kMvccAux, std::to_string(v.mvcc));
      }
    }
    if (e.has_expire) {
      byte(kOpExpireTimeMs);
      le(static_cast<uint64_t>(e.expire_at()), 8);
    }
    value(e);
  }

  // A tombstone: "<mvcc> <origin uuid> <key>" (the key last: it may hold spaces).
  void tombstone(std::string_view key, const Tombstone& t) {
    std::string v = std::to_string(t.version.mvcc);
    v += ' ';
    v += origin_uuid(t.version.origin);
    v += ' ';
    v += key;
    aux(kTombstoneAux, v);
  }

  // The value's type byte and encoding (the key between them unless omit_key).
  void value(const Entry& e) {
    switch (e.value_type()) {
      case ValueType::kString:
        byte(kTypeString);
        key_of(e);
        if (e.value_encoding() == Encoding::kInt) {
          integer_string(e.int_value());
        } else {
          string({e.str_data(), e.str_len()});
        }
        break;
      case ValueType::kList:
        byte(kTypeListQuicklist2);
        key_of(e);
        list(*static_cast<const ListValue*>(e.object()));
        break;
      case ValueType::kSet: {
        const auto& set = *static_cast<const SetValue*>(e.object());
        if (set.is_intset()) {
          byte(kTypeSetIntset);
          key_of(e);
          std::vector<int64_t> members;
          members.reserve(set.size());
          set.for_each([&](std::string_view m) {
            int64_t v = 0;
            protocol::parse_int64(m, v);
            members.push_back(v);
          });
          string(encode_intset(members));
        } else {
          byte(kTypeSet);
          key_of(e);
          len(set.size());
          set.for_each([&](std::string_view m) { string(m); });
        }
        break;
      }
      case ValueType::kZSet: {
        const auto& z = *static_cast<const ZSetValue*>(e.object());
        if (!z.is_skiplist()) {
          byte(kTypeZSetListpack);
          key_of(e);
          ListpackWriter lp;
          z.visit(0, z.size(), false, [&](std::string_view m, double score) {
            lp.append(m);
            lp.append(listpack_score_text(score));
          });
          string(lp.finish());
        } else {
          // Highest score first, as Redis writes them, so a loader inserting at the head
          // of its skiplist never has to search.
          byte(kTypeZSet2);
          key_of(e);
          len(z.size());
          z.for_each_descending([&](std::string_view m, double score) {
            string(m);
            uint64_t bits;
            memcpy(&bits, &score, 8);
            le(bits, 8);
          });
        }
        break;
      }
      case ValueType::kHash: {
        const auto& h = *static_cast<const HashValue*>(e.object());
        if (h.is_listpack()) {
          byte(kTypeHashListpack);
          key_of(e);
          ListpackWriter lp;
          h.for_each([&](std::string_view f, std::string_view v) {
            lp.append(f);
            lp.append(v);
          });
          string(lp.finish());
        } else {
          byte(kTypeHash);
          key_of(e);
          len(h.size());
          h.for_each([&](std::string_view f, std::string_view v) {
            string(f);
            string(v);
          });
        }
        break;
      }
    }
  }

  void key_of(const Entry& e) {
    if (!omit_key_) string(e.key());
  }
  void set_omit_key() { omit_key_ = true; }
  uint64_t crc() const { return crc_; }

  void list(const ListValue& l) {
    int64_t fill = encoding_limits().list_max_listpack_size.load(std::memory_order_relaxed);
    size_t max_bytes = 8192, max_count = SIZE_MAX;
    if (fill < 0) {
      int64_t i = -fill - 1;
      max_bytes = kNodeSizes[i < 0 ? 0 : i > 4 ? 4 : i];
    } else if (fill > 0) {
      max_count = static_cast<size_t>(fill);
    }
    // Nodes are built first: the node count precedes them.
    std::vector<std::string> nodes;
    ListpackWriter lp;
    ListValue::Cursor cur(l, 0, false);
    std::string_view v;
    while (cur.next(v)) {
      size_t add = ListpackWriter::entry_size(v);
      if (lp.count() > 0 && (lp.count() >= max_count || lp.bytes() + add > max_bytes)) {
        nodes.push_back(lp.finish());
      }
      lp.append(v);
    }
    if (lp.count() > 0) nodes.push_back(lp.finish());
    len(nodes.size());
    for (const std::string& n : nodes) {
      len(kQuicklistPacked);
      string(n);
    }
  }

  void header() {
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", opt_.version);
    raw(magic, 9);
    for (const auto& [k, v] : opt_.aux) aux(k, v);
  }

  void select_db(int db, size_t keys, size_t volatile_keys) {
    byte(kOpSelectDb);
    len(static_cast<uint64_t>(db));
    byte(kOpResizeDb);
    len(keys);
    len(volatile_keys);
  }

  void finish() {
    byte(kOpEof);
    uint64_t crc = opt_.checksum ? crc_ : 0;
    uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(crc >> (8 * i));
    if (ok_ && !out_.write(b, 8)) ok_ = false;
    if (ok_ && !out_.flush()) ok_ = false;
  }

 private:
  Sink& out_;
  const WriteOptions& opt_;
  const bool checksum_;
  uint64_t crc_ = 0;
  bool ok_ = true;
  std::vector<char> scratch_;
  bool omit_key_ = false;
  uint32_t last_origin_ = 0;
};

namespace {

// The keys of `db` that are on flash only (those in RAM were written from there), copied
// as stored: they are kept in the form this file holds them.
bool write_flash_keys(Writer& w, Keyspace& ks, FlashTier& flash, int db, std::string* error) {
  auto in_ram = [&ks, db](std::string_view key) {
    const uint64_t h = hash_key(key);
    return ks.shard(ks.shard_of(h)).dbs[static_cast<size_t>(db)].find(key, h) != nullptr;
  };
  auto emit = [&w](int64_t expire_at, std::string_view item) {
    if (expire_at >= 0) {
      w.byte(kOpExpireTimeMs);
      w.le(static_cast<uint64_t>(expire_at), 8);
    }
    w.raw(item.data(), item.size());
  };
  std::string why;
  if (!flash.snapshot_items(db, in_ram, emit, &why)) {
    if (error) *error = "reading the flash store: " + why;
    return false;
  }
  return true;
}

// EOF and checksum; false with the sink's reason when anything failed.
bool finish_file(Writer& w, Sink& out, std::string* error) {
  w.finish();
  if (!w.ok()) {
    if (error) {
      std::string why = out.error();
      *error = why.empty() ? "write failed" : why;
    }
    return false;
  }
  return true;
}

}  // namespace

bool write_rdb(const Keyspace& cks, Sink& out, const WriteOptions& opt, std::string* error) {
  // Read-only walk; shard() is non-const only because it hands out the lock too.
  auto& ks = const_cast<Keyspace&>(cks);
  Writer w(out, opt);
  FlashTier* flash = ks.flash();
  w.header();
  for (int db = 0; db < ks.databases() && w.ok(); ++db) {
    size_t keys = 0, volatile_keys = 0;
    for (size_t s = 0; s < ks.shard_count(); ++s) {
      const Table& t = ks.shard(s).dbs[static_cast<size_t>(db)];
      keys += t.size();
      volatile_keys += t.volatile_count();
    }
    size_t tombstones = 0;
    if (opt.versions) {
      for (size_t s = 0; s < ks.shard_count(); ++s) {
        tombstones += ks.shard(s).tombstones[static_cast<size_t>(db)].size();
      }
    }
    if (flash) keys += static_cast<size_t>(std::max<int64_t>(0, flash->offloaded(db)));
    if (keys == 0 && tombstones == 0) continue;
    w.select_db(db, keys, volatile_keys);
    for (size_t s = 0; s < ks.shard_count() && w.ok(); ++s) {
      ks.shard(s).dbs[static_cast<size_t>(db)].for_each([&](Entry* e) {
        if (w.ok()) w.entry(db, *e);
      });
    }
    if (flash && w.ok() && !write_flash_keys(w, ks, *flash, db, error)) return false;
    if (tombstones == 0) continue;
    for (size_t s = 0; s < ks.shard_count() && w.ok(); ++s) {
      for (const auto& [key, t] : ks.shard(s).tombstones[static_cast<size_t>(db)]) {
        w.tombstone(key, t);
      }
    }
  }
  return finish_file(w, out, error);
}

namespace {

// Appends to a string the caller owns.
class AppendSink final : public Sink {
 public:
  explicit AppendSink(std::string& out) : out_(out) {}
  bool write(const void* data, size_t len) override {
    out_.append(static_cast<const char*>(data), len);
    return true;
  }

 private:
  std::string& out_;
};

}  // namespace

void encode_key_record(int db, const Entry& e, const WriteOptions& opt, std::string& out) {
  AppendSink sink(out);
  Writer w(sink, opt, Writer::Piece{});
  w.entry(db, e);
}

PieceWriter::PieceWriter(Sink& out, const WriteOptions& opt)
    : out_(out), w_(std::make_unique<Writer>(out, opt)) {
  w_->header();
}

PieceWriter::~PieceWriter() = default;

void PieceWriter::select_db(int db, size_t keys, size_t volatile_keys) {
  w_->select_db(db, keys, volatile_keys);
}

void PieceWriter::records(std::string_view bytes) { w_->raw(bytes.data(), bytes.size()); }

void PieceWriter::tombstone(std::string_view key, const Tombstone& t) { w_->tombstone(key, t); }

bool PieceWriter::ok() const { return w_->ok(); }

bool PieceWriter::finish(std::string* error) { return finish_file(*w_, out_, error); }

std::string dump_value(const Entry& e) {
  StringSink sink;
  WriteOptions opt;
  Writer w(sink, opt);
  w.set_omit_key();
  w.value(e);
  w.le(kDumpRdbVersion, 2);
  uint64_t crc = w.crc();
  std::string out = std::move(sink.str());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out;
}

std::string encode_key_item(const Entry& e) {
  StringSink sink;
  WriteOptions opt;
  opt.compress = false;
  opt.checksum = false;
  Writer w(sink, opt);
  w.entry(0, e);
  std::string& out = sink.str();
  // The item as a file holds it, minus the EXPIRETIME_MS opcode and its 8 bytes.
  if (e.has_expire) out.erase(0, 9);
  return std::move(out);
}

std::vector<std::pair<std::string, std::string>> standard_aux(const std::string& redis_ver,
                                                              uint64_t used_mem,
                                                              const std::string& repl_id,
                                                              int64_t repl_offset,
                                                              int repl_stream_db) {
  std::vector<std::pair<std::string, std::string>> aux;
  aux.emplace_back("redis-ver", redis_ver);
  aux.emplace_back("redis-bits", std::to_string(sizeof(void*) * 8));
  aux.emplace_back("ctime", std::to_string(time(nullptr)));
  aux.emplace_back("used-mem", std::to_string(used_mem));
  if (!repl_id.empty()) {
    aux.emplace_back("repl-stream-db", std::to_string(repl_stream_db));
    aux.emplace_back("repl-id", repl_id);
    aux.emplace_back("repl-offset", std::to_string(repl_offset));
  }
  aux.emplace_back("aof-base", "0");
  return aux;
}

}  // namespace terndb::storage::rdb
