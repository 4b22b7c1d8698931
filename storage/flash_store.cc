#include "storage/flash_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "storage/clock.h"
#include "storage/keyspace.h"
#include "storage/rdb_format.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"

namespace terndb::storage {
namespace {

constexpr char kOrderKey[] = "db-order";
constexpr char kForkDirPrefix[] = "fork-checkpoint-";
// Above every key a client is likely to use: FLUSHDB deletes [ "", kHigh ) as one range
// tombstone, then the few keys beyond it one by one.
const std::string kHigh(16, '\xff');

std::string cf_name(int i) {
  return "db" + std::to_string(i);
}

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

rocksdb::ColumnFamilyOptions column_family_options(const std::shared_ptr<rocksdb::Cache>& cache,
                                                   size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions o;
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kNoCompression;
  o.write_buffer_size = std::max<size_t>(write_buffer_bytes / 2, 1 << 20);
  o.max_write_buffer_number = 2;
  o.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // Index and filter blocks live in the block cache too, so the cache bounds them.
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  // A miss in RAM for a key that does not exist at all costs a filter probe, not a read.
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.block_size = 16 << 10;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

void put_le64(std::string& out, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (8 * i));
  out.append(b, 8);
}

int64_t get_le64(const char* p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(p[i]);
  return static_cast<int64_t>(u);
}

}  // namespace

std::string flash_value(const Entry& e) {
  std::string out;
  put_le64(out, e.expire_at());
  out += rdb::encode_key_item(e);
  return out;
}

bool parse_flash_value(std::string_view value, int64_t& expire_at, std::string_view& item) {
  if (value.size() < 9) return false;
  expire_at = get_le64(value.data());
  item = value.substr(8);
  return true;
}

std::unique_ptr<FlashStore> FlashStore::open(const FlashOptions& opt, int64_t now_ms,
                                             std::string* error) {
  std::unique_ptr<FlashStore> s(new FlashStore(opt.databases));
  s->path_ = opt.path;
  s->owner_pid_ = getpid();
  std::error_code ec;
  std::filesystem::create_directories(opt.path, ec);
  // Checkpoints of snapshot children that were killed or crashed.
  for (const auto& de : std::filesystem::directory_iterator(opt.path, ec)) {
    if (de.path().filename().string().rfind(kForkDirPrefix, 0) == 0) {
      std::filesystem::remove_all(de.path(), ec);
    }
  }

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  const int cpus = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  dbo.max_background_jobs = cpus;
  dbo.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(opt.write_buffer_bytes);
  // Databases written rarely must not keep old WAL files alive for long.
  dbo.max_total_wal_size = 4 * opt.write_buffer_bytes;
  dbo.keep_log_file_num = 2;
  dbo.max_log_file_size = 1 << 20;
  s->cache_ = rocksdb::NewLRUCache(opt.block_cache_bytes);

  // Every column family present must be opened; the databases' missing ones are then
  // created in one call: RocksDB rewrites and syncs its options file once per call, and
  // one call per database made a new store take seconds to open.
  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(dbo, opt.path, &existing);
  int families = opt.databases;
  std::vector<bool> present;
  for (const std::string& n : existing) {
    if (n.rfind("db", 0) != 0) continue;
    const int i = atoi(n.c_str() + 2);
    families = std::max(families, i + 1);
    if (present.size() <= static_cast<size_t>(i)) present.resize(static_cast<size_t>(i) + 1);
    present[static_cast<size_t>(i)] = true;
  }
  present.resize(static_cast<size_t>(families));
  const rocksdb::ColumnFamilyOptions cfo = column_family_options(s->cache_, opt.write_buffer_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  std::vector<std::string> missing;
  for (int i = 0; i < families; ++i) {
    if (present[static_cast<size_t>(i)]) {
      descs.emplace_back(cf_name(i), cfo);
    } else {
      missing.push_back(cf_name(i));
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status st = rocksdb::DB::Open(dbo, opt.path, descs, &handles, &s->db_);
  std::vector<rocksdb::ColumnFamilyHandle*> created;
  if (st.ok() && !missing.empty()) {
    st = s->db_->CreateColumnFamilies(cfo, missing, &created);
    if (!st.ok()) {
      for (auto* h : created) s->db_->DestroyColumnFamilyHandle(h);
      for (auto* h : handles) s->db_->DestroyColumnFamilyHandle(h);
      delete s->db_;
      s->db_ = nullptr;
    }
  }
  if (!st.ok()) {
    *error = "can't open the flash store at " + opt.path + ": " + st.ToString();
    return nullptr;
  }
  s->meta_ = handles[0];
  s->handles_.resize(static_cast<size_t>(families));
  size_t next_opened = 1, next_created = 0;
  for (int i = 0; i < families; ++i) {
    s->handles_[static_cast<size_t>(i)] =
        present[static_cast<size_t>(i)] ? handles[next_opened++] : created[next_created++];
  }

  // Which column family backs which database (SWAPDB permutes them).
  s->order_.resize(static_cast<size_t>(families));
  for (int i = 0; i < families; ++i) s->order_[static_cast<size_t>(i)] = i;
  std::string saved;
  if (s->db_->Get(rocksdb::ReadOptions(), s->meta_, kOrderKey, &saved).ok()) {
    std::vector<int> order;
    for (size_t i = 0; i < saved.size();) {
      size_t j = saved.find(',', i);
      if (j == std::string::npos) j = saved.size();
      order.push_back(atoi(saved.substr(i, j - i).c_str()));
      i = j + 1;
    }
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    bool valid = static_cast<int>(order.size()) <= families;
    for (size_t i = 0; valid && i < sorted.size(); ++i) valid = sorted[i] == static_cast<int>(i);
    if (valid) std::copy(order.begin(), order.end(), s->order_.begin());
  }

  // Count each database's keys; drop those that expired while the server was down.
  for (int db = 0; db < opt.databases; ++db) {
    int64_t n = 0;
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    std::unique_ptr<rocksdb::Iterator> it(s->db_->NewIterator(ro, s->cf(db)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice v = it->value();
      int64_t exp = v.size() >= 8 ? get_le64(v.data()) : -1;
      if (exp >= 0 && exp <= now_ms) {
        s->db_->Delete(rocksdb::WriteOptions(), s->cf(db), it->key());
        continue;
      }
      ++n;
    }
    if (!it->status().ok()) {
      *error = "reading the flash store: " + it->status().ToString();
      return nullptr;
    }
    s->set_offloaded(db, n);
  }
  s->set_flush_period(opt.flush_period_ms);
  s->sync_thread_ = std::thread([p = s.get()] { p->sync_loop(); });
  return s;
}

FlashStore::~FlashStore() {
  {
    std::lock_guard<std::mutex> g(sync_mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (!db_) return;
  if (Keyspace* ks = keyspace()) {
    flush_all_dirty(false);
    ks->set_flash(nullptr);
  }
  db_->SyncWAL();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->DestroyColumnFamilyHandle(meta_);
  db_->Close();
  delete db_;
}

void FlashStore::set_flush_period(int64_t ms) {
  {
    std::lock_guard<std::mutex> g(sync_mu_);
    flush_period_ms_ = ms;
    immediate_.store(ms == 0);
  }
  sync_cv_.notify_all();
}

void FlashStore::sync_loop() {
  std::unique_lock<std::mutex> g(sync_mu_);
  uint64_t synced_writes = 0;
  int64_t last_sync = now_ms();
  while (!stopping_) {
    sync_cv_.wait_for(g, std::chrono::milliseconds(kFlushIntervalMs));
    if (stopping_) break;
    const int64_t period = flush_period_ms_;
    g.unlock();
    {
      // The keyspace cannot go away meanwhile: it unbinds under bind_mu_.
      std::lock_guard<std::mutex> b(bind_mu_);
      flush_all_dirty(false);
    }
    const int64_t now = now_ms();
    const uint64_t w = writes_.load() + deletes_.load();
    if (period > 0 && now - last_sync >= period && w != synced_writes) {
      synced_writes = w;
      last_sync = now;
      rocksdb::Status st = db_->SyncWAL();
      if (st.ok()) {
        wal_syncs_.fetch_add(1, std::memory_order_relaxed);
      } else {
        report("syncing the WAL", st.ToString());
      }
    }
    g.lock();
  }
}

void FlashStore::write_changes(const std::vector<Change>& changes) {
  rocksdb::WriteBatch batch;
  size_t puts = 0;
  for (const Change& c : changes) {
    if (c.entry) {
      batch.Put(cf(c.db), slice(c.key), flash_value(*c.entry));
      ++puts;
    } else {
      batch.Delete(cf(c.db), slice(c.key));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = immediate();
  rocksdb::Status st = db_->Write(wo, &batch);
  writes_.fetch_add(puts, std::memory_order_relaxed);
  deletes_.fetch_add(changes.size() - puts, std::memory_order_relaxed);
  if (!st.ok()) report("writing changed keys", st.ToString());
}

void FlashStore::report(const char* what, const std::string& status) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  // At most one line a second: a full disk fails every write.
  int64_t now = now_ms();
  int64_t last = last_error_log_ms_.load(std::memory_order_relaxed);
  if (now - last < 1000 || !last_error_log_ms_.compare_exchange_strong(last, now)) return;
  fprintf(stderr, "flash store: error %s: %s\n", what, status.c_str());
}

void FlashStore::store(int db, const Entry& e) {
  rocksdb::WriteOptions wo;
  wo.sync = immediate();
  rocksdb::Status st = db_->Put(wo, cf(db), slice(e.key()), flash_value(e));
  writes_.fetch_add(1, std::memory_order_relaxed);
  if (!st.ok()) report("writing a key", st.ToString());
}

void FlashStore::remove(int db, std::string_view key) {
  rocksdb::WriteOptions wo;
  wo.sync = immediate();
  rocksdb::Status st = db_->Delete(wo, cf(db), slice(key));
  deletes_.fetch_add(1, std::memory_order_relaxed);
  if (!st.ok()) report("deleting a key", st.ToString());
}

Entry* FlashStore::fetch(int db, std::string_view key) {
  rocksdb::PinnableSlice value;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), cf(db), slice(key), &value);
  if (st.IsNotFound()) return nullptr;
  if (!st.ok()) {
    report("reading a key", st.ToString());
    return nullptr;
  }
  int64_t expire_at;
  std::string_view item;
  std::string why;
  Entry* e = nullptr;
  if (parse_flash_value({value.data(), value.size()}, expire_at, item)) {
    e = rdb::decode_key_item(item, expire_at, &why);
  } else {
    why = "value too short";
  }
  if (!e && !why.empty()) report("decoding a key", why);
  return e;
}

void FlashStore::clear(int db) {
  flush_all_dirty(true);  // every shard lock is held: nothing pending may land after this
  rocksdb::WriteOptions wo;
  wo.sync = immediate();
  rocksdb::Status st = db_->DeleteRange(wo, cf(db), "", kHigh);
  if (!st.ok()) report("flushing a database", st.ToString());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(db)));
  for (it->Seek(kHigh); it->Valid(); it->Next()) db_->Delete(wo, cf(db), it->key());
  set_offloaded(db, 0);
}

void FlashStore::swap(int a, int b) {
  flush_all_dirty(true);  // pending changes name their database by number
  // Atomic stores: KEYS, SCAN and RANDOMKEY read the order holding no shard lock
  // (walk_keys, random_key); everything else reads it under a shard lock.
  std::atomic_ref<int> slot_a(order_[static_cast<size_t>(a)]);
  std::atomic_ref<int> slot_b(order_[static_cast<size_t>(b)]);
  const int cf_a = slot_a.load();
  slot_a.store(slot_b.load());
  slot_b.store(cf_a);
  int64_t oa = offloaded(a), ob = offloaded(b);
  set_offloaded(a, ob);
  set_offloaded(b, oa);
  save_order();
}

void FlashStore::save_order() {
  std::string text;
  for (size_t i = 0; i < order_.size(); ++i) {
    if (i) text += ',';
    text += std::to_string(order_[i]);
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;  // rare, and a lost swap would mix databases up after a crash
  rocksdb::Status st = db_->Put(wo, meta_, kOrderKey, text);
  if (!st.ok()) report("saving the database order", st.ToString());
}

namespace {

bool visit_all(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* snap,
               const FlashVisit& visit, std::string* error) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice v = it->value();
    int64_t expire_at;
    std::string_view item;
    if (!parse_flash_value({v.data(), v.size()}, expire_at, item)) {
      if (error) *error = "malformed value stored for a key";
      return false;
    }
    visit({it->key().data(), it->key().size()}, expire_at, item);
  }
  if (!it->status().ok()) {
    if (error) *error = it->status().ToString();
    return false;
  }
  return true;
}

}  // namespace

bool FlashStore::for_each(int db, const FlashVisit& visit, std::string* error) {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  bool ok = visit_all(db_, cf(db), snap, visit, error);
  db_->ReleaseSnapshot(snap);
  return ok;
}

bool FlashStore::checkpoint(const std::string& dir, std::string* error) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  rocksdb::Checkpoint* cp = nullptr;
  rocksdb::Status st = rocksdb::Checkpoint::Create(db_, &cp);
  if (st.ok()) {
    // No memtable flush (it would stall the caller, who holds every shard lock): the WAL
    // files are copied instead, and the reader replays them.
    st = cp->CreateCheckpoint(dir, UINT64_MAX);
    delete cp;
  }
  if (!st.ok()) {
    *error = "can't checkpoint the flash store: " + st.ToString();
    return false;
  }
  return true;
}

void FlashStore::prepare_fork() {
  flush_all_dirty(true);
  fork_dir_ =
      path_ + "/" + kForkDirPrefix + std::to_string(getpid()) + "-" + std::to_string(++forks_);
  std::string why;
  if (!checkpoint(fork_dir_, &why)) {
    report("preparing a snapshot", why);
    fork_dir_.clear();
  }
}

bool FlashStore::snapshot_items(int db, const InRam& in_ram, const EmitItem& emit,
                                std::string* error) {
  auto visit = [&](std::string_view key, int64_t expire_at, std::string_view item) {
    if (!in_ram(key)) emit(expire_at, item);
  };
  if (getpid() == owner_pid_) {
    flush_all_dirty(true);  // SAVE: the caller holds every shard lock
    return for_each(db, visit, error);
  }
  // A forked child: its own read-only instance over the checkpoint, removed once read.
  if (fork_dir_.empty()) {
    if (error) *error = "no checkpoint was made for this snapshot";
    return false;
  }
  // Opened once per child (the child exits when its snapshot is written). Every table
  // file is opened up front (max_open_files -1), so the checkpoint's directory can go at
  // once: the open files stay readable.
  static FlashCheckpointReader* reader = nullptr;
  if (!reader) {
    reader = new FlashCheckpointReader;
    bool opened = reader->open(fork_dir_, column_families(), error);
    std::error_code ec;
    std::filesystem::remove_all(fork_dir_, ec);
    if (!opened) {
      delete reader;
      reader = nullptr;
      return false;
    }
  }
  bool ok = reader->for_each(db, visit, error);
  return ok;
}

namespace {

// The value type of a stored RDB item, from its type byte.
ValueType item_type(std::string_view item) {
  switch (item.empty() ? 0 : static_cast<uint8_t>(item[0])) {
    case rdb::kTypeList:
    case rdb::kTypeListZiplist:
    case rdb::kTypeListQuicklist:
    case rdb::kTypeListQuicklist2:
      return ValueType::kList;
    case rdb::kTypeSet:
    case rdb::kTypeSetIntset:
      return ValueType::kSet;
    case rdb::kTypeZSet:
    case rdb::kTypeZSet2:
    case rdb::kTypeZSetZiplist:
    case rdb::kTypeZSetListpack:
      return ValueType::kZSet;
    case rdb::kTypeHash:
    case rdb::kTypeHashZipmap:
    case rdb::kTypeHashZiplist:
    case rdb::kTypeHashListpack:
      return ValueType::kHash;
    default:
      return ValueType::kString;
  }
}

}  // namespace

bool FlashStore::walk_keys(int db, std::string_view after, bool from_start, const KeyVisit& visit,
                           std::string* last) {
  // The caller flushed pending changes (flush_all_dirty) so that the walk sees them. It
  // holds no shard lock, so the database's column family is read as SWAPDB stores it.
  const int family = std::atomic_ref<int>(order_[static_cast<size_t>(db)]).load();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[static_cast<size_t>(family)]));
  if (from_start) {
    it->SeekToFirst();
  } else {
    it->Seek(slice(after));
    if (it->Valid() && it->key() == slice(after)) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    rocksdb::Slice v = it->value();
    int64_t expire_at;
    std::string_view item;
    if (!parse_flash_value({v.data(), v.size()}, expire_at, item)) continue;
    std::string_view key(it->key().data(), it->key().size());
    if (last) last->assign(key);
    if (!visit(key, expire_at, item_type(item))) {
      it->Next();
      return it->Valid();
    }
  }
  return false;
}

