// Active replication, the data side.
//
// How nodes converge
// ------------------
// Every key carries a version (storage/version.h): KeyDB's mvcc stamp and the node that
// wrote it. A write gives each key it changed a fresh version, above the one the key held
// (the clock runs above every stamp seen), and a delete leaves a tombstone holding its
// version. Between peers we do not replay commands: replaying APPEND, LPUSH or INCR in
// different orders on different nodes ends in different values. Instead, each change is
// sent as the key's resulting state with its version:
//
//   RREPLAY <origin uuid> <SET key value [PXAT t] | RESTORE key t payload REPLACE ABSTTL |
//            DEL key> <db> <mvcc>
//
// and a node applies a state only when its version is above what the node holds for the
// key (value or tombstone). That is a last-writer-wins register per key: the result does
// not depend on the order states arrive in, on duplicates, or on the topology, so once
// writes stop and every state has reached every node, all nodes hold the same data.
// Applying is idempotent, which also makes every write take effect once per node however
// many paths bring it: a repeat carries a version the node already holds and is dropped.
//
// What a node applies it sends on in its own stream (unless multi-master-no-forward),
// keeping the state's origin and version, so rings and stars reach every node; a node
// drops states from itself and states that are not newer, which ends every loop.
//
// Expiry needs no messages: the expiry time is part of the state, every node deletes the
// same version at the same time, and the tombstone keeps that version. Evictions and
// deletes are writes like any other (a tombstone with a fresh version).
//
// Messages that are not key states (PUBLISH, FLUSHDB, FLUSHALL, and whatever command a
// KeyDB peer wraps) are applied once per origin in mvcc order: a node remembers the
// highest stamp seen from each origin and drops anything at or below it, as KeyDB does.
// Each path between two nodes carries an origin's messages in the order it made them,
// so an ActionCable broadcast reaches each node exactly once.
//
// Cost: a write to a large collection sends the whole collection. The acceptance loads
// (Rails cache strings, Kredis counters and small sets, ActionCable broadcasts) keep values
// small; sending the command when the receiver provably holds the version it applied to is
// the planned refinement.
#include "server/active_replica.h"

#include <mutex>
#include <random>
#include <unordered_map>

#include "protocol/numbers.h"
#include "protocol/resp_parser.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/dispatch.h"
#include "replication/rewrite.h"
#include "server/log.h"
#include "server/propagate.h"
#include "server/repl_snapshot.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/entry.h"
#include "storage/hashing.h"
#include "storage/key_handle.h"
#include "storage/rdb_loader.h"
#include "storage/rdb_writer.h"
#include "storage/version.h"

namespace terndb::server::active {
namespace {

bool g_enabled = false;
std::atomic<bool> g_no_forward{false};
Server* g_server = nullptr;

thread_local bool t_applying = false;  // running a peer's message on this thread

std::string make_uuid() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id(36, '0');
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      id[i] = '-';
    } else {
      id[i] = kHex[rng() & 15];
    }
  }
  id[14] = '4';  // a version-4 (random) uuid
  return id;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

void append_bulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out.append(s.data(), s.size());
  out += "\r\n";
}

std::string encode_command(std::initializer_list<std::string_view> argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (std::string_view a : argv) append_bulk(out, a);
  return out;
}

// The command that recreates the key's state on a peer (or on KeyDB).
std::string state_command(std::string_view key, const storage::Entry* e) {
  if (!e) return encode_command({"DEL", key});
  int64_t exp = e->expire_at();
  if (e->value_type() == storage::ValueType::kString) {
    char scratch[24];
    std::string_view value = e->string_value(scratch);
    if (exp < 0) return encode_command({"SET", key, value});
    return encode_command({"SET", key, value, "PXAT", std::to_string(exp)});
  }
  std::string payload = storage::rdb::dump_value(*e);
  return encode_command(
      {"RESTORE", key, std::to_string(exp < 0 ? 0 : exp), payload, "REPLACE", "ABSTTL"});
}

