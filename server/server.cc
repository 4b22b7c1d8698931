#include "server/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "server/client_eviction.h"
#include "server/client_pause.h"
#include "server/command_name_cache.h"
#include "server/connection.h"
#include "server/eviction.h"
#include "server/flash.h"
#include "server/active_replica.h"
#include "server/implicit_delete.h"
#include "server/propagate.h"
#include "server/replication.h"
#include "server/log.h"
#include "server/memory_stats.h"
#include "server/notify.h"
#include "server/output_limits.h"
#include "server/persistence.h"
#include "server/pubsub.h"
#include "storage/access_stamp.h"
#include "server/tcp_listen.h"
#include "storage/clock.h"
#include "storage/encoding_limits.h"

namespace terndb::server {
namespace {

std::string make_run_id() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static const char* hex = "0123456789abcdef";
  std::string id(40, '0');
  for (auto& c : id) c = hex[rng() & 15];
  return id;
}

// Enough shards that two threads rarely meet on one lock and each table stays small
// enough to rehash quickly; fixed at start.
unsigned shard_bits_for(size_t threads) {
  unsigned bits = 6;  // 64 shards
  while ((size_t{1} << bits) < threads * 16) ++bits;
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer tracks at most 64 locks held by one thread; EXEC holds every shard
  // lock and may take one more (waking blocked clients posts to their threads).
  bits = std::min(bits, 5u);
#endif
  return bits;
}

}  // namespace

Server::Server(conf::Registry& config)
    : opt_proto_max_bulk_len(*config.find("proto-max-bulk-len")),
      opt_query_buffer_limit(*config.find("client-query-buffer-limit")),
      opt_lua_time_limit(*config.find("lua-time-limit")),
      slowlog(config),
      latency(config),
      config_(config) {
  size_t threads = static_cast<size_t>(config_.num("server-threads"));
  keyspace_ = std::make_unique<storage::Keyspace>(static_cast<int>(config_.num("databases")),
                                                  shard_bits_for(threads));
  keyspace_->set_observer(this);
  flash_ = open_flash_store(config_, storage::now_ms());
  keyspace_->set_flash(flash_.get());
  register_all_commands(commands_);
  CommandNameCache::invalidate_all();  // this table may sit where a destroyed one was
  // rename-command lines of the config file, as (name, new name) pairs.
  std::vector<std::string> renames;
  protocol::split_args(config_.text("rename-command"), renames);
  for (size_t i = 0; i + 1 < renames.size(); i += 2) {
    std::string err;
    if (!commands_.rename(renames[i], renames[i + 1], err)) {
      throw std::runtime_error(err + " (rename-command " + renames[i] + ")");
    }
  }
  for (size_t i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>(i);
    w->command_stats = std::make_unique<CommandStats[]>(commands_.by_id().size());
    workers_.push_back(std::move(w));
  }
  pubsub_ = std::make_unique<PubsubRegistry>(*this);
  client_pause_ = std::make_unique<ClientPause>(*keyspace_);
  evictor_ = std::make_unique<Evictor>(*this);
  wire_access_policy();
  persistence_ = std::make_unique<Persistence>(*this);
  run_id_ = make_run_id();
  start_time_ms_ = storage::now_ms();
  wire_encoding_limits();
  wire_output_limits(config_);
}

// The data types read their conversion thresholds from storage::encoding_limits(); keep
// those atomics equal to the config, now and after every CONFIG SET.
void Server::wire_encoding_limits() {
  storage::EncodingLimits& limits = storage::encoding_limits();
  const std::pair<const char*, std::atomic<int64_t>*> wiring[] = {
      {"hash-max-listpack-entries", &limits.hash_max_listpack_entries},
      {"hash-max-listpack-value", &limits.hash_max_listpack_value},
      {"set-max-intset-entries", &limits.set_max_intset_entries},
      {"zset-max-listpack-entries", &limits.zset_max_listpack_entries},
      {"zset-max-listpack-value", &limits.zset_max_listpack_value},
      {"list-max-listpack-size", &limits.list_max_listpack_size},
  };
  for (auto [name, target] : wiring) {
    conf::Option* opt = config_.find(name);
    if (!opt) continue;
    target->store(opt->num.load());
    auto previous = opt->on_change;
    opt->on_change = [opt, target, previous](std::string& err) {
      if (previous && !previous(err)) return false;
      target->store(opt->num.load());
      return true;
    };
  }
}

