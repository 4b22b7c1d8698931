#include "replication/stream_log.h"

#include <algorithm>
#include <random>

#include "storage/version.h"
#include "storage/write_order.h"

namespace terndb::replication {

std::string random_replid() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id(40, '0');
  for (auto& c : id) c = kHex[rng() & 15];
  return id;
}

StreamLog::StreamLog() : replid_(random_replid()), replid2_(40, '0') {}

std::string StreamLog::replid() const {
  std::lock_guard<std::mutex> g(mu_);
  return replid_;
}

std::string StreamLog::replid2() const {
  std::lock_guard<std::mutex> g(mu_);
  return replid2_;
}

int64_t StreamLog::second_offset() const {
  std::lock_guard<std::mutex> g(mu_);
  return second_offset_;
}

uint64_t StreamLog::offset() const {
  std::lock_guard<std::mutex> g(mu_);
  return offset_;
}

uint64_t StreamLog::backlog_histlen() const {
  std::lock_guard<std::mutex> g(mu_);
  return std::min<uint64_t>(buf_.size(), backlog_size_);
}

uint64_t StreamLog::backlog_first_byte() const {
  std::lock_guard<std::mutex> g(mu_);
  if (!active_) return 0;
  return offset_ - std::min<uint64_t>(buf_.size(), backlog_size_) + 1;
}

bool StreamLog::backlog_active() const {
  std::lock_guard<std::mutex> g(mu_);
  return active_;
}

void StreamLog::set_backlog_size(uint64_t bytes) {
  std::lock_guard<std::mutex> g(mu_);
  backlog_size_ = std::max<uint64_t>(bytes, 16 * 1024);
}

uint64_t StreamLog::next_ticket() {
  return storage::write_sequence().next.load(std::memory_order_acquire);
}

void StreamLog::activate() {
  std::lock_guard<std::mutex> g(mu_);
  if (active_) return;
  active_ = true;
  early_.clear();  // left over from before a freed backlog
  // No ticket is taken while the sequence is off, so the next one is where we start.
  expected_ticket_ = storage::write_sequence().next.load();
  storage::write_sequence().enabled.store(true);
}

bool StreamLog::free_backlog() {
  std::lock_guard<std::mutex> g(mu_);
  if (!active_ || !readers_.empty()) return false;
  active_ = false;
  storage::write_sequence().enabled.store(false);
  // Tickets taken before this point are handed in later and dropped: activate() starts
  // from the next ticket, and a new replica's snapshot holds those writes anyway.
  early_.clear();
  snapshot_points_.clear();
  std::string().swap(buf_);
  replid_ = random_replid();
  replid2_.assign(40, '0');
  second_offset_ = -1;
  selected_db_ = -1;
  return true;
}

void StreamLog::submit(uint64_t ticket, StreamBatch batch) {
  std::lock_guard<std::mutex> g(mu_);
  if (!active_) return;
  if (ticket != expected_ticket_) {
    if (ticket > expected_ticket_) early_.emplace(ticket, std::move(batch));
    return;
  }
  size_t before = offset_;
  append_locked(batch);
  ++expected_ticket_;
  place_readers_locked();
  while (!early_.empty() && early_.begin()->first == expected_ticket_) {
    append_locked(early_.begin()->second);
    early_.erase(early_.begin());
    ++expected_ticket_;
    place_readers_locked();
  }
  if (offset_ != before) {
    wake_readers_locked();
    trim_locked();
  }
}

void StreamLog::append_command(const Argv& argv) {
  storage::WriteSequence& seq = storage::write_sequence();
  if (!seq.enabled.load()) return;
  StreamBatch batch;
  batch.items.push_back(StreamItem{-1, argv});
  submit(seq.next.fetch_add(1), std::move(batch));
}

