// The server: io threads, listeners, the client registry, statistics, and the keyspace and
// config they share.
//
// Threads: `server-threads` workers, each running one asio::io_context with concurrency
// hint 1 (no internal locking). A connection lives on one worker for its whole life;
// accepted sockets are dealt round-robin by the listeners' own thread (accept_io_).
// Worker 0 also runs the periodic jobs (active expiry, instantaneous metrics) and the
// signal handler. Other threads reach a connection only by posting to its worker.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "conf/config_registry.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/latency_monitor.h"
#include "server/slowlog.h"
#include "storage/flash_store.h"
#include "storage/keyspace.h"

namespace terndb::server {

class Connection;
class PubsubRegistry;
class ClientPause;
class Evictor;
class Persistence;

// Counters a worker's thread writes and any thread may read (relaxed atomics, no sharing
// of cache lines between workers).
struct alignas(64) WorkerStats {
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> unexpected_error_replies{0};
  std::atomic<uint64_t> total_error_replies{0};
};

struct CommandStats {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected_calls{0};
  std::atomic<uint64_t> failed_calls{0};
};

struct Worker {
  explicit Worker(size_t i) : index(i) {}
  size_t index;
  asio::io_context io{1};
  std::thread thread;
  WorkerStats stats;
  std::unique_ptr<CommandStats[]> command_stats;
  // Connections owned by this worker; touched only on its thread.
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections;
  std::unique_ptr<asio::steady_timer> cron;
};

// What the client registry knows of each connection; readable from any thread.
struct ClientEntry {
  std::shared_ptr<ClientState> state;
  std::weak_ptr<Connection> connection;
  Worker* worker;
};

class Server : public storage::KeyspaceObserver {
 public:
  explicit Server(conf::Registry& config);
  ~Server() override;

  // Binds listeners and serves until shutdown. Returns the exit code.
  int run();
  // Asks every worker to stop; safe from any thread.
  // `signal_number`: the signal that asked for it (SIGTERM, SIGINT), or 0 for SHUTDOWN.
  void request_shutdown(int signal_number = 0);

  storage::Keyspace& keyspace() { return *keyspace_; }
  conf::Registry& config() { return config_; }
  CommandTable& commands() { return commands_; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
  Worker& worker(size_t i) { return *workers_[i]; }
  PubsubRegistry& pubsub() { return *pubsub_; }
  ClientPause& client_pause() { return *client_pause_; }
  Evictor& evictor() { return *evictor_; }
  Persistence& persistence() { return *persistence_; }

  // Client registry.
  uint64_t next_client_id() { return next_client_id_.fetch_add(1) + 1; }
  void register_client(const std::shared_ptr<ClientState>& state,
                       const std::shared_ptr<Connection>& conn, Worker* worker);
  void unregister_client(uint64_t id);
  std::vector<ClientEntry> clients_snapshot();
  size_t connected_clients() const { return connected_clients_.load(); }
  // Closes a client from any thread (posted to its worker).
  void kill_client(const ClientEntry& entry);

  // Statistics.
  int64_t start_time_ms() const { return start_time_ms_; }
  uint64_t total_commands() const;
  uint64_t stat_sum(std::atomic<uint64_t> WorkerStats::*field) const;
  uint64_t expired_keys() const { return expired_keys_.load(); }
  // Active expiry figures for INFO stats, as Redis computes them.
  double expired_stale_perc() const { return expired_stale_perc_.load(); }
  uint64_t expired_time_cap_reached() const { return expired_time_cap_reached_.load(); }
  uint64_t expire_cycle_cpu_us() const { return expire_cycle_cpu_us_.load(); }
  double instantaneous_ops() const;
  void reset_stats();
  const std::string& run_id() const { return run_id_; }
  std::string executable_path;
  std::string config_file_path;
  int listening_port() const { return port_; }
  int64_t hz() const;
  // Options read on every request, looked up once (values are atomics in the registry).
  const conf::Option& opt_proto_max_bulk_len;
  const conf::Option& opt_query_buffer_limit;
  const conf::Option& opt_lua_time_limit;
  std::atomic<int64_t> blocked_clients{0};
  // SLOWLOG and LATENCY: written by every io thread's dispatch, read by the commands.
  SlowLog slowlog;
  LatencyMonitor latency;
  // DEBUG SET-ACTIVE-EXPIRE
  std::atomic<bool> active_expire_enabled{true};

  // KeyspaceObserver
  void key_expired(int db, std::string_view key) override;
  void key_created(int db, std::string_view key) override;

 private:
  void start_listeners();
  void accept_tcp(asio::ip::tcp::acceptor& acc);
  void accept_unix(asio::local::stream_protocol::acceptor& acc);
  void adopt_socket(asio::generic::stream_protocol::socket sock, Worker& w, bool is_unix);
  void schedule_cron(Worker& w);
  void cron(Worker& w);
  void apply_runtime_config();
  void wire_encoding_limits();
  void wire_access_policy();
  void run_active_expire(int64_t now);

  conf::Registry& config_;
  std::unique_ptr<storage::Keyspace> keyspace_;
  std::unique_ptr<storage::FlashStore> flash_;  // storage-provider flash, else null
  CommandTable commands_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<PubsubRegistry> pubsub_;
  std::unique_ptr<ClientPause> client_pause_;
  std::unique_ptr<Evictor> evictor_;
  std::unique_ptr<Persistence> persistence_;
  // The listeners run on a thread of their own: an io thread may be busy for a long time
  // (a script past lua-time-limit inside EXEC holds its thread), and a client must still
  // be able to connect and send SCRIPT KILL. Declared after workers_: pending accepts hold
  // sockets of the workers' io_contexts.
  asio::io_context accept_io_{1};
  std::thread accept_thread_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp_acceptors_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_acceptor_;
  std::unique_ptr<asio::signal_set> signals_;
  std::atomic<size_t> next_worker_{0};
  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<size_t> connected_clients_{0};
  std::atomic<uint64_t> expired_keys_{0};
  std::atomic<double> expired_stale_perc_{0};
  std::atomic<uint64_t> expired_time_cap_reached_{0};
  int64_t last_tombstone_purge_ms_ = 0;  // worker 0 only
  std::atomic<uint64_t> expire_cycle_cpu_us_{0};
  std::atomic<bool> shutting_down_{false};
  std::mutex clients_mu_;
  std::unordered_map<uint64_t, ClientEntry> clients_;
  int64_t start_time_ms_ = 0;
  std::string run_id_;
  int port_ = 0;
  // Instantaneous ops/sec from samples taken by the cron.
  std::mutex ops_mu_;
  std::vector<double> ops_samples_;
  uint64_t last_ops_count_ = 0;
  int64_t last_ops_time_ = 0;
};

}  // namespace terndb::server
