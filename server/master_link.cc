#include "server/master_link.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include "protocol/numbers.h"
#include "server/active_replica.h"
#include "server/command.h"
#include "server/dispatch.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/propagate.h"
#include "server/repl_snapshot.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/key_handle.h"

namespace terndb::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string encode(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

}  // namespace

MasterLink::MasterLink(Server& server, Worker& worker, std::string host, int port, bool active,
                       bool from_dns)
    : server_(server),
      worker_(worker),
      host_(std::move(host)),
      port_(port),
      active_(active),
      from_dns_(from_dns),
      resolver_(worker.io),
      socket_(worker.io),
      retry_timer_(worker.io),
      load_timer_(worker.io) {
  client_ = std::make_shared<ClientState>();
  client_->id = server.next_client_id();
  client_->authenticated = true;
  down_since_ms_ = storage::now_ms();
}

// An async load: the loader thread fills `staging` and sets `done`; the link's thread polls
// for it (a thread posting to the io context could outlive it at shutdown).
struct MasterLink::AsyncLoad {
  std::thread thread;
  std::atomic<bool> done{false};
  bool ok = false;
  std::string error;
  size_t keys = 0;
  std::unique_ptr<storage::Keyspace> staging;
  std::string rdb;
  std::string replid;
  uint64_t offset = 0;
  uint64_t generation = 0;
  ~AsyncLoad() {
    if (thread.joinable()) thread.join();
  }
};

MasterLink::~MasterLink() = default;

MasterView MasterLink::view() const {
  MasterView v;
  v.configured = true;
  v.host = host_;
  v.port = port_;
  static const char* kNames[] = {"connect", "connecting", "handshake", "sync", "connected"};
  int st = state_.load();
  v.state = kNames[st];
  v.link_up = st == kConnected;
  v.sync_in_progress = st == kTransfer;
  int64_t last = last_io_ms_.load();
  v.last_io_seconds_ago = last ? (storage::now_ms() - last) / 1000 : -1;
  v.link_down_since_seconds = st == kConnected ? -1 : (storage::now_ms() - down_since_ms_) / 1000;
  v.sync_total_bytes = sync_total_.load();
  v.sync_read_bytes = sync_read_.load();
  v.peer_offset = peer_offset_.load();
  v.lag_ms = lag_ms_.load();
  v.from_dns = from_dns_;
  std::lock_guard<std::mutex> g(view_mu_);
  v.uuid = peer_uuid_;
  v.peer_replid = peer_replid_;
  return v;
}

void MasterLink::start() {
  auto self = shared_from_this();
  asio::post(worker_.io, [self]() { self->connect(); });
}

void MasterLink::stop() {
  auto self = shared_from_this();
  asio::post(worker_.io, [self]() {
    self->stopped_ = true;
    ++self->generation_;
    asio::error_code ec;
    self->socket_.close(ec);
    self->resolver_.cancel();
    self->retry_timer_.cancel();
    self->state_ = kConnect;
  });
}

void MasterLink::fail(const std::string& why) {
  if (stopped_) return;
  if (state_.load() == kConnected) down_since_ms_ = storage::now_ms();
  logf(LogLevel::kWarning, "Replication with master %s:%d: %s", host_.c_str(), port_, why.c_str());
  ++generation_;
  asio::error_code ec;
  socket_.close(ec);
  state_ = kConnect;
  in_.clear();
  writing_ = false;
  out_.clear();
  // Retry after 100 ms, doubling up to 2 s while the master stays away.
  // Peers of an active replica retry sooner: a healed partition should not wait 2 s.
  const int64_t max_backoff_ms = active_ ? 1000 : 2000;
  backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min<int64_t>(backoff_ms_ * 2, max_backoff_ms);
  retry_timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
  auto self = shared_from_this();
  retry_timer_.async_wait([self](const asio::error_code& e) {
    if (!e && !self->stopped_) self->connect();
  });
}