bool FlashStore::random_key(int db, uint64_t seed, std::string& out) {
  // No shard lock held (see walk_keys).
  const int family = std::atomic_ref<int>(order_[static_cast<size_t>(db)]).load();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[static_cast<size_t>(family)]));
  char probe[8];
  for (int i = 0; i < 8; ++i) probe[i] = static_cast<char>(seed >> (56 - 8 * i));
  it->Seek(rocksdb::Slice(probe, 8));
  if (!it->Valid()) it->SeekToFirst();
  if (!it->Valid()) return false;
  out.assign(it->key().data(), it->key().size());
  return true;
}

std::vector<std::string> FlashStore::column_families() const {
  std::vector<std::string> out;
  for (int db = 0; db < databases(); ++db) out.push_back(cf_name(order_[static_cast<size_t>(db)]));
  return out;
}

FlashStore::Stats FlashStore::stats() {
  Stats s;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) s.sst_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.estimate-live-data-size", &v)) s.live_data_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) s.memtable_bytes += v;
  }
  s.block_cache_bytes = cache_->GetUsage();
  s.wal_syncs = wal_syncs_.load();
  s.writes = writes_.load();
  s.deletes = deletes_.load();
  s.errors = errors_.load();
  return s;
}

FlashCheckpointReader::~FlashCheckpointReader() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  if (default_) db_->DestroyColumnFamilyHandle(default_);
  delete db_;
}