void StreamLog::encode(const Argv& argv) {
  buf_ += '*';
  buf_ += std::to_string(argv.size());
  buf_ += "\r\n";
  for (const auto& a : argv) {
    buf_ += '$';
    buf_ += std::to_string(a.size());
    buf_ += "\r\n";
    buf_ += a;
    buf_ += "\r\n";
  }
}

void StreamLog::append_locked(StreamBatch& batch) {
  size_t start = buf_.size();
  if (!batch.raw.empty()) {
    buf_ += batch.raw;
    selected_db_ = -1;  // the raw bytes carry their own SELECTs
  }
  if (!batch.items.empty() && !batch.wrap_origin.empty()) {
    for (auto& item : batch.items) {
      std::string inner;
      inner.swap(buf_);
      encode(item.argv);
      inner.swap(buf_);
      encode(Argv{"RREPLAY", batch.wrap_origin, inner, std::to_string(item.db),
                  std::to_string(storage::hlc_next())});
    }
  } else if (!batch.items.empty()) {
    auto select = [&](int db) {
      if (db < 0 || db == selected_db_) return;
      encode(Argv{"SELECT", std::to_string(db)});
      selected_db_ = db;
    };
    if (batch.transaction) {
      select(batch.items.front().db);
      encode(Argv{"MULTI"});
    }
    for (auto& item : batch.items) {
      select(item.db);
      encode(item.argv);
    }
    if (batch.transaction) encode(Argv{"EXEC"});
  }
  offset_ += buf_.size() - start;
}

void StreamLog::place_readers_locked() {
  for (auto& r : readers_) {
    if (r.placed || r.start_ticket != expected_ticket_) continue;
    r.placed = true;
    r.pos = offset_;
    snapshot_points_[r.start_ticket] = offset_;
    if (snapshot_points_.size() > 16) snapshot_points_.erase(snapshot_points_.begin());
    // The snapshot does not say which database the stream is in: name it again.
    selected_db_ = -1;
    if (r.on_placed) r.on_placed(offset_);
    r.on_placed = nullptr;
  }
}

void StreamLog::wake_readers_locked() {
  for (auto& r : readers_) {
    if (!r.placed || r.woken || r.pos >= offset_) continue;
    if (auto p = r.reader.lock()) {
      r.woken = true;
      p->wake();
    }
  }
}

void StreamLog::trim_locked() {
  const uint64_t first = offset_ - buf_.size();
  uint64_t keep_from = offset_ - std::min<uint64_t>(buf_.size(), backlog_size_);
  for (auto it = readers_.begin(); it != readers_.end();) {
    if (it->placed && offset_ - it->pos > reader_limit_) {
      if (auto p = it->reader.lock()) p->cut_off();
      it = readers_.erase(it);
      continue;
    }
    if (it->placed) keep_from = std::min(keep_from, it->pos);
    ++it;
  }
  // Dropping from the front moves the rest: only when it frees a good share.
  uint64_t garbage = keep_from - first;
  if (garbage < std::max<uint64_t>(backlog_size_, 1024 * 1024)) return;
  buf_.erase(0, garbage);
}

StreamLog::Reader* StreamLog::find_locked(const StreamReader* r) {
  for (auto& x : readers_) {
    if (x.key == r) return &x;
  }
  return nullptr;
}

const StreamLog::Reader* StreamLog::find_locked(const StreamReader* r) const {
  for (auto& x : readers_) {
    if (x.key == r) return &x;
  }
  return nullptr;
}

void StreamLog::reset(const std::string& replid, uint64_t offset) {
  std::vector<std::shared_ptr<StreamReader>> cut;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& r : readers_) {
      if (auto p = r.reader.lock()) cut.push_back(p);
    }
    readers_.clear();
    replid_ = replid;
    replid2_.assign(40, '0');
    second_offset_ = -1;
    offset_ = offset;
    buf_.clear();
    selected_db_ = -1;
  }
  for (auto& p : cut) p->cut_off();
}