void MasterLink::connect() {
  if (stopped_) return;
  state_ = kConnecting;
  last_io_ms_ = storage::now_ms();
  logf(LogLevel::kNotice, "Connecting to MASTER %s:%d", host_.c_str(), port_);
  auto self = shared_from_this();
  uint64_t gen = ++generation_;
  std::string host = host_;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  // The name is resolved at every connect: a peer's address may change between them.
  resolver_.async_resolve(
      host, std::to_string(port_),
      [self, gen](const asio::error_code& ec, asio::ip::tcp::resolver::results_type results) {
        if (gen != self->generation_) return;
        if (ec) return self->fail("cannot resolve: " + ec.message());
        auto eps = std::make_shared<std::vector<asio::ip::tcp::endpoint>>();
        for (auto& r : results) eps->push_back(r.endpoint());
        std::stable_sort(eps->begin(), eps->end(), [](auto& a, auto& b) {
          return a.address().is_v6() && !b.address().is_v6();
        });
        self->try_endpoint(eps, 0);
      });
}

void MasterLink::try_endpoint(std::shared_ptr<std::vector<asio::ip::tcp::endpoint>> eps, size_t i) {
  if (i >= eps->size()) return fail("cannot connect");
  auto self = shared_from_this();
  uint64_t gen = generation_;
  asio::error_code ec;
  socket_.close(ec);
  socket_.async_connect((*eps)[i], [self, gen, eps, i](const asio::error_code& e) {
    if (gen != self->generation_) return;
    if (e) return self->try_endpoint(eps, i + 1);
    asio::error_code ignored;
    self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    logf(LogLevel::kNotice, "MASTER <-> REPLICA sync started");
    self->state_ = kHandshake;
    self->handshake();
  });
}

void MasterLink::send(std::string bytes) {
  out_ += bytes;
  if (writing_) return;
  writing_ = true;
  writing_buf_.swap(out_);
  out_.clear();
  auto self = shared_from_this();
  uint64_t gen = generation_;
  asio::async_write(socket_, asio::buffer(writing_buf_),
                    [self, gen](const asio::error_code& ec, size_t) {
                      if (gen != self->generation_) return;
                      self->writing_ = false;
                      if (ec) return self->fail("write error");
                      if (!self->out_.empty()) self->send("");
                    });
}

void MasterLink::read_more(std::function<void()> then) {
  auto self = shared_from_this();
  uint64_t gen = generation_;
  socket_.async_read_some(
      asio::buffer(buf_), [self, gen, then](const asio::error_code& ec, size_t n) {
        if (gen != self->generation_) return;
        if (ec || n == 0) return self->fail("connection lost");
        self->last_io_ms_ = storage::now_ms();
        self->worker_.stats.net_input_bytes.fetch_add(n, std::memory_order_relaxed);
        Replication::instance().stats.net_repl_input_bytes.fetch_add(n, std::memory_order_relaxed);
        self->in_.append(self->buf_, n);
        then();
      });
}

void MasterLink::read_line(std::function<void(std::string)> on_line) {
  size_t eol = in_.find('\n');
  if (eol == std::string::npos) {
    auto self = shared_from_this();
    return read_more([self, on_line]() { self->read_line(on_line); });
  }
  std::string line = in_.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  in_.erase(0, eol + 1);
  on_line(std::move(line));
}

void MasterLink::command(std::vector<std::string> argv, std::function<void(std::string)> on_line) {
  send(encode(argv));
  read_line(std::move(on_line));
}