std::string wrap(std::string_view origin, std::string_view inner, int db, uint64_t mvcc) {
  return encode_command({"RREPLAY", origin, inner, std::to_string(db), std::to_string(mvcc)});
}

// Values larger than this go out as the command that changed them when the receiver can
// be shown to hold the version the command applied to (see settle_command_changes).
constexpr size_t kDeltaThreshold = 512;

// The version of a peer's change being applied on this thread as the command itself: the
// change is sent on as it came, so the hook stays quiet for it.
thread_local const storage::Version* t_sent_as_is = nullptr;

// storage's hook: a key changed (under its shard lock); its state goes to our stream.
void on_key_change(int db, std::string_view key, const storage::Entry* e,
                   const storage::Version& v, const storage::Version& base) {
  if (t_sent_as_is && *t_sent_as_is == v) return;
  if (t_applying && g_no_forward.load(std::memory_order_relaxed)) return;
  PropagationBatch* b = PropagationBatch::current();
  if (b && !b->active()) b = nullptr;
  if (b && !t_applying && e && e->value_encoding() == storage::Encoding::kObject &&
      e->object()->memory_usage() > kDeltaThreshold) {
    b->add_pending({db, std::string(key), base, v});
    return;
  }
  std::string msg = wrap(storage::origin_uuid(v.origin), state_command(key, e), db, v.mvcc);
  if (b) {
    b->add_raw(msg);
    return;
  }
  // A change outside any command (eviction in the cron): a batch of its own.
  replication::StreamBatch batch;
  batch.raw = std::move(msg);
  stream_log().submit(storage::write_sequence().next.fetch_add(1), std::move(batch));
}

// The key's state message as we hold it now, or empty when we know nothing of it.
std::string current_state_message(storage::Keyspace& ks, int db, std::string_view key,
                                  bool locked) {
  storage::KeyHandle h(ks, db, key, storage::now_ms(), locked);
  storage::Entry* e = h.get();
  storage::Version v;
  if (e) {
    v = e->version();
  } else {
    auto& tombs = h.shard().tombstones[static_cast<size_t>(db)];
    auto it = tombs.find(std::string(key));
    if (it == tombs.end()) return {};
    v = it->second.version;
  }
  return wrap(storage::origin_uuid(v.origin), state_command(key, e), db, v.mvcc);
}

// The highest stamp applied per origin, for messages that are not key states.
struct HighWater {
  std::mutex mu;
  std::unordered_map<uint32_t, uint64_t> by_origin;
};
HighWater& high_water() {
  static HighWater h;
  return h;
}

// Is `argv` a key state (a blind write of one key), and which?
enum class StateKind { kNone, kSet, kRestore, kDel };

StateKind state_kind(const std::vector<std::string_view>& argv) {
  if (argv.empty()) return StateKind::kNone;
  std::string name = lower(argv[0]);
  if ((name == "del" || name == "unlink") && argv.size() == 2) return StateKind::kDel;
  if (name == "set" && (argv.size() == 3 || (argv.size() == 5 && lower(argv[3]) == "pxat"))) {
    return StateKind::kSet;
  }
  if (name == "restore" && argv.size() >= 4) {
    bool replace = false, absttl = false;
    for (size_t i = 4; i < argv.size(); ++i) {
      std::string opt = lower(argv[i]);
      if (opt == "replace") replace = true;
      if (opt == "absttl") absttl = true;
    }
    if (replace) return absttl ? StateKind::kRestore : StateKind::kNone;
  }
  return StateKind::kNone;
}

// Sets the thread's version override for its life (restoring the previous one).
struct OverrideScope {
  const storage::Version* saved = storage::version_override();
  void set(const storage::Version* v) { storage::version_override() = v; }
  ~OverrideScope() { storage::version_override() = saved; }
};