// Entries' access stamps mean LRU clock or LFU counter by maxmemory-policy; storage reads
// the choice and the LFU parameters from storage::access_policy().
void Server::wire_access_policy() {
  storage::AccessPolicy& policy = storage::access_policy();
  conf::Option* opt = config_.find("maxmemory-policy");
  auto is_lfu = [opt]() {
    auto p = static_cast<EvictionPolicy>(opt->num.load());
    return p == EvictionPolicy::kAllkeysLfu || p == EvictionPolicy::kVolatileLfu;
  };
  policy.lfu.store(is_lfu());
  auto previous = opt->on_change;
  opt->on_change = [is_lfu, previous, &policy](std::string& err) {
    if (previous && !previous(err)) return false;
    policy.lfu.store(is_lfu());
    return true;
  };
  const std::pair<const char*, std::atomic<int64_t>*> numbers[] = {
      {"lfu-log-factor", &policy.lfu_log_factor},
      {"lfu-decay-time", &policy.lfu_decay_time},
  };
  for (auto [name, target] : numbers) {
    conf::Option* o = config_.find(name);
    target->store(o->num.load());
    auto prev = o->on_change;
    o->on_change = [o, target, prev](std::string& err) {
      if (prev && !prev(err)) return false;
      target->store(o->num.load());
      return true;
    };
  }
}

Server::~Server() {
  persistence_.reset();  // before the keyspace and workers it uses
  CommandNameCache::invalidate_all();  // a later Server may reuse this command table's address
}

int64_t Server::hz() const {
  int64_t hz = config_.num("hz");
  return std::clamp<int64_t>(hz, 1, 500);
}

void Server::start_listeners() {
  port_ = static_cast<int>(config_.num("port"));
  std::vector<std::string> binds;
  protocol::split_args(config_.text("bind"), binds);
  asio::io_context& io = accept_io_;
  if (port_ != 0) {
    for (const auto& word : binds) {
      // An optional address ('-') is skipped when it is not available.
      const ListenAddress a = parse_listen_address(word);
      const std::string& addr = a.text;
      const bool optional = a.optional;
      const asio::ip::address& ip = a.ip;
      if (!a.valid) {
        if (optional) continue;
        throw std::runtime_error("Invalid bind address '" + addr + "'");
      }
      auto acc = std::make_unique<asio::ip::tcp::acceptor>(io);
      asio::ip::tcp::endpoint ep(ip, static_cast<unsigned short>(port_));
      const asio::error_code ec =
          open_listener(*acc, ep, static_cast<int>(config_.num("tcp-backlog")));
      if (ec) {
        if (optional || (ec == asio::error::address_family_not_supported) ||
            (ip.is_v6() && ec.value() == EADDRNOTAVAIL)) {
          logf(LogLevel::kWarning, "Could not create server TCP listening socket %s:%d: %s",
               addr.c_str(), port_, ec.message().c_str());
          continue;
        }
        throw std::runtime_error("Could not create server TCP listening socket " + addr + ":" +
                                 std::to_string(port_) + ": " + ec.message());
      }
      tcp_acceptors_.push_back(std::move(acc));
    }
  }
  std::string unix_path = config_.text("unixsocket");
  if (!unix_path.empty()) {
    ::unlink(unix_path.c_str());
    unix_acceptor_ = std::make_unique<asio::local::stream_protocol::acceptor>(
        io, asio::local::stream_protocol::endpoint(unix_path));
    int perm = static_cast<int>(strtol(config_.text("unixsocketperm").c_str(), nullptr, 8));
    if (perm) chmod(unix_path.c_str(), static_cast<mode_t>(perm));
  }
  if (tcp_acceptors_.empty() && !unix_acceptor_) {
    throw std::runtime_error("Configured to not listen anywhere, exiting.");
  }
  for (auto& acc : tcp_acceptors_) accept_tcp(*acc);
  if (unix_acceptor_) accept_unix(*unix_acceptor_);
}

void Server::accept_tcp(asio::ip::tcp::acceptor& acc) {
  Worker& w = *workers_[next_worker_.fetch_add(1) % workers_.size()];
  acc.async_accept(w.io, [this, &acc, &w](const asio::error_code& ec, asio::ip::tcp::socket s) {
    if (shutting_down_) return;
    if (!ec) {
      asio::generic::stream_protocol::socket gs(std::move(s));
      adopt_socket(std::move(gs), w, false);
    } else if (ec == asio::error::operation_aborted) {
      return;
    }
    accept_tcp(acc);
  });
}