void StreamLog::switch_replid(const std::string& replid) {
  std::vector<std::shared_ptr<StreamReader>> cut;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (replid == replid_) return;
    replid2_ = replid_;
    second_offset_ = static_cast<int64_t>(offset_) + 1;
    replid_ = replid;
    // Our replicas learn the new id by reconnecting (they continue by PSYNC2).
    for (auto& r : readers_) {
      if (auto p = r.reader.lock()) cut.push_back(p);
    }
    readers_.clear();
  }
  for (auto& p : cut) p->cut_off();
}

void StreamLog::shift_replid() {
  std::lock_guard<std::mutex> g(mu_);
  replid2_ = replid_;
  second_offset_ = static_cast<int64_t>(offset_) + 1;
  replid_ = random_replid();
  selected_db_ = -1;
}

bool StreamLog::can_continue(const std::string& replid, uint64_t offset) const {
  std::lock_guard<std::mutex> g(mu_);
  if (!active_) return false;
  bool ours = replid == replid_;
  bool previous = replid == replid2_ && second_offset_ >= 0 &&
                  offset + 1 <= static_cast<uint64_t>(second_offset_);
  if (!ours && !previous) return false;
  return offset <= offset_ && offset >= offset_ - buf_.size();
}

void StreamLog::attach(const std::shared_ptr<StreamReader>& r, uint64_t offset) {
  std::lock_guard<std::mutex> g(mu_);
  Reader x;
  x.reader = r;
  x.key = r.get();
  x.pos = offset;
  readers_.push_back(std::move(x));
  wake_readers_locked();
}

bool StreamLog::attach_at_ticket(const std::shared_ptr<StreamReader>& r, uint64_t ticket,
                                 std::function<void(uint64_t)> placed) {
  std::lock_guard<std::mutex> g(mu_);
  if (ticket < expected_ticket_) {
    auto it = snapshot_points_.find(ticket);
    if (it == snapshot_points_.end() || it->second < offset_ - buf_.size()) return false;
    Reader x;
    x.reader = r;
    x.key = r.get();
    x.pos = it->second;
    readers_.push_back(std::move(x));
    placed(it->second);
    wake_readers_locked();
    return true;
  }
  Reader x;
  x.reader = r;
  x.key = r.get();
  x.placed = false;
  x.start_ticket = ticket;
  x.on_placed = std::move(placed);
  readers_.push_back(std::move(x));
  place_readers_locked();
  return true;
}

void StreamLog::detach(const StreamReader* r) {
  std::lock_guard<std::mutex> g(mu_);
  readers_.erase(
      std::remove_if(readers_.begin(), readers_.end(), [r](const Reader& x) { return x.key == r; }),
      readers_.end());
}

bool StreamLog::read(const StreamReader* r, size_t max, std::string& out) {
  std::lock_guard<std::mutex> g(mu_);
  Reader* x = find_locked(r);
  if (!x) return false;
  if (!x->placed) return true;
  const uint64_t first = offset_ - buf_.size();
  if (x->pos < first) return false;  // cannot happen while attached: trimming waits for it
  size_t n = static_cast<size_t>(std::min<uint64_t>(max, offset_ - x->pos));
  out.append(buf_, static_cast<size_t>(x->pos - first), n);
  x->pos += n;
  if (x->pos >= offset_) x->woken = false;
  return true;
}

uint64_t StreamLog::position(const StreamReader* r) const {
  std::lock_guard<std::mutex> g(mu_);
  const Reader* x = find_locked(r);
  return x ? x->pos : 0;
}

uint64_t StreamLog::lag_bytes(const StreamReader* r) const {
  std::lock_guard<std::mutex> g(mu_);
  const Reader* x = find_locked(r);
  return x && x->placed ? offset_ - x->pos : 0;
}

size_t StreamLog::reader_count() const {
  std::lock_guard<std::mutex> g(mu_);
  return readers_.size();
}

}  // namespace terndb::replication