void MasterLink::handshake() {
  auto self = shared_from_this();
  command({"PING"}, [self](std::string reply) {
    // -NOAUTH is fine here: we authenticate next.
    if (!reply.empty() && reply[0] == '-' && reply.rfind("-NOAUTH", 0) != 0 &&
        reply.rfind("-NOPERM", 0) != 0 && reply.rfind("-ERR operation not permitted", 0) != 0) {
      return self->fail("error reply to PING: " + reply);
    }
    std::string pass = self->server_.config().text("masterauth");
    std::string user = self->server_.config().text("masteruser");
    auto after_auth = [self]() {
      self->command({"REPLCONF", "listening-port", std::to_string(self->server_.listening_port())},
                    [self](std::string) { self->announce_capabilities(); });
    };
    if (pass.empty()) return after_auth();
    auto on_auth = [self, after_auth](std::string r) {
      if (!r.empty() && r[0] == '-') return self->fail("unable to AUTH to MASTER: " + r);
      after_auth();
    };
    if (user.empty()) {
      self->command({"AUTH", pass}, on_auth);
    } else {
      self->command({"AUTH", user, pass}, on_auth);
    }
  });
}

void MasterLink::announce_capabilities() {
  auto self = shared_from_this();
  if (!active_) {
    return command({"REPLCONF", "capa", "eof", "capa", "psync2"},
                   [self](std::string) { self->psync(); });
  }
  // KeyDB's active replica: one more capability, then our node uuid.
  command({"REPLCONF", "capa", "eof", "capa", "psync2", "capa", "activeExpire"},
          [self](std::string) {
            self->command({"REPLCONF", "uuid", active::node_uuid()},
                          [self](std::string reply) { self->on_uuid_reply(reply); });
          });
}

void MasterLink::on_uuid_reply(const std::string& reply) {
  if (!reply.empty() && reply[0] == '-') {
    // A master that is not KeyDB (Redis, or terndb of old) does not know REPLCONF uuid.
    logf(LogLevel::kNotice, "Master %s:%d does not understand REPLCONF uuid (non fatal)",
         host_.c_str(), port_);
    return psync();
  }
  if (reply.size() != 37 || reply[0] != '+') return fail("master replied with a bad uuid");
  std::string uuid = reply.substr(1);
  if (uuid == active::node_uuid()) {
    logf(LogLevel::kWarning,
         "Master %s:%d is this very server (same uuid): dropping the link, not retrying",
         host_.c_str(), port_);
    stopped_ = true;
    ++generation_;
    asio::error_code ec;
    socket_.close(ec);
    state_ = kConnect;
    Replication::instance().drop_self_link(this);
    return;
  }
  {
    std::lock_guard<std::mutex> g(view_mu_);
    peer_uuid_ = std::move(uuid);
  }
  psync();
}

void MasterLink::psync() {
  std::string id = "?";
  std::string off = "-1";
  if (active_) {
    // Our position in this peer's stream, not our own log's.
    std::lock_guard<std::mutex> g(view_mu_);
    if (!peer_replid_.empty()) {
      id = peer_replid_;
      off = std::to_string(peer_offset_.load() + 1);
    }
  } else {
    replication::StreamLog& log = stream_log();
    if (log.backlog_active()) {
      id = log.replid();
      off = std::to_string(log.offset() + 1);
    }
  }
  send(encode({"PSYNC", id, off}));
  on_psync_reply();
}

void MasterLink::on_psync_reply() {
  auto self = shared_from_this();
  read_line([self](std::string reply) {
    // Newlines keep the link alive while the master prepares the snapshot.
    if (reply.empty()) return self->on_psync_reply();
    replication::StreamLog& log = stream_log();
    if (reply.rfind("+FULLRESYNC", 0) == 0) {
      char id[64] = {0};
      unsigned long long off = 0;
      if (sscanf(reply.c_str(), "+FULLRESYNC %40s %llu", id, &off) != 2) {
        return self->fail("bad FULLRESYNC reply");
      }
      logf(LogLevel::kNotice, "Full resync from master: %s:%llu", id, off);
      self->state_ = kTransfer;
      self->sync_total_ = -1;
      self->sync_read_ = 0;
      return self->read_payload_header(id, off);
    }
    if (reply.rfind("+CONTINUE", 0) == 0) {
      std::string newid = reply.size() > 10 ? reply.substr(10, 40) : std::string();
      if (self->active_) {
        // The peer moved to a new history at our offset: we count in that one now.
        if (!newid.empty()) {
          std::lock_guard<std::mutex> g(self->view_mu_);
          self->peer_replid_ = newid;
        }
        logf(LogLevel::kNotice, "Successful partial resynchronization with master %s:%d.",
             self->host_.c_str(), self->port_);
        return self->streaming();
      }
      if (!newid.empty() && newid != log.replid()) log.switch_replid(newid);
      logf(LogLevel::kNotice, "Successful partial resynchronization with master.");
      log.activate();
      return self->streaming();
    }
    self->fail("unexpected reply to PSYNC: " + reply);
  });
}