void Server::accept_unix(asio::local::stream_protocol::acceptor& acc) {
  Worker& w = *workers_[next_worker_.fetch_add(1) % workers_.size()];
  acc.async_accept(w.io,
                   [this, &acc, &w](const asio::error_code& ec, asio::local::stream_protocol::socket s) {
                     if (shutting_down_) return;
                     if (!ec) {
                       asio::generic::stream_protocol::socket gs(std::move(s));
                       adopt_socket(std::move(gs), w, true);
                     } else if (ec == asio::error::operation_aborted) {
                       return;
                     }
                     accept_unix(acc);
                   });
}

void Server::adopt_socket(asio::generic::stream_protocol::socket sock, Worker& w, bool is_unix) {
  w.stats.connections_received.fetch_add(1, std::memory_order_relaxed);
  // Refusals are written synchronously here: short, and the socket closes right after.
  auto refuse = [&](const char* msg) {
    asio::error_code ec;
    asio::write(sock, asio::buffer(std::string(msg)), ec);
    sock.close(ec);
    w.stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
  };
  if (connected_clients_.load() >= static_cast<size_t>(config_.num("maxclients"))) {
    return refuse("-ERR max number of clients reached\r\n");
  }
  if (!is_unix && config_.flag("protected-mode") && config_.text("requirepass").empty() &&
      !config_.find("bind")->set_in_file) {
    asio::error_code ec;
    auto ep = sock.remote_endpoint(ec);
    const sockaddr* sa = reinterpret_cast<const sockaddr*>(ep.data());
    bool loopback = false;
    if (sa->sa_family == AF_INET) {
      auto* in = reinterpret_cast<const sockaddr_in*>(sa);
      loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa->sa_family == AF_INET6) {
      auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
                 (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
    }
    if (!loopback) {
      return refuse(
          "-DENIED terndb is running in protected mode: protected mode is enabled, no bind "
          "address was configured and no password is set, so only connections from the "
          "loopback interface are accepted. To accept other clients, do one of: set a "
          "password (requirepass), configure bind addresses, or disable protected mode with "
          "'CONFIG SET protected-mode no' from the loopback interface (and CONFIG REWRITE to "
          "keep it), or start the server with '--protected-mode no'.\r\n");
    }
  }
  connected_clients_.fetch_add(1);
  auto conn = std::make_shared<Connection>(*this, w, std::move(sock), is_unix);
  // Accept handlers run on the listeners' thread; the connection belongs to `w`, so its
  // first operations (and its entry in w.connections) happen on w's thread.
  asio::post(w.io, [conn]() { conn->start(); });
}

void Server::register_client(const std::shared_ptr<ClientState>& state,
                             const std::shared_ptr<Connection>& conn, Worker* worker) {
  std::lock_guard<std::mutex> g(clients_mu_);
  clients_[state->id] = ClientEntry{state, conn, worker};
}

void Server::unregister_client(uint64_t id) {
  std::lock_guard<std::mutex> g(clients_mu_);
  if (clients_.erase(id)) connected_clients_.fetch_sub(1);
}

std::vector<ClientEntry> Server::clients_snapshot() {
  std::lock_guard<std::mutex> g(clients_mu_);
  std::vector<ClientEntry> out;
  out.reserve(clients_.size());
  for (auto& [id, e] : clients_) out.push_back(e);
  std::sort(out.begin(), out.end(),
            [](const ClientEntry& a, const ClientEntry& b) { return a.state->id < b.state->id; });
  return out;
}

void Server::kill_client(const ClientEntry& entry) {
  std::weak_ptr<Connection> weak = entry.connection;
  asio::post(entry.worker->io, [weak]() {
    if (auto c = weak.lock()) c->close();
  });
}

uint64_t Server::stat_sum(std::atomic<uint64_t> WorkerStats::*field) const {
  uint64_t n = 0;
  for (auto& w : workers_) n += (w->stats.*field).load(std::memory_order_relaxed);
  return n;
}

uint64_t Server::total_commands() const { return stat_sum(&WorkerStats::commands); }

double Server::instantaneous_ops() const {
  std::lock_guard<std::mutex> g(const_cast<std::mutex&>(ops_mu_));
  if (ops_samples_.empty()) return 0;
  double sum = 0;
  for (double v : ops_samples_) sum += v;
  return sum / static_cast<double>(ops_samples_.size());
}

void Server::reset_stats() {
  for (auto& w : workers_) {
    WorkerStats& s = w->stats;
    s.commands = 0;
    s.net_input_bytes = 0;
    s.net_output_bytes = 0;
    s.connections_received = 0;
    s.rejected_connections = 0;
    s.keyspace_hits = 0;
    s.keyspace_misses = 0;
    s.unexpected_error_replies = 0;
    s.total_error_replies = 0;
    for (size_t i = 0; i < commands_.by_id().size(); ++i) {
      w->command_stats[i].calls = 0;
      w->command_stats[i].usec = 0;
      w->command_stats[i].rejected_calls = 0;
      w->command_stats[i].failed_calls = 0;
    }
  }
  expired_keys_ = 0;
  expired_stale_perc_ = 0;
  expired_time_cap_reached_ = 0;
  expire_cycle_cpu_us_ = 0;
  evictor_->reset_stats();
  reset_evicted_clients();
}

void Server::key_expired(int db, std::string_view key) {
  expired_keys_.fetch_add(1, std::memory_order_relaxed);
  notify_keyspace_event(*this, notify::kExpired, "expired", key, db);
  record_implicit_delete(*this, db, key);
}

void Server::key_created(int db, std::string_view key) {
  notify_keyspace_event(*this, notify::kNew, "new", key, db);
}

void Server::schedule_cron(Worker& w) {
  w.cron->expires_after(std::chrono::milliseconds(1000 / hz()));
  w.cron->async_wait([this, &w](const asio::error_code& ec) {
    if (ec || shutting_down_) return;
    cron(w);
    schedule_cron(w);
  });
}

void Server::cron(Worker& w) {
  const int64_t now = storage::now_ms();
  // Idle clients past `timeout` seconds are closed by their own worker.
  int64_t timeout = config_.num("timeout");
  if (timeout > 0) {
    std::vector<std::shared_ptr<Connection>> idle;
    for (auto& [id, weak] : w.connections) {
      if (auto c = weak.lock()) {
        if (now - c->last_interaction_ms() > timeout * 1000) idle.push_back(c);
      }
    }
    for (auto& c : idle) {
      logf(LogLevel::kVerbose, "Closing idle client");
      c->close();
    }
  }
  if (w.index != 0) return;
  persistence_of(*this).cron(now);
  rotate_output_peaks(now);
  evict_clients(*this);
  // A CLIENT PAUSE whose time is up ends here (held clients wake on their own timers).
  client_pause_->expire(now);
  Replication::instance().cron(*this);
  // Tombstones outlive the longest partition we expect, then go (a few seconds apart).
  if (active::enabled() && now - last_tombstone_purge_ms_ >= 5000) {
    last_tombstone_purge_ms_ = now;
    active::purge_tombstones(*this);
  }
  // Replicas leave expiry and eviction to their master, which sends DELs.
  const bool replica = Replication::instance().is_replica() && !active::enabled();
  if (active_expire_enabled.load() && !client_pause_->active() && !replica) {
    run_active_expire(now);
  }
  // Keep the maxmemory figure fresh, and finish evictions a command left at its time bound.
  evictor_->refresh(storage::now_us());
  if (!replica && evictor_->over_limit()) evictor_->perform_evictions(false);
  // Instantaneous ops/sec over the last 16 samples, as Redis reports it.
  uint64_t ops = total_commands();
  if (last_ops_time_ != 0 && now > last_ops_time_) {
    double rate = static_cast<double>(ops - last_ops_count_) * 1000.0 /
                  static_cast<double>(now - last_ops_time_);
    std::lock_guard<std::mutex> g(ops_mu_);
    ops_samples_.push_back(rate);
    if (ops_samples_.size() > 16) ops_samples_.erase(ops_samples_.begin());
  }
  last_ops_count_ = ops;
  last_ops_time_ = now;
}

// Redis's activeExpireCycle parameters for active-expire-effort 1..10: more keys per loop,
// fewer expired keys tolerated, more of each cron period (25% + 2% per step). None while
// clients are paused.
void Server::run_active_expire(int64_t now) {
  const int64_t effort = std::clamp<int64_t>(config_.num("active-expire-effort"), 1, 10) - 1;
  storage::Keyspace::ExpireParams params;
  params.keys_per_loop = static_cast<size_t>(20 + 20 / 4 * effort);
  params.acceptable_stale_perc = 10 - effort;
  params.budget_us = (1000000 / hz()) * (25 + 2 * effort) / 100;
  const int64_t start = storage::now_us();
  const auto result = keyspace_->active_expire_cycle(now, params);
  expire_cycle_cpu_us_.fetch_add(static_cast<uint64_t>(storage::now_us() - start));
  if (result.time_cap_reached) expired_time_cap_reached_.fetch_add(1);
  const double perc =
      result.sampled ? static_cast<double>(result.expired) / static_cast<double>(result.sampled)
                     : 0.0;
  expired_stale_perc_.store(perc * 0.05 + expired_stale_perc_.load() * 0.95);
}

void Server::request_shutdown(int signal_number) {
  if (shutting_down_.exchange(true)) return;
  if (signal_number != 0) {
    logf(LogLevel::kWarning, "Received %s scheduling shutdown...",
         signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    persistence_of(*this).save_on_exit(persistence_of(*this).has_save_rules());
  }
  logf(LogLevel::kWarning, "User requested shutdown...");
  accept_io_.stop();
  for (auto& w : workers_) {
    asio::post(w->io, [&io = w->io]() { io.stop(); });
  }
}

int Server::run() {
  start_listeners();
  active::enable(*this);
  signals_ = std::make_unique<asio::signal_set>(workers_[0]->io, SIGTERM, SIGINT);
  // SIGINT is Fly's kill_signal; both stop the server the same way.
  signals_->async_wait([this](const asio::error_code& ec, int signo) {
    if (!ec) request_shutdown(signo);
  });
  for (auto& w : workers_) {
    w->cron = std::make_unique<asio::steady_timer>(w->io);
    schedule_cron(*w);
  }
  persistence_of(*this).begin_loading();
  accept_thread_ = std::thread([this]() {
    register_allocating_thread();  // connections are created here
    auto guard = asio::make_work_guard(accept_io_);
    accept_io_.run();
  });
  for (auto& w : workers_) {
    Worker* wp = w.get();
    w->thread = std::thread([wp]() {
      register_allocating_thread();  // the maxmemory check reads this thread's counters
      auto guard = asio::make_work_guard(wp->io);
      wp->io.run();
    });
  }
  // The dataset loads while clients are already connected: they get -LOADING until it is
  // complete. A file that cannot be loaded stops the server (the file stays untouched).
  Persistence& persistence = persistence_of(*this);
  const bool loaded = persistence.load_at_startup();
  if (loaded) {
    // Links to masters and peers start once the dataset is in: what they bring (a full
    // sync, a peer's snapshot merged) lands on it, and a replica's PSYNC names the
    // position its file recorded.
    Replication::instance().start(*this);
    logf(LogLevel::kNotice, "Ready to accept connections");
  } else {
    shutting_down_.store(true);
    for (auto& w : workers_) asio::post(w->io, [&io = w->io]() { io.stop(); });
  }
  for (auto& w : workers_) w->thread.join();
  accept_io_.stop();
  accept_thread_.join();
  // No worker runs any more: the final snapshot sees every acknowledged write.
  persistence.kill_child();
  if (loaded && persistence.save_on_exit()) {
    logf(LogLevel::kNotice, "Saving the final RDB snapshot before exiting.");
    std::string err;
    if (!persistence.save(false, &err, true)) {
      logf(LogLevel::kWarning, "Error trying to save the DB, exiting without it.");
    }
  }
  // Close everything on the way out; workers no longer run, so this thread owns it all.
  tcp_acceptors_.clear();
  if (unix_acceptor_) {
    unix_acceptor_.reset();
    ::unlink(config_.text("unixsocket").c_str());
  }
  signals_.reset();
  Replication::instance().release_links();
  for (auto& w : workers_) {
    w->cron.reset();
    std::vector<std::shared_ptr<Connection>> conns;
    for (auto& [id, weak] : w->connections)
      if (auto c = weak.lock()) conns.push_back(c);
    for (auto& c : conns) c->close();
  }
  if (!loaded) return 1;
  logf(LogLevel::kWarning, "terndb is now ready to exit, bye bye...");
  return 0;
}

}  // namespace terndb::server
