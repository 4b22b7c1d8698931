#include "storage/rdb_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "protocol/numbers.h"
#include "storage/crc64.h"
#include "storage/entry.h"
#include "storage/hash_value.h"
#include "storage/hashing.h"
#include "storage/list_value.h"
#include "storage/lzf.h"
#include "storage/rdb_blobs.h"
#include "storage/rdb_format.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace terndb::storage::rdb {

ssize_t MemorySource::read(void* dst, size_t len) {
  size_t n = std::min(len, data_.size() - pos_);
  memcpy(dst, data_.data() + pos_, n);
  pos_ += n;
  return static_cast<ssize_t>(n);
}

FileSource::FileSource(int fd) : fd_(fd) {
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
}

FileSource::~FileSource() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

bool FileSource::open(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = strerror(errno);
    return false;
  }
  if (owned_ && fd_ >= 0) ::close(fd_);
  fd_ = fd;
  owned_ = true;
  struct stat st;
  size_ = fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

ssize_t FileSource::read(void* dst, size_t len) {
  while (true) {
    ssize_t n = ::read(fd_, dst, len);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

namespace {

struct LoadError {
  uint64_t offset;
  std::string reason;
};

// Buffered reading with the running CRC and the byte offset.
class Reader {
 public:
  explicit Reader(Source& src) : src_(src), buf_(1 << 16) {}

  uint64_t offset() const { return base_ + pos_; }
  uint64_t crc() {
    sync_crc();
    return crc_;
  }
  [[noreturn]] void fail(const std::string& why) const { throw LoadError{offset(), why}; }
  [[noreturn]] void fail_at(uint64_t at, const std::string& why) const { throw LoadError{at, why}; }

  void read(void* dst, size_t n) {
    auto* out = static_cast<char*>(dst);
    while (n > 0) {
      if (pos_ == end_ && !refill()) fail("unexpected end of file");
      size_t k = std::min(n, end_ - pos_);
      memcpy(out, buf_.data() + pos_, k);
      pos_ += k;
      out += k;
      n -= k;
    }
  }
  uint8_t u8() {
    if (pos_ == end_ && !refill()) fail("unexpected end of file");
    return static_cast<uint8_t>(buf_[pos_++]);
  }
  uint64_t le(int bytes) {
    uint8_t b[8];
    read(b, static_cast<size_t>(bytes));
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  // Bytes left when the source's size is known, else a huge number.
  uint64_t remaining() const {
    uint64_t total = src_.size();
    return total ? (total > offset() ? total - offset() : 0) : UINT64_MAX;
  }
  uint64_t total() const { return src_.size(); }

 private:
  void sync_crc() {
    if (pos_ > crc_mark_) crc_ = crc64(crc_, buf_.data() + crc_mark_, pos_ - crc_mark_);
    crc_mark_ = pos_;
  }
  bool refill() {
    sync_crc();
    base_ += end_;
    pos_ = end_ = crc_mark_ = 0;
    ssize_t n = src_.read(buf_.data(), buf_.size());
    if (n < 0) fail(std::string("read error: ") + strerror(errno));
    end_ = static_cast<size_t>(n);
    return n > 0;
  }

  Source& src_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0, crc_mark_ = 0;
  uint64_t base_ = 0;
  uint64_t crc_ = 0;
};

struct EntryDeleter {
  void operator()(Entry* e) const { free_entry(e); }
};
using EntryPtr = std::unique_ptr<Entry, EntryDeleter>;

class Loader {
 public:
  Loader(Source& src, Keyspace& ks, const LoadOptions& opt, LoadResult& res)
      : r_(src), ks_(ks), opt_(opt), res_(res) {}

  // One key's item on its own (type, key, value), as decode_key_item reads it.
  Entry* read_item(int64_t expire) {
    uint64_t at = r_.offset();
    uint8_t type = r_.u8();
    std::string key = read_string();
    return load_value(type, key, expire, at);
  }

  void run() {
    char magic[9];
    r_.read(magic, 9);
    if (memcmp(magic, "REDIS", 5) != 0) r_.fail_at(0, "wrong signature trying to load DB");
    int version = 0;
    for (int i = 5; i < 9; ++i) {
      if (magic[i] < '0' || magic[i] > '9') r_.fail_at(5, "invalid RDB version field");
      version = version * 10 + (magic[i] - '0');
    }
    if (version < 1 || version > kMaxVersion) {
      r_.fail_at(5, "can't handle RDB format version " + std::to_string(version));
    }
    res_.version = version;

    int db = 0;
    int64_t expire = -1;
    bool have_mvcc = false;
    uint64_t mvcc = 0;
    uint32_t origin = 0;
    uint64_t last_progress = 0;
    while (true) {
      if (opt_.progress && r_.offset() - last_progress >= (1u << 20)) {
        last_progress = r_.offset();
        opt_.progress(last_progress, r_.total());
      }
      uint64_t item_at = r_.offset();
      uint8_t type = r_.u8();
      switch (type) {
        case kOpExpireTimeMs:
          expire = static_cast<int64_t>(r_.le(8));
          continue;
        case kOpExpireTime:
          expire = static_cast<int64_t>(static_cast<int32_t>(r_.le(4))) * 1000;
          continue;
        case kOpFreq:
          r_.u8();
          continue;
        case kOpIdle:
          read_len();
          continue;
        case kOpSelectDb: {
          uint64_t n = read_len();
          if (n >= static_cast<uint64_t>(ks_.databases())) {
            r_.fail_at(item_at, "the file holds database " + std::to_string(n) + " but only " +
                                    std::to_string(ks_.databases()) + " databases are configured");
          }
          db = static_cast<int>(n);
          continue;
        }
        case kOpResizeDb: {
          // Sizes the tables of the database being read (keys spread evenly over shards)
          // so that loading does not rehash them over and over.
          const uint64_t keys = read_len();
          read_len();
          reserve(db, keys);
          continue;
        }
        case kOpAux: {
          std::string key = read_string();
          std::string value = read_string();
          if (key == kMvccOriginAux) {
            origin = intern_origin(value);
          } else if (key == kTombstoneAux) {
            tombstone(db, value, item_at);
          } else if (key == kMvccAux) {
            // KeyDB prints the unsigned stamp through a signed conversion: a stamp with
            // the top bit set arrives negative.
            int64_t signed_stamp;
            if (!protocol::parse_uint64(value, mvcc)) {
              if (!protocol::parse_int64(value, signed_stamp)) {
                r_.fail_at(item_at, "invalid mvcc-tstamp aux value");
              }
              mvcc = static_cast<uint64_t>(signed_stamp);
            }
            have_mvcc = true;
          } else {
            res_.aux.emplace_back(std::move(key), std::move(value));
          }
          continue;
        }
        case kOpModuleAux: {
          uint64_t module_id = read_len();
          read_len();  // when_opcode
          read_len();  // when
          skip_module_value();
          res_.warnings.push_back("skipped module aux data (module id " +
                                  std::to_string(module_id) + ")");
          continue;
        }
        case kOpFunction2:
          read_string();
          res_.warnings.push_back(
              "skipped a function library in the RDB file: FUNCTION is not supported");
          continue;
        case kOpFunction:
          r_.fail_at(item_at, "pre-release function format (RDB opcode 246) is not supported");
        case kOpEof:
          break;
        default: {
          std::string key = read_string();
          EntryPtr e(load_value(type, key, expire, item_at));
          bool expired = e && opt_.drop_expired && expire >= 0 && expire < opt_.now_ms;
          if (e && !expired) {
            Version v;
            if (have_mvcc) v = Version{mvcc, origin};
            if (opt_.take_key) {
              opt_.take_key(db, key, e.release(), v);
            } else {
              if (e->has_version) e->set_version(v);
              insert(db, key, std::move(e), item_at);
            }
            ++res_.keys_loaded;
            if (have_mvcc && opt_.on_key_mvcc) opt_.on_key_mvcc(db, key, mvcc);
            if (opt_.after_key) opt_.after_key();
          } else if (expired) {
            ++res_.keys_expired;
          }
          expire = -1;
          have_mvcc = false;
          continue;
        }
      }
      break;  // EOF
    }
    if (version >= 5) {
      uint64_t at = r_.offset();
      uint64_t computed = r_.crc();
      uint64_t stored = r_.le(8);
      if (stored != 0 && stored != computed) {
        char buf[128];
        snprintf(buf, sizeof(buf), "wrong RDB checksum: file says %016llx, content gives %016llx",
                 static_cast<unsigned long long>(stored),
                 static_cast<unsigned long long>(computed));
        r_.fail_at(at, buf);
      }
    }
    if (opt_.progress) opt_.progress(r_.offset(), r_.total());
  }

 private:
  // A length; *encoded tells a special string encoding (its kind in the result).
  uint64_t read_len(bool* encoded = nullptr) {
    if (encoded) *encoded = false;
    uint8_t b = r_.u8();
    switch (b >> 6) {
      case kLen6Bit:
        return b & 0x3f;
      case kLen14Bit:
        return (uint64_t(b & 0x3f) << 8) | r_.u8();
      case kLenEncoded:
        if (!encoded) r_.fail("unexpected string encoding where a length belongs");
        *encoded = true;
        return b & 0x3f;
      default:
        break;
    }
    uint8_t v[8];
    if (b == kLen32Bit) {
      r_.read(v, 4);
      return uint64_t(v[0]) << 24 | uint64_t(v[1]) << 16 | uint64_t(v[2]) << 8 | v[3];
    }
    if (b == kLen64Bit) {
      r_.read(v, 8);
      uint64_t n = 0;
      for (int i = 0; i < 8; ++i) n = (n << 8) | v[i];
      return n;
    }
    r_.fail("unknown length encoding " + std::to_string(b));
  }

  std::string read_string() {
    uint64_t at = r_.offset();
    bool encoded;
    uint64_t n = read_len(&encoded);
    if (encoded) {
      switch (n) {
        case kEncInt8:
          return protocol::int64_to_string(static_cast<int8_t>(r_.le(1)));
        case kEncInt16:
          return protocol::int64_to_string(static_cast<int16_t>(r_.le(2)));
        case kEncInt32:
          return protocol::int64_to_string(static_cast<int32_t>(r_.le(4)));
        case kEncLzf: {
          uint64_t clen = read_len();
          uint64_t len = read_len();
          if (clen > r_.remaining()) r_.fail_at(at, "compressed string runs past the end of file");
          if (len > (uint64_t(1) << 32) || (clen == 0 && len > 0)) {
            r_.fail_at(at, "invalid LZF string lengths");
          }
          std::string packed(clen, '\0');
          r_.read(packed.data(), clen);
          std::string out(len, '\0');
          if (len > 0 && lzf::decompress(packed.data(), clen, out.data(), len) != len) {
            r_.fail_at(at, "invalid LZF compressed string");
          }
          return out;
        }
        default:
          r_.fail_at(at, "unknown string encoding " + std::to_string(n));
      }
    }
    if (n > r_.remaining()) r_.fail_at(at, "string length runs past the end of file");
    std::string s(n, '\0');
    r_.read(s.data(), n);
    return s;
  }

  // A count of items that each take at least one byte of the file.
  uint64_t read_count(const char* what) {
    uint64_t at = r_.offset();
    uint64_t n = read_len();
    if (n > r_.remaining()) {
      r_.fail_at(at, std::string(what) + " length runs past the end of file");
    }
    return n;
  }

  double read_text_double() {
    uint64_t at = r_.offset();
    uint8_t n = r_.u8();
    if (n == 253) return NAN;
    if (n == 254) return INFINITY;
    if (n == 255) return -INFINITY;
    char buf[256];
    r_.read(buf, n);
    buf[n] = '\0';
    char* end;
    double d = strtod(buf, &end);
    if (end != buf + n) r_.fail_at(at, "invalid sorted set score");
    return d;
  }

  void skip_module_value() {
    while (true) {
      uint64_t op = read_len();
      switch (op) {
        case kModuleEof:
          return;
        case kModuleSint:
        case kModuleUint:
          read_len();
          break;
        case kModuleFloat:
          r_.le(4);
          break;
        case kModuleDouble:
          r_.le(8);
          break;
        case kModuleString:
          read_string();
          break;
        default:
          r_.fail("unknown module value opcode " + std::to_string(op));
      }
    }
  }

  [[noreturn]] void corrupt(uint64_t at, const std::string& key, const std::string& why) {
    r_.fail_at(at, "key '" + key + "': " + why);
  }

  std::string read_blob(uint64_t at, const std::string& key, std::vector<std::string>& out,
                        bool (*decode)(std::string_view, std::vector<std::string>&, std::string*)) {
    std::string blob = read_string();
    std::string why;
    if (!decode(blob, out, &why)) corrupt(at, key, why);
    return blob;
  }

  // The value of one key, or nullptr when it is empty (skipped, as Redis does).
  Entry* load_value(uint8_t type, const std::string& key, int64_t expire, uint64_t at) {
    std::vector<std::string> items;
    switch (type) {
      case kTypeString: {
        std::string v = read_string();
        return make_string_entry(key, v, expire);
      }
      case kTypeList: {
        uint64_t n = read_count("list");
        auto list = std::make_unique<ListValue>();
        for (uint64_t i = 0; i < n; ++i) list->push(ListEnd::kTail, read_string());
        return finish_list(std::move(list), key, expire);
      }
      case kTypeListZiplist: {
        read_blob(at, key, items, decode_ziplist);
        auto list = std::make_unique<ListValue>();
        for (auto& s : items) list->push(ListEnd::kTail, s);
        return finish_list(std::move(list), key, expire);
      }
      case kTypeListQuicklist:
      case kTypeListQuicklist2: {
        uint64_t nodes = read_count("quicklist");
        auto list = std::make_unique<ListValue>();
        for (uint64_t i = 0; i < nodes; ++i) {
          uint64_t container = kQuicklistPacked;
          if (type == kTypeListQuicklist2) {
            container = read_len();
            if (container != kQuicklistPacked && container != kQuicklistPlain) {
              corrupt(at, key, "unknown quicklist node container " + std::to_string(container));
            }
          }
          if (container == kQuicklistPlain) {
            list->push(ListEnd::kTail, read_string());
            continue;
          }
          items.clear();
          read_blob(at, key, items, type == kTypeListQuicklist ? decode_ziplist : decode_listpack);
          for (auto& s : items) list->push(ListEnd::kTail, s);
        }
        return finish_list(std::move(list), key, expire);
      }
      case kTypeSet: {
        uint64_t n = read_count("set");
        std::unique_ptr<SetValue> set;
        for (uint64_t i = 0; i < n; ++i) {
          std::string m = read_string();
          if (!set) set.reset(SetValue::create_for(m));
          if (!set->add(m)) corrupt(at, key, "duplicate set members");
        }
        if (!set) return nullptr;
        return make_object_entry(key, ValueType::kSet, set.release(), expire);
      }
      case kTypeSetIntset: {
        std::string blob = read_string();
        std::vector<int64_t> ints;
        std::string why;
        if (!decode_intset(blob, ints, &why)) corrupt(at, key, why);
        if (ints.empty()) return nullptr;
        std::unique_ptr<SetValue> set(SetValue::create_intset());
        for (int64_t v : ints) set->add(protocol::int64_to_string(v));
        return make_object_entry(key, ValueType::kSet, set.release(), expire);
      }
      case kTypeZSet:
      case kTypeZSet2: {
        uint64_t n = read_count("sorted set");
        std::vector<std::pair<std::string, double>> members;
        members.reserve(n);
        for (uint64_t i = 0; i < n; ++i) {
          std::string m = read_string();
          double score;
          if (type == kTypeZSet2) {
            uint64_t bits = r_.le(8);
            memcpy(&score, &bits, 8);
          } else {
            score = read_text_double();
          }
          members.emplace_back(std::move(m), score);
        }
        return finish_zset(members, key, expire, at);
      }
      case kTypeZSetZiplist:
      case kTypeZSetListpack: {
        read_blob(at, key, items, type == kTypeZSetZiplist ? decode_ziplist : decode_listpack);
        if (items.size() % 2) corrupt(at, key, "sorted set blob with an odd element count");
        std::vector<std::pair<std::string, double>> members;
        members.reserve(items.size() / 2);
        for (size_t i = 0; i < items.size(); i += 2) {
          double score;
          const std::string& t = items[i + 1];
          char* end;
          score = strtod(t.c_str(), &end);
          if (t.empty() || end != t.c_str() + t.size()) corrupt(at, key, "invalid score");
          members.emplace_back(std::move(items[i]), score);
        }
        return finish_zset(members, key, expire, at);
      }
      case kTypeHash: {
        uint64_t n = read_count("hash");
        auto hash = std::make_unique<HashValue>();
        for (uint64_t i = 0; i < n; ++i) {
          std::string f = read_string();
          std::string v = read_string();
          if (!hash->set(f, v)) corrupt(at, key, "duplicate hash fields");
        }
        if (n == 0) return nullptr;
        return make_object_entry(key, ValueType::kHash, hash.release(), expire);
      }
      case kTypeHashZipmap:
      case kTypeHashZiplist:
      case kTypeHashListpack: {
        read_blob(at, key, items,
                  type == kTypeHashZipmap    ? decode_zipmap
                  : type == kTypeHashZiplist ? decode_ziplist
                                             : decode_listpack);
        if (items.size() % 2) corrupt(at, key, "hash blob with an odd element count");
        if (items.empty()) return nullptr;
        auto hash = std::make_unique<HashValue>();
        for (size_t i = 0; i < items.size(); i += 2) {
          if (!hash->set(items[i], items[i + 1])) corrupt(at, key, "duplicate hash fields");
        }
        return make_object_entry(key, ValueType::kHash, hash.release(), expire);
      }
      case kTypeStreamListpacks:
      case kTypeStreamListpacks2:
      case 21:  // streams as redis-server 7.2 writes them
        r_.fail_at(at, "key '" + key + "' is a stream: streams are not supported");
      case kTypeModule:
      case kTypeModule2:
        r_.fail_at(at, "key '" + key + "' has a module type: module types are not supported");
      default:
        r_.fail_at(at, "unknown RDB object type " + std::to_string(type));
    }
  }

  Entry* finish_list(std::unique_ptr<ListValue> list, const std::string& key, int64_t expire) {
    if (list->empty()) return nullptr;
    return make_object_entry(key, ValueType::kList, list.release(), expire);
  }

  Entry* finish_zset(std::vector<std::pair<std::string, double>>& members, const std::string& key,
                     int64_t expire, uint64_t at) {
    if (members.empty()) return nullptr;
    for (const auto& m : members) {
      if (std::isnan(m.second)) corrupt(at, key, "sorted set with a NaN score");
    }
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
      return a.second < b.second || (a.second == b.second && a.first < b.first);
    });
    std::unordered_set<std::string_view> seen;
    seen.reserve(members.size());
    for (const auto& m : members) {
      if (!seen.insert(m.first).second) corrupt(at, key, "duplicate sorted set members");
    }
    return make_object_entry(key, ValueType::kZSet, ZSetValue::from_sorted(members), expire);
  }

  void reserve(int db, uint64_t keys) {
    const size_t shards = ks_.shard_count();
    // The announced size is only a hint (a damaged file may claim anything): at most 64Ki
    // buckets a shard up front (about 4M keys over 64 shards); beyond that tables grow as
    // keys arrive.
    const uint64_t per_shard = std::min<uint64_t>(keys / shards + 1, uint64_t{1} << 16);
    for (size_t i = 0; i < shards; ++i) {
      Shard& s = ks_.shard(i);
      std::lock_guard<std::mutex> lock(s.mu);
      s.dbs[static_cast<size_t>(db)].reserve(static_cast<size_t>(per_shard));
    }
  }

  void tombstone(int db, const std::string& text, uint64_t at) {
    size_t sp1 = text.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : text.find(' ', sp1 + 1);
    uint64_t mvcc = 0;
    if (sp2 == std::string::npos || !protocol::parse_uint64(text.substr(0, sp1), mvcc)) {
      r_.fail_at(at, "invalid tombstone aux value");
    }
    Version v{mvcc, intern_origin(std::string_view(text).substr(sp1 + 1, sp2 - sp1 - 1))};
    std::string key = text.substr(sp2 + 1);
    if (opt_.on_tombstone) {
      opt_.on_tombstone(db, std::move(key), v);
      return;
    }
    if (!versioned_entries()) return;
    Shard& s = ks_.shard(ks_.shard_of(hash_key(key)));
    std::lock_guard<std::mutex> lock(s.mu);
    s.tombstones[static_cast<size_t>(db)][std::move(key)] = Tombstone{v, opt_.now_ms};
  }

 public:
  // One DUMP payload's value (the type byte already read by the caller).
  Entry* value_only(uint8_t type, const std::string& key, int64_t expire) {
    return load_value(type, key, expire, 0);
  }
  uint8_t next_byte() { return r_.u8(); }

 private:
  void insert(int db, const std::string& key, EntryPtr e, uint64_t at) {
    uint64_t h = hash_key(key);
    Shard& s = ks_.shard(ks_.shard_of(h));
    std::lock_guard<std::mutex> lock(s.mu);
    Table& t = s.dbs[static_cast<size_t>(db)];
    if (t.find(key, h)) r_.fail_at(at, "duplicate key '" + key + "'");
    if (FlashTier* f = ks_.flash()) f->store(db, *e);  // write-through, as for any write
    t.insert(e.release(), h);
  }

  Reader r_;
  Keyspace& ks_;
  const LoadOptions& opt_;
  LoadResult& res_;
};

}  // namespace

Entry* restore_value(std::string_view payload, std::string_view key, int64_t expire_at,
                     std::string* why) {
  if (payload.size() < 11) {
    if (why) *why = "DUMP payload version or checksum are wrong";
    return nullptr;
  }
  const auto* tail = reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - 10);
  uint64_t rdbver = tail[0] | (static_cast<uint64_t>(tail[1]) << 8);
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | tail[2 + i];
  if (rdbver > static_cast<uint64_t>(kMaxVersion) ||
      crc64(0, payload.data(), payload.size() - 8) != crc) {
    if (why) *why = "DUMP payload version or checksum are wrong";
    return nullptr;
  }
  static Keyspace* scratch = new Keyspace(1, 0);  // the loader wants one; nothing goes in
  MemorySource src(payload.substr(0, payload.size() - 10));
  LoadOptions opt;
  LoadResult res;
  Loader loader(src, *scratch, opt, res);
  try {
    uint8_t type = loader.next_byte();
    Entry* e = loader.value_only(type, std::string(key), expire_at);
    if (!e && why) *why = "Bad data format";
    return e;
  } catch (const LoadError&) {
    if (why) *why = "Bad data format";
    return nullptr;
  }
}

LoadResult load_rdb(Source& in, Keyspace& ks, const LoadOptions& opt) {
  LoadResult res;
  Loader loader(in, ks, opt, res);
  try {
    loader.run();
    res.ok = true;
  } catch (const LoadError& e) {
    res.ok = false;
    res.offset = e.offset;
    res.reason = e.reason;
  } catch (const std::bad_alloc&) {
    res.ok = false;
    res.reason = "out of memory";
  }
  return res;
}

Entry* decode_key_item(std::string_view item, int64_t expire_at, std::string* error) {
  // Decoding one item never touches the loader's keyspace; this one only fills the slot.
  static Keyspace unused(1, 0);
  MemorySource src(item);
  LoadOptions opt;
  LoadResult res;
  Loader loader(src, unused, opt, res);
  try {
    return loader.read_item(expire_at);
  } catch (const LoadError& e) {
    if (error) *error = e.reason;
  } catch (const std::bad_alloc&) {
    if (error) *error = "out of memory";
  }
  return nullptr;
}

}  // namespace terndb::storage::rdb