// What we hold for the handle's key: the live entry's version, a tombstone's, or none.
storage::Version current_version(storage::KeyHandle& h) {
  if (storage::Entry* e = h.get()) return e->version();
  auto& tombs = h.shard().tombstones[static_cast<size_t>(h.db())];
  if (auto it = tombs.find(std::string(h.key())); it != tombs.end()) return it->second.version;
  return {};
}

// Puts a newer state in place under the handle: `fresh`, or a tombstone when it is null
// (a key already absent still takes the newer version). The handle stamps `v` when it
// goes, so the override is set in `scope`, which outlives the handle.
void install(storage::KeyHandle& h, OverrideScope& scope, storage::Entry* fresh,
             const storage::Version& v) {
  scope.set(&v);
  if (fresh) {
    h.put(fresh);
  } else if (!h.erase()) {
    h.mark_modified();
  }
}

// Applies one key state if it is newer than what we hold. Returns whether it was applied.
bool apply_state(Server& server, StateKind kind, const std::vector<std::string_view>& argv,
                 int db, const storage::Version& v) {
  std::string_view key = argv[1];
  int64_t now = storage::now_ms();
  int64_t expire = -1;
  if (kind == StateKind::kSet && argv.size() == 5) {
    if (!protocol::parse_int64(argv[4], expire)) return false;
  } else if (kind == StateKind::kRestore) {
    if (!protocol::parse_int64(argv[2], expire)) return false;
    if (expire == 0) expire = -1;
  }
  // Declared before the handle: the handle settles (stamps the version, sends the state
  // on) when it goes, and the override must still be in place then.
  OverrideScope scope;
  storage::KeyHandle h(server.keyspace(), db, key, now, false);
  if (!storage::version_less(current_version(h), v)) return false;
  storage::Entry* fresh = nullptr;
  if (kind != StateKind::kDel && !(expire >= 0 && expire <= now)) {
    if (kind == StateKind::kSet) {
      fresh = storage::make_string_entry(key, argv[2], expire);
    } else {
      std::string why;
      fresh = storage::rdb::restore_value(argv[3], key, expire, &why);
      if (!fresh) {
        logf(LogLevel::kWarning,
             "Active replication: a peer's value for a key could not be read (%s)", why.c_str());
        return false;
      }
    }
  }
  install(h, scope, fresh, v);
  return true;
}

// A peer's message that is not a key state: run it as a command of ours.
void run_command(Server& server, Worker& worker, const std::vector<std::string_view>& argv,
                 int db, const storage::Version& v, bool all_locked = false) {
  thread_local std::shared_ptr<ClientState> client = [] {
    auto c = std::make_shared<ClientState>();
    c->authenticated = true;
    c->addr = "active-replica:0";
    return c;
  }();
  client->db = db;
  std::string reply_bytes;
  protocol::ReplyBuilder reply(&reply_bytes, 2);
  CommandSpec* spec = resolve_command(server, worker, *client, argv, reply);
  if (!spec || !spec->handler) return;
  OverrideScope scope;
  scope.set(&v);
  CommandContext ctx{server, *client, argv, reply, spec, storage::now_ms()};
  ctx.all_locked = all_locked;
  invoke_command(ctx, worker);
}

struct ApplyingScope {
  bool saved = t_applying;
  ApplyingScope() { t_applying = true; }
  ~ApplyingScope() { t_applying = saved; }
};

}  // namespace

void send_pending_states(PropagationBatch& batch, size_t first, bool locked) {
  auto& pending = batch.pending();
  for (size_t i = first; i < pending.size(); ++i) {
    std::string msg = current_state_message(g_server->keyspace(), pending[i].db,
                                            pending[i].key, locked);
    if (!msg.empty()) batch.add_raw(msg);
  }
  pending.resize(first);
}

