#include "server/metrics.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "server/eviction.h"
#include "server/memory_stats.h"
#include "server/persistence.h"
#include "server/propagate.h"
#include "server/pubsub.h"
#include "server/replication.h"
#include "server/server.h"
#include "server/version.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

void append_value(std::string& out, double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
    snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(v));
  } else {
    snprintf(buf, sizeof(buf), "%.17g", v);
  }
  out += buf;
}

// Label values escape backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

void server_metrics(Server& srv, MetricsWriter& out) {
  utsname name{};
  uname(&name);
  const int64_t now_ms = storage::now_ms();
  out.gauge("redis_up", "Information about the Redis instance", 1);
  // tcp_port is the configured port: the endpoint may answer before the listeners open.
  out.family("redis_instance_info", "gauge", "Information about the Redis instance");
  out.sample("redis_instance_info", 1,
             {{"role", "master"},
              {"redis_version", kRedisCompatVersion},
              {"redis_mode", "standalone"},
              {"os", std::string(name.sysname) + " " + name.release + " " + name.machine},
              {"maxmemory_policy", srv.config().text("maxmemory-policy")},
              {"tcp_port", std::to_string(srv.config().num("port"))},
              {"run_id", srv.run_id()},
              {"process_id", std::to_string(getpid())}});
  out.gauge("redis_start_time_seconds",
            "Start time of the Redis instance since unix epoch in seconds.",
            static_cast<double>(srv.start_time_ms() / 1000));
  out.gauge("redis_uptime_in_seconds", "uptime_in_seconds metric",
            static_cast<double>((now_ms - srv.start_time_ms()) / 1000));
  out.gauge("redis_process_id", "process_id metric", static_cast<double>(getpid()));
  out.gauge("redis_server_threads_total", "server_threads metric",
            static_cast<double>(srv.workers().size()));
}

void client_metrics(Server& srv, MetricsWriter& out) {
  out.gauge("redis_connected_clients", "connected_clients metric",
            static_cast<double>(srv.connected_clients()));
  out.gauge("redis_blocked_clients", "blocked_clients metric",
            static_cast<double>(srv.blocked_clients.load()));
  out.gauge("redis_config_maxclients", "config_maxclients metric",
            static_cast<double>(srv.config().num("maxclients")));
}

void memory_metrics(Server& srv, MetricsWriter& out) {
  const MemoryStats m = read_memory_stats();
  const double maxmemory = static_cast<double>(srv.config().num("maxmemory"));
  out.gauge("redis_memory_used_bytes", "memory_used_bytes metric",
            static_cast<double>(m.allocated));
  out.gauge("redis_memory_used_rss_bytes", "memory_used_rss_bytes metric",
            static_cast<double>(m.rss));
  out.gauge("redis_memory_used_peak_bytes", "memory_used_peak_bytes metric",
            static_cast<double>(std::max(peak_allocated(), m.allocated)));
  out.gauge("redis_memory_max_bytes", "memory_max_bytes metric", maxmemory);
  out.gauge("redis_config_maxmemory", "config_maxmemory metric", maxmemory);
  out.gauge("redis_allocator_allocated_bytes", "allocator_allocated_bytes metric",
            static_cast<double>(m.allocated));
  out.gauge("redis_allocator_active_bytes", "allocator_active_bytes metric",
            static_cast<double>(m.active));
  out.gauge("redis_allocator_resident_bytes", "allocator_resident_bytes metric",
            static_cast<double>(m.resident));
  out.gauge("redis_mem_fragmentation_ratio", "mem_fragmentation_ratio metric",
            m.allocated ? static_cast<double>(m.rss) / static_cast<double>(m.allocated) : 0.0);
  out.gauge("redis_total_system_memory_bytes", "total_system_memory_bytes metric",
            static_cast<double>(total_system_memory()));
}

void stats_metrics(Server& srv, MetricsWriter& out) {
  auto sum = [&](std::atomic<uint64_t> WorkerStats::*field) {
    return static_cast<double>(srv.stat_sum(field));
  };
  out.counter("redis_connections_received_total", "connections_received_total metric",
              sum(&WorkerStats::connections_received));
  out.counter("redis_rejected_connections_total", "rejected_connections_total metric",
              sum(&WorkerStats::rejected_connections));
  out.counter("redis_commands_processed_total", "commands_processed_total metric",
              static_cast<double>(srv.total_commands()));
  out.counter("redis_net_input_bytes_total", "net_input_bytes_total metric",
              sum(&WorkerStats::net_input_bytes));
  out.counter("redis_net_output_bytes_total", "net_output_bytes_total metric",
              sum(&WorkerStats::net_output_bytes));
  out.counter("redis_expired_keys_total", "expired_keys_total metric",
              static_cast<double>(srv.expired_keys()));
  out.counter("redis_evicted_keys_total", "evicted_keys_total metric",
              static_cast<double>(srv.evictor().evicted_keys()));
  out.counter("redis_keyspace_hits_total", "keyspace_hits_total metric",
              sum(&WorkerStats::keyspace_hits));
  out.counter("redis_keyspace_misses_total", "keyspace_misses_total metric",
              sum(&WorkerStats::keyspace_misses));
  out.gauge("redis_pubsub_channels", "pubsub_channels metric",
            static_cast<double>(srv.pubsub().channel_count(ChannelKind::kGlobal)));
  out.gauge("redis_pubsub_patterns", "pubsub_patterns metric",
            static_cast<double>(srv.pubsub().pattern_count()));
  out.gauge("redis_instantaneous_ops_per_sec", "instantaneous_ops_per_sec metric",
            std::floor(srv.instantaneous_ops()));
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  out.counter("redis_cpu_sys_seconds_total", "cpu_sys_seconds_total metric",
              seconds(self.ru_stime));
  out.counter("redis_cpu_user_seconds_total", "cpu_user_seconds_total metric",
              seconds(self.ru_utime));
}