bool FlashCheckpointReader::open(const std::string& dir,
                                 const std::vector<std::string>& column_families,
                                 std::string* error) {
  rocksdb::DBOptions dbo;
  dbo.max_open_files = -1;
  // Table files are opened by this thread alone: by default RocksDB opens them with up to
  // 16 threads, and threads started in a forked child reuse the stacks of the parent's
  // threads (ThreadSanitizer cannot follow that and kills the child). The child has one
  // core's work to do anyway.
  dbo.max_file_opening_threads = 1;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  rocksdb::ColumnFamilyOptions cfo;
  cfo.compression = rocksdb::kNoCompression;
  for (const std::string& n : column_families) descs.emplace_back(n, cfo);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status st = rocksdb::DB::OpenForReadOnly(dbo, dir, descs, &handles, &db_);
  if (!st.ok()) {
    if (error) *error = "can't open the flash checkpoint: " + st.ToString();
    db_ = nullptr;
    return false;
  }
  default_ = handles[0];
  handles_.assign(handles.begin() + 1, handles.end());
  return true;
}

bool FlashCheckpointReader::for_each(int db, const FlashVisit& visit, std::string* error) {
  return visit_all(db_, handles_[static_cast<size_t>(db)], nullptr, visit, error);
}

}  // namespace terndb::storage