void settle_command_changes(PropagationBatch& batch, size_t first, CommandContext& ctx,
                            std::string_view reply) {
  auto& pending = batch.pending();
  const CommandSpec* top = ctx.spec->parent ? ctx.spec->parent : ctx.spec;
  // One key changed, by a command of one key: the command (made deterministic as the
  // replication stream makes it) against the version it applied to.
  if (pending.size() == first + 1 && top->first_key > 0 && top->first_key == top->last_key &&
      !top->key_finder && static_cast<size_t>(top->first_key) < ctx.argv.size() &&
      ctx.argv[static_cast<size_t>(top->first_key)] == pending[first].key &&
      pending[first].db == ctx.db()) {
    std::string name = lower(ctx.spec->parent ? ctx.spec->parent->name : ctx.spec->name);
    auto rewritten = replication::rewrite_for_stream(name, ctx.argv, reply, ctx.now);
    if (rewritten.size() == 1 && rewritten[0].size() >= 2 && rewritten[0][1] == pending[first].key) {
      const PropagationBatch::PendingKey& p = pending[first];
      std::string inner = "*" + std::to_string(rewritten[0].size()) + "\r\n";
      for (const auto& a : rewritten[0]) append_bulk(inner, a);
      batch.add_raw(encode_command({"RREPLAY", storage::origin_uuid(p.version.origin), inner,
                                    std::to_string(p.db), std::to_string(p.version.mvcc),
                                    std::to_string(p.base.mvcc),
                                    storage::origin_uuid(p.base.origin)}));
      pending.resize(first);
      return;
    }
  }
  send_pending_states(batch, first, ctx.all_locked);
}

void resend_fetches(PeerLink& link) {
  if (!link.send) return;
  for (const auto& [db, key] : link.fetching) {
    link.send(encode_command({"RFETCH", std::to_string(db), key}));
  }
}

void serve_fetch(Server& server, int db, std::string_view key) {
  if (!g_enabled || db < 0 || db >= server.keyspace().databases()) return;
  replication::StreamBatch batch;
  uint64_t ticket;
  {
    // The ticket is taken under the key's lock: every change of the key already made is
    // ahead of this state in the stream, every later one behind it.
    storage::KeyHandle h(server.keyspace(), db, key, storage::now_ms(), false);
    ticket = storage::write_sequence().next.fetch_add(1);
    batch.raw = current_state_message(server.keyspace(), db, key, true);
  }
  stream_log().submit(ticket, std::move(batch));
}


bool enabled() {
  return g_enabled;
}

bool applying_peer() {
  return t_applying;
}

void enable(Server& server) {
  g_enabled = server.config().flag("active-replica");
  if (!g_enabled) return;
  g_server = &server;
  g_no_forward.store(server.config().flag("multi-master-no-forward"));
  storage::set_local_origin(storage::intern_origin(node_uuid()));
  storage::set_versioned_entries(true);
  storage::set_key_change_hook(&on_key_change);
  // Every write is sent to peers from the start: the stream is always on.
  stream_log().activate();
  logf(LogLevel::kNotice, "Active replication on; this node's uuid is %s", node_uuid().c_str());
}

void refresh_settings(Server& server) {
  g_no_forward.store(server.config().flag("multi-master-no-forward"));
}

const std::string& node_uuid() {
  static const std::string id = make_uuid();
  return id;
}

std::string wrap_own(std::string_view command_resp, int db, uint64_t mvcc) {
  return wrap(node_uuid(), command_resp, db, mvcc);
}