void MasterLink::read_payload_header(const std::string& replid, uint64_t offset) {
  auto self = shared_from_this();
  read_line([self, replid, offset](std::string line) {
    if (line.empty()) return self->read_payload_header(replid, offset);  // keep-alive newline
    if (line[0] == '-') return self->fail("master aborted sync: " + line);
    if (line[0] != '$') return self->fail("bad payload header");
    self->payload_.clear();
    if (line.rfind("$EOF:", 0) == 0 && line.size() == 45) {
      self->eof_form_ = true;
      self->eof_mark_ = line.substr(5);
    } else {
      int64_t len;
      if (!protocol::parse_int64(std::string_view(line).substr(1), len) || len < 0) {
        return self->fail("bad payload length");
      }
      self->eof_form_ = false;
      self->payload_len_ = static_cast<uint64_t>(len);
      self->sync_total_ = len;
    }
    self->read_payload(replid, offset);
  });
}

void MasterLink::read_payload(const std::string& replid, uint64_t offset) {
  sync_read_ = static_cast<int64_t>(payload_.size() + in_.size());
  if (eof_form_) {
    payload_ += in_;
    in_.clear();
    if (payload_.size() >= eof_mark_.size() &&
        payload_.compare(payload_.size() - eof_mark_.size(), eof_mark_.size(), eof_mark_) == 0) {
      payload_.resize(payload_.size() - eof_mark_.size());
      return finish_full_sync(replid, offset, payload_);
    }
  } else {
    size_t take =
        static_cast<size_t>(std::min<uint64_t>(in_.size(), payload_len_ - payload_.size()));
    payload_.append(in_, 0, take);
    in_.erase(0, take);
    if (payload_.size() == payload_len_) return finish_full_sync(replid, offset, payload_);
  }
  auto self = shared_from_this();
  read_more([self, replid, offset]() { self->read_payload(replid, offset); });
}