// Per command, as INFO commandstats lists them (commands never called are left out).
void command_metrics(Server& srv, MetricsWriter& out) {
  struct Row {
    const CommandSpec* spec;
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
  };
  std::vector<Row> rows;
  for (const CommandSpec* spec : srv.commands().by_id()) {
    Row r{spec};
    for (auto& w : srv.workers()) {
      const CommandStats& cs = w->command_stats[spec->id];
      r.calls += cs.calls.load(std::memory_order_relaxed);
      r.usec += cs.usec.load(std::memory_order_relaxed);
      r.rejected += cs.rejected_calls.load(std::memory_order_relaxed);
      r.failed += cs.failed_calls.load(std::memory_order_relaxed);
    }
    if (r.calls || r.rejected || r.failed) rows.push_back(r);
  }
  auto each = [&](const char* name, const char* help, auto value) {
    out.family(name, "counter", help);
    for (const Row& r : rows) out.sample(name, value(r), {{"cmd", r.spec->full_name()}});
  };
  each("redis_commands_total", "Total number of calls per command",
       [](const Row& r) { return static_cast<double>(r.calls); });
  each("redis_commands_duration_seconds_total", "Total amount of time in seconds spent per command",
       [](const Row& r) { return static_cast<double>(r.usec) / 1e6; });
  each("redis_commands_rejected_calls_total",
       "Total number of errors prior command execution per command",
       [](const Row& r) { return static_cast<double>(r.rejected); });
  each("redis_commands_failed_calls_total",
       "Total number of errors within command execution per command",
       [](const Row& r) { return static_cast<double>(r.failed); });
}

// Every database, empty ones included (as redis_exporter reports them).
void keyspace_metrics(Server& srv, MetricsWriter& out) {
  storage::Keyspace& ks = srv.keyspace();
  std::vector<std::pair<size_t, size_t>> counts;
  for (int db = 0; db < ks.databases(); ++db) {
    counts.emplace_back(ks.db_size(db), ks.volatile_count(db));
  }
  out.family("redis_db_keys", "gauge", "Total number of keys by DB");
  for (size_t db = 0; db < counts.size(); ++db) {
    out.sample("redis_db_keys", static_cast<double>(counts[db].first),
               {{"db", "db" + std::to_string(db)}});
  }
  out.family("redis_db_keys_expiring", "gauge", "Total number of expiring keys by DB");
  for (size_t db = 0; db < counts.size(); ++db) {
    out.sample("redis_db_keys_expiring", static_cast<double>(counts[db].second),
               {{"db", "db" + std::to_string(db)}});
  }
}

void slowlog_and_latency_metrics(Server& srv, MetricsWriter& out) {
  const std::vector<SlowLogEntry> last = srv.slowlog.latest(1);
  out.gauge("redis_slowlog_length", "Total slowlog", static_cast<double>(srv.slowlog.size()));
  out.gauge("redis_slowlog_last_id", "Last id of slowlog",
            last.empty() ? 0 : static_cast<double>(last[0].id));
  out.gauge("redis_last_slow_execution_duration_seconds",
            "The amount of time needed for last slow execution, in seconds",
            last.empty() ? 0 : static_cast<double>(last[0].duration_us) / 1e6);
  const auto events = srv.latency.latest();
  out.family("redis_latency_spike_last", "gauge", "When the latency spike last occurred");
  for (const auto& e : events) {
    out.sample("redis_latency_spike_last", static_cast<double>(e.latest.unix_time),
               {{"event_name", e.event}});
  }
  out.family("redis_latency_spike_duration_seconds", "gauge",
             "Length of the last latency spike in seconds");
  for (const auto& e : events) {
    out.sample("redis_latency_spike_duration_seconds",
               static_cast<double>(e.latest.latency_ms) / 1000.0, {{"event_name", e.event}});
  }
}

}  // namespace

void MetricsWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void MetricsWriter::sample(std::string_view name, double value, const Labels& labels) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      append_label_value(out_, labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

void MetricsWriter::gauge(std::string_view name, std::string_view help, double value) {
  family(name, "gauge", help);
  sample(name, value);
}

void MetricsWriter::counter(std::string_view name, std::string_view help, double value) {
  family(name, "counter", help);
  sample(name, value);
}

void replication_and_persistence_metrics(Server& srv, MetricsWriter& out) {
  Replication& repl = Replication::instance();
  const std::vector<ReplicaView> replicas = repl.replicas();
  out.gauge("redis_connected_slaves", "connected_slaves metric",
            static_cast<double>(replicas.size()));
  // 1 when the master link is up; a node without a master reports 0, as it has no link
  // that is up.
  const MasterView master = repl.master_view();
  out.gauge("redis_master_link_up", "Master link status on Redis slave",
            master.configured && master.link_up ? 1 : 0);
  out.family("redis_connected_slave_lag_seconds", "gauge", "Lag of connected slave");
  for (const ReplicaView& r : replicas) {
    out.sample("redis_connected_slave_lag_seconds", static_cast<double>(r.lag_seconds),
               {{"slave_ip", r.ip}, {"slave_port", std::to_string(r.port)},
                {"slave_state", r.state}});
  }
  out.family("redis_connected_slave_offset_bytes", "gauge", "Offset of connected slave");
  for (const ReplicaView& r : replicas) {
    out.sample("redis_connected_slave_offset_bytes", static_cast<double>(r.ack_offset),
               {{"slave_ip", r.ip}, {"slave_port", std::to_string(r.port)},
                {"slave_state", r.state}});
  }
  // Active replication: one sample per peer link (labels name the peer), as INFO
  // replication's master_N_* lines.
  const std::vector<MasterView> peers = repl.master_views();
  if (peers.size() > 1 || (!peers.empty() && !peers.front().uuid.empty())) {
    auto labels = [](const MasterView& m) -> MetricsWriter::Labels {
      return {{"master_host", m.host}, {"master_port", std::to_string(m.port)},
              {"master_uuid", m.uuid}};
    };
    out.family("redis_master_peer_link_up", "gauge", "Active replica: link to this peer is up");
    for (const MasterView& m : peers) out.sample("redis_master_peer_link_up", m.link_up ? 1 : 0, labels(m));
    out.family("redis_master_peer_lag_seconds", "gauge",
               "Active replica: age of this peer's last write when it was applied here");
    for (const MasterView& m : peers) {
      if (m.lag_ms >= 0) {
        out.sample("redis_master_peer_lag_seconds", static_cast<double>(m.lag_ms) / 1000.0,
                   labels(m));
      }
    }
    out.family("redis_master_peer_offset_bytes", "gauge",
               "Active replica: bytes of this peer's stream processed");
    for (const MasterView& m : peers) {
      out.sample("redis_master_peer_offset_bytes", static_cast<double>(m.peer_offset),
                 labels(m));
    }
  }
  out.family("redis_master_last_io_seconds_ago", "gauge", "Master last io seconds ago");
  if (master.configured) {
    out.sample("redis_master_last_io_seconds_ago",
               static_cast<double>(master.last_io_seconds_ago),
               {{"master_host", master.host}, {"master_port", std::to_string(master.port)}});
  }
  const replication::StreamLog& log = stream_log();
  out.gauge("redis_master_repl_offset", "master_repl_offset metric",
            static_cast<double>(log.offset()));
  out.gauge("redis_repl_backlog_is_active", "repl_backlog_is_active metric",
            log.backlog_active() ? 1 : 0);
  out.gauge("redis_replication_backlog_bytes", "replication_backlog_bytes metric",
            static_cast<double>(srv.config().num("repl-backlog-size")));
  Persistence& persistence = persistence_of(srv);
  out.gauge("redis_loading_dump_file", "loading_dump_file metric", persistence.loading() ? 1 : 0);
  out.gauge("redis_rdb_bgsave_in_progress", "rdb_bgsave_in_progress metric",
            persistence.child_running() ? 1 : 0);
  out.gauge("redis_rdb_last_save_timestamp_seconds", "rdb_last_save_timestamp_seconds metric",
            static_cast<double>(persistence.last_save_time()));
  out.gauge("redis_rdb_last_bgsave_status", "rdb_last_bgsave_status metric",
            persistence.last_bgsave_ok() ? 1 : 0);
  out.gauge("redis_rdb_last_bgsave_duration_sec", "rdb_last_bgsave_duration_sec metric",
            static_cast<double>(persistence.last_bgsave_seconds()));
  out.gauge("redis_rdb_changes_since_last_save", "rdb_changes_since_last_save metric",
            static_cast<double>(persistence.dirty()));
  out.gauge("redis_aof_enabled", "aof_enabled metric", 0);
}

std::string render_metrics(Server& srv) {
  MetricsWriter out;
  out.text().reserve(16384);
  server_metrics(srv, out);
  client_metrics(srv, out);
  memory_metrics(srv, out);
  stats_metrics(srv, out);
  command_metrics(srv, out);
  keyspace_metrics(srv, out);
  slowlog_and_latency_metrics(srv, out);
  replication_and_persistence_metrics(srv, out);
  return std::move(out.text());
}

}  // namespace terndb::server