namespace {

// A change sent as the command that made it, against the version it applied to: applied
// when we hold exactly that version; when we hold something else that is older, we ask
// the peer that sent it for the key's whole state (it applied the change, so it holds
// this version or a newer one).
void apply_change(Server& server, Worker& worker, const std::vector<std::string_view>& cmd,
                  int db, const storage::Version& v, const storage::Version& base,
                  std::string_view message, PeerLink* link, PropagationBatch& batch) {
  if (cmd.size() < 2) return;
  storage::Keyspace& ks = server.keyspace();
  std::string key(cmd[1]);
  storage::Shard& shard = ks.shard(ks.shard_of(storage::hash_key(key)));
  std::unique_lock<std::mutex> lock(shard.mu);
  storage::Version cur;
  {
    storage::KeyHandle h(ks, db, key, storage::now_ms(), true);
    cur = current_version(h);
  }
  if (!storage::version_less(cur, v)) return;  // seen already, or ours is newer
  if (!(cur == base)) {
    lock.unlock();
    if (link && link->send && link->fetching.emplace(db, key).second) {
      link->send(encode_command({"RFETCH", std::to_string(db), key}));
    }
    return;
  }
  // The command runs under the lock we hold (it touches this one key).
  const storage::Version* saved = t_sent_as_is;
  t_sent_as_is = &v;
  run_command(server, worker, cmd, db, v, true);
  t_sent_as_is = saved;
  lock.unlock();
  if (link) link->fetching.erase({db, key});
  if (!g_no_forward.load(std::memory_order_relaxed) && batch.active()) {
    batch.take_ticket();
    batch.add_raw(message);
  }
}

}  // namespace

bool on_peer_command(Server& server, Worker& worker, const std::vector<std::string>& argv,
                     PeerLink* link) {
  if (!g_enabled || argv.empty() || lower(argv[0]) != "rreplay") return false;
  if (argv.size() < 5) return true;  // malformed: nothing to apply
  const std::string& origin = argv[1];
  if (origin == node_uuid()) return true;  // our own write, back from a peer
  int64_t db = 0;
  uint64_t mvcc = 0;
  if (!protocol::parse_int64(argv[3], db) || db < 0 || db >= server.keyspace().databases() ||
      !protocol::parse_uint64(argv[4], mvcc)) {
    return true;
  }
  storage::hlc_observe(mvcc);
  const storage::Version v{mvcc, storage::intern_origin(origin)};
  ApplyingScope applying;

  // The wrapped commands (KeyDB may wrap several).
  protocol::RequestParser parser;
  protocol::ParserLimits limits;
  std::string_view inner = argv[2];
  size_t used = 0;
  std::vector<std::vector<std::string>> commands;
  while (used < inner.size()) {
    auto st = parser.parse(inner.data() + used, inner.size() - used, limits);
    if (st != protocol::ParseStatus::kCommand) break;
    const auto& args = parser.args();
    commands.emplace_back(args.begin(), args.end());
    used += parser.consumed();
  }
  bool all_states = !commands.empty();
  std::vector<std::vector<std::string_view>> views;
  for (const auto& c : commands) {
    views.emplace_back(c.begin(), c.end());
    if (state_kind(views.back()) == StateKind::kNone) all_states = false;
  }

  PropagationBatch batch;
  if (argv.size() == 7 && views.size() == 1) {
    uint64_t base_mvcc = 0;
    if (!protocol::parse_uint64(argv[5], base_mvcc)) return true;
    const storage::Version base{base_mvcc, storage::intern_origin(argv[6])};
    std::string message = encode_command({argv[0], argv[1], argv[2], argv[3], argv[4],
                                          argv[5], argv[6]});
    apply_change(server, worker, views[0], static_cast<int>(db), v, base, message, link,
                 batch);
    return true;
  }
  if (all_states) {
    // What we apply goes on as it came (same origin and stamp), not serialized again.
    const bool forward = !g_no_forward.load(std::memory_order_relaxed) && batch.active();
    const storage::Version* saved = t_sent_as_is;
    t_sent_as_is = &v;
    bool applied = false;
    for (const auto& view : views) {
      applied |= apply_state(server, state_kind(view), view, static_cast<int>(db), v);
      // Whatever we asked this peer for has arrived, or something newer has.
      if (link && !link->fetching.empty()) {
        link->fetching.erase({static_cast<int>(db), std::string(view[1])});
      }
    }
    t_sent_as_is = saved;
    if (applied && forward) {
      batch.take_ticket();
      batch.add_raw(encode_command({argv[0], argv[1], argv[2], argv[3], argv[4]}));
    }
    return true;
  }
  // Once per origin, in its order; sent on as it came (same origin and stamp).
  {
    HighWater& hw = high_water();
    std::lock_guard<std::mutex> g(hw.mu);
    uint64_t& seen = hw.by_origin[v.origin];
    if (mvcc <= seen) return true;
    seen = mvcc;
    if (!g_no_forward.load(std::memory_order_relaxed) && batch.active()) {
      // The ticket is taken under the high-water lock, so what we send on from one origin
      // stays in that origin's order whichever link brought it.
      batch.take_ticket();
      batch.add_raw(wrap(origin, inner, static_cast<int>(db), mvcc));
    }
  }
  for (const auto& view : views) run_command(server, worker, view, static_cast<int>(db), v);
  return true;
}