void MasterLink::finish_full_sync(const std::string& replid, uint64_t offset,
                                  std::string_view rdb) {
  storage::Keyspace& ks = server_.keyspace();
  std::string err;
  size_t keys = 0;
  sync_total_ = -1;
  sync_read_ = 0;
  if (active_) {
    // A peer's snapshot is merged into what we hold; our own stream goes on untouched.
    logf(LogLevel::kNotice, "MASTER <-> REPLICA sync: Merging the snapshot of %s:%d", host_.c_str(),
         port_);
    bool ok = active::merge_snapshot(server_, rdb, &err, &keys);
    peer_link_.fetching.clear();  // the snapshot holds every key's state
    std::string().swap(payload_);
    if (!ok) return fail("failed merging the master's RDB: " + err);
    {
      std::lock_guard<std::mutex> g(view_mu_);
      peer_replid_ = replid;
    }
    peer_offset_ = offset;
    client_->db = 0;
    client_->tx = TransactionState{};
    logf(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success (%zu keys merged)",
         keys);
    return streaming();
  }
  // Async loading as Redis 7.0's swapdb: only worth it when stale reads are served.
  if (server_.config().num("repl-diskless-load") == 2 &&
      server_.config().flag("replica-serve-stale-data") && !ks.flash()) {
    return start_async_load(replid, offset);
  }
  logf(LogLevel::kNotice, "MASTER <-> REPLICA sync: Flushing old data");
  ks.flush_all();
  logf(LogLevel::kNotice, "MASTER <-> REPLICA sync: Loading DB in memory");
  bool ok = load_snapshot(ks, rdb, &err, &keys);
  std::string().swap(payload_);
  if (!ok) return fail("failed loading the master's RDB: " + err);
  replication::StreamLog& log = stream_log();
  log.reset(replid, offset);
  log.activate();
  client_->db = 0;
  client_->tx = TransactionState{};
  logf(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success");
  streaming();
}

void MasterLink::start_async_load(const std::string& replid, uint64_t offset) {
  storage::Keyspace& ks = server_.keyspace();
  async_load_.reset();  // one left from a link that failed meanwhile: waited for, dropped
  auto load = std::make_unique<AsyncLoad>();
  load->staging = std::make_unique<storage::Keyspace>(ks.databases(), ks.shard_bits());
  load->staging->set_expire_on_access(false);  // expired keys kept: the master sends DELs
  load->rdb.swap(payload_);
  load->replid = replid;
  load->offset = offset;
  load->generation = generation_;
  AsyncLoad* p = load.get();
  async_load_ = std::move(load);
  Replication::instance().async_loading.store(true);
  logf(LogLevel::kNotice,
       "MASTER <-> REPLICA sync: Loading DB in memory (async loading: old data served meanwhile)");
  p->thread = std::thread([p]() {
    p->ok = load_snapshot(*p->staging, p->rdb, &p->error, &p->keys);
    std::string().swap(p->rdb);
    p->done.store(true);
  });
  poll_async_load();
}

void MasterLink::poll_async_load() {
  load_timer_.expires_after(std::chrono::milliseconds(10));
  auto self = shared_from_this();
  load_timer_.async_wait([self](const asio::error_code& ec) {
    if (ec || !self->async_load_) return;
    if (!self->async_load_->done.load()) return self->poll_async_load();
    self->finish_async_load();
  });
}

void MasterLink::finish_async_load() {
  std::unique_ptr<AsyncLoad> load = std::move(async_load_);
  load->thread.join();
  Replication::instance().async_loading.store(false);
  // The link failed or was stopped meanwhile: this snapshot belongs to no stream.
  if (stopped_ || load->generation != generation_) return;
  if (!load->ok) return fail("failed loading the master's RDB: " + load->error);
  storage::Keyspace& ks = server_.keyspace();
  ks.lock_all();
  // As Redis: a background save of the data being replaced stops.
  persistence_of(server_).kill_child(true);
  // Clients see the old data until here and the new data from the unlock on, never a mix.
  // The tables are exchanged whole, in no time; the old data is freed below, unlocked.
  ks.swap_contents(*load->staging);
  ks.unlock_all();
  load->staging.reset();
  // The master's bytes waited in the socket meanwhile.
  last_io_ms_ = storage::now_ms();
  replication::StreamLog& log = stream_log();
  log.reset(load->replid, load->offset);
  log.activate();
  client_->db = 0;
  client_->tx = TransactionState{};
  logf(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success (%zu keys loaded)",
       load->keys);
  streaming();
}

void MasterLink::streaming() {
  state_ = kConnected;
  backoff_ms_ = 0;
  parser_.reset();
  send_ack();
  // States asked for before a cut were perhaps never served: ask again.
  if (active_) active::resend_fetches(peer_link_);
  apply_input();
}

void MasterLink::send_ack() {
  uint64_t offset = active_ ? peer_offset_.load() : stream_log().offset();
  send(encode({"REPLCONF", "ACK", std::to_string(offset)}));
}

void MasterLink::apply_input() {
  protocol::ParserLimits limits;
  size_t used = 0;
  while (used < in_.size()) {
    auto st = parser_.parse(in_.data() + used, in_.size() - used, limits);
    if (st == protocol::ParseStatus::kNeedMore) break;
    if (st == protocol::ParseStatus::kError) return fail("protocol error from master");
    size_t n = parser_.consumed();
    if (st == protocol::ParseStatus::kCommand) {
      const auto& argv = parser_.args();
      if (active_) {
        // Nothing of the peer's stream reaches ours verbatim: what the data side applies
        // it streams itself. The GETACK's own bytes count after the ack, as in Redis.
        if (!apply_command(argv)) return;
        peer_offset_.fetch_add(n);
      } else {
        PropagationBatch batch(true);
        batch.set_raw(in_.substr(used, n));
        if (!apply_command(argv)) return;
        batch.finish();
      }
    } else if (active_) {
      peer_offset_.fetch_add(n);  // a bare newline still is stream bytes
    }
    used += n;
  }
  in_.erase(0, used);
  auto self = shared_from_this();
  read_more([self]() { self->apply_input(); });
}

// One command of the master's stream. False when the link was dropped meanwhile.
bool MasterLink::apply_command(const std::vector<std::string_view>& argv) {
  const uint64_t gen = generation_;
  std::string name = lower(argv[0]);
  if (name == "replconf" && argv.size() >= 2 && lower(argv[1]) == "getack") {
    send_ack();
    return true;
  }
  // Active: a command that is not active replication's own (a plain master's write,
  // SELECT, PING) runs here but is not streamed again: without an origin it would echo
  // between peers forever. A raw batch without bytes applies and appends nothing.
  std::optional<PropagationBatch> quiet;
  if (active_) {
    note_peer_write(argv);
    std::vector<std::string> owned(argv.begin(), argv.end());
    if (!peer_link_.send) peer_link_.send = [this](std::string bytes) { send(std::move(bytes)); };
    if (active::on_peer_command(server_, worker_, owned, &peer_link_)) return gen == generation_;
    quiet.emplace(true);
  }
  if (CommandSpec* spec = server_.commands().find(name)) {
    if (!spec->subcommands.empty() && argv.size() >= 2) {
      auto it = spec->subcommands.find(lower(argv[1]));
      spec = it == spec->subcommands.end() ? nullptr : it->second.get();
    }
    TransactionState& tx = client_->tx;
    if (spec && spec->handler) {
      if (tx.active && name != "exec" && name != "discard" && name != "multi") {
        tx.queued.emplace_back(argv.begin(), argv.end());
      } else {
        scratch_.clear();
        protocol::ReplyBuilder reply(&scratch_, 2);
        CommandContext ctx{server_, *client_, argv, reply, spec, storage::now_ms()};
        invoke_command(ctx, worker_);
      }
    }
  }
  return gen == generation_;
}

// Replication lag as INFO shows it: a peer's RREPLAY carries its mvcc stamp, whose high
// bits are the peer's clock in milliseconds when it applied the write.
void MasterLink::note_peer_write(const std::vector<std::string_view>& argv) {
  if (argv.size() < 5 || lower(argv[0]) != "rreplay") return;
  uint64_t mvcc;
  if (!protocol::parse_uint64(argv[4], mvcc)) return;
  const int64_t written_ms = static_cast<int64_t>(mvcc >> 20);
  lag_ms_ = std::max<int64_t>(0, storage::now_ms() - written_ms);
}

void MasterLink::cron() {
  if (stopped_) return;
  int st = state_.load();
  int64_t now = storage::now_ms();
  int64_t timeout_ms = server_.config().num("repl-timeout") * 1000;
  if (async_load_) return;  // nothing is read from the master while its snapshot loads
  if (st != kConnect && now - last_io_ms_.load() > timeout_ms) {
    return fail("timeout: no data nor PING received");
  }
  if (st == kConnected) send_ack();
}

}  // namespace terndb::server