bool merge_snapshot(Server& server, std::string_view rdb, std::string* error, size_t* keys) {
  if (!g_enabled) return load_snapshot(server.keyspace(), rdb, error, keys);
  storage::rdb::MemorySource src(rdb);
  storage::rdb::LoadOptions opt;
  opt.now_ms = storage::now_ms();
  opt.drop_expired = false;
  size_t merged = 0;
  ApplyingScope applying;
  storage::Keyspace& ks = server.keyspace();
  // Each key or tombstone is applied as a state would be: only when newer than ours.
  auto apply = [&](int db, const std::string& key, storage::Entry* e, const storage::Version& v) {
    PropagationBatch batch;
    OverrideScope scope;
    storage::KeyHandle h(ks, db, key, storage::now_ms(), false);
    storage::Version cur = current_version(h);
    if (!storage::version_less(cur, v)) {
      if (e) storage::free_entry(e);
      return;
    }
    if (e && e->expire_at() >= 0 && e->expire_at() <= h.now()) {
      storage::free_entry(e);  // expired on the way: a tombstone with its version
      e = nullptr;
    }
    install(h, scope, e, v);
    ++merged;
  };
  opt.take_key = [&](int db, std::string key, storage::Entry* e, const storage::Version& v) {
    if (v.mvcc) storage::hlc_observe(v.mvcc);
    apply(db, key, e, v);
  };
  opt.on_tombstone = [&](int db, std::string key, const storage::Version& v) {
    storage::hlc_observe(v.mvcc);
    apply(db, key, nullptr, v);
  };
  storage::rdb::LoadResult res = storage::rdb::load_rdb(src, ks, opt);
  if (keys) *keys = merged;
  if (!res.ok) {
    if (error) *error = res.reason + " at offset " + std::to_string(res.offset);
    return false;
  }
  return true;
}

size_t purge_tombstones(Server& server) {
  if (!g_enabled) return 0;
  int64_t lifetime_ms = server.config().num("active-replica-tombstone-lifetime") * 1000;
  return server.keyspace().purge_tombstones(storage::now_ms() - lifetime_ms);
}

}  // namespace terndb::server::active

namespace terndb::server {
namespace {

// RREPLAY <origin uuid> <command> <db> <mvcc>: a peer's write, as KeyDB sends it in the
// replication stream (where the link applies it directly). As a client command it lets
// tools relay a stream by hand.
void rreplay_command(CommandContext& c) {
  if (!active::enabled()) {
    c.reply.error("ERR RREPLAY requires active-replica yes");
    return;
  }
  std::vector<std::string> argv(c.argv.begin(), c.argv.end());
  active::on_peer_command(c.server, *c.worker, argv);
  c.reply.simple("OK");
}

}  // namespace

void register_active_replica_commands(CommandTable& t) {
  t.add(make_command("rreplay", -5,
                     kCmdAdmin | kCmdNoscript | kCmdStale | kCmdNoMulti | kCmdMayReplicate, 0, 0,
                     0, rreplay_command, "server", "6.0.0",
                     "Applies a write from an active-replica peer."));
}

}  // namespace terndb::server
