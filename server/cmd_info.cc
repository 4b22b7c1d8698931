// INFO [section ...]: Redis 7.0's sections, field names and formats, so monitoring tools
// and client libraries that parse INFO read terndb as they read redis-server.
//
// One function per section. Fields of subsystems terndb does not have (AOF, forks, cluster,
// modules) report the values Redis reports when those are idle or disabled.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "server/active_replica.h"
#include "server/client_eviction.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/eviction.h"
#include "server/memory_stats.h"
#include "server/flash.h"
#include "server/output_limits.h"
#include "server/persistence.h"
#include "server/pubsub.h"
#include "server/propagate.h"
#include "server/info_line.h"
#include "server/replication.h"
#include "server/server.h"
#include "server/version.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

// What a section writer gets: the server and the caller's locking state.
struct InfoSource {
  Server& server;
  bool all_locked;
};


using ull = unsigned long long;
using ll = long long;

ull sum(const InfoSource& s, std::atomic<uint64_t> WorkerStats::*field) {
  return s.server.stat_sum(field);
}

// A stable identifier of this build, in the place of Redis's build hash.
std::string build_id() {
  uint64_t h = 1469598103934665603ull;
  for (const char* p = kTerndbVersion; *p; ++p)
    h = (h ^ static_cast<uint8_t>(*p)) * 1099511628211ull;
  char buf[32];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<ull>(h));
  return buf;
}

void server_section(const InfoSource& s, std::string& out) {
  Server& srv = s.server;
  utsname name{};
  uname(&name);
  const int64_t now_us = storage::now_us();
  const int64_t uptime = (now_us / 1000 - srv.start_time_ms()) / 1000;
  info_line(out, "redis_version:%s", kRedisCompatVersion);
  info_line(out, "terndb_version:%s", kTerndbVersion);
  info_line(out, "redis_git_sha1:%s", "00000000");
  info_line(out, "redis_git_dirty:%d", 0);
  info_line(out, "redis_build_id:%s", build_id().c_str());
  info_line(out, "redis_mode:%s", "standalone");
  info_line(out, "os:%s %s %s", name.sysname, name.release, name.machine);
  info_line(out, "arch_bits:%d", static_cast<int>(sizeof(void*) * 8));
  info_line(out, "monotonic_clock:%s", "POSIX clock_gettime");
  info_line(out, "multiplexing_api:%s", "epoll");
  info_line(out, "atomicvar_api:%s", "c11-builtin");
#ifdef __GNUC__
  info_line(out, "gcc_version:%d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  info_line(out, "gcc_version:0.0.0");
#endif
  info_line(out, "process_id:%ld", static_cast<long>(getpid()));
  info_line(out, "process_supervised:%s", "no");
  info_line(out, "run_id:%s", srv.run_id().c_str());
  info_line(out, "tcp_port:%d", srv.listening_port());
  info_line(out, "server_time_usec:%lld", static_cast<ll>(now_us));
  info_line(out, "uptime_in_seconds:%lld", static_cast<ll>(uptime));
  info_line(out, "uptime_in_days:%lld", static_cast<ll>(uptime / 86400));
  info_line(out, "hz:%lld", static_cast<ll>(srv.hz()));
  info_line(out, "configured_hz:%lld", static_cast<ll>(srv.config().num("hz")));
  info_line(out, "lru_clock:%u", storage::lru_clock());
  info_line(out, "executable:%s", srv.executable_path.c_str());
  info_line(out, "config_file:%s", srv.config_file_path.c_str());
  info_line(out, "io_threads_active:%d", 0);
  info_line(out, "server_threads:%zu", srv.workers().size());
}

void clients_section(const InfoSource& s, std::string& out) {
  size_t max_input = 0, max_output = recent_max_output();
  for (const ClientEntry& e : s.server.clients_snapshot()) {
    max_input = std::max(max_input, e.state->query_buffer_bytes.load(std::memory_order_relaxed));
    max_output = std::max(max_output, e.state->output_bytes.load(std::memory_order_relaxed) +
                                          e.state->output_pending.load(std::memory_order_relaxed));
  }
  info_line(out, "connected_clients:%zu", s.server.connected_clients());
  info_line(out, "cluster_connections:%d", 0);
  info_line(out, "maxclients:%lld", static_cast<ll>(s.server.config().num("maxclients")));
  info_line(out, "client_recent_max_input_buffer:%zu", max_input);
  info_line(out, "client_recent_max_output_buffer:%zu", max_output);
  info_line(out, "blocked_clients:%lld", static_cast<ll>(s.server.blocked_clients.load()));
  info_line(out, "tracking_clients:%d", 0);
  info_line(out, "clients_in_timeout_table:%d", 0);
}

// "%.2f" of a/b, 0 when b is 0.
double ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

void memory_section(const InfoSource& s, std::string& out) {
  const MemoryStats m = read_memory_stats();
  const uint64_t peak = std::max(peak_allocated(), m.allocated);
  const uint64_t startup = std::min(startup_allocated(), m.allocated);
  // The dataset is what the tables hold (entries, values, bucket arrays); the rest of what
  // jemalloc has allocated is overhead (buffers, scripts, the server's own structures).
  const uint64_t dataset = std::min<uint64_t>(
      static_cast<uint64_t>(std::max<int64_t>(0, s.server.keyspace().dataset_bytes())),
      m.allocated - startup);
  const uint64_t overhead = m.allocated - dataset;
  const uint64_t system = total_system_memory();
  const int64_t maxmemory = s.server.config().num("maxmemory");
  const std::string policy = s.server.config().text("maxmemory-policy");
  info_line(out, "used_memory:%llu", static_cast<ull>(m.allocated));
  info_line(out, "used_memory_human:%s", bytes_to_human(m.allocated).c_str());
  info_line(out, "used_memory_rss:%llu", static_cast<ull>(m.rss));
  info_line(out, "used_memory_rss_human:%s", bytes_to_human(m.rss).c_str());
  info_line(out, "used_memory_peak:%llu", static_cast<ull>(peak));
  info_line(out, "used_memory_peak_human:%s", bytes_to_human(peak).c_str());
  info_line(out, "used_memory_peak_perc:%.2f%%", ratio(m.allocated, peak) * 100);
  info_line(out, "used_memory_overhead:%llu", static_cast<ull>(overhead));
  info_line(out, "used_memory_startup:%llu", static_cast<ull>(startup));
  info_line(out, "used_memory_dataset:%llu", static_cast<ull>(dataset));
  info_line(out, "used_memory_dataset_perc:%.2f%%", ratio(dataset, m.allocated - startup) * 100);
  info_line(out, "allocator_allocated:%llu", static_cast<ull>(m.allocator_allocated));
  info_line(out, "allocator_active:%llu", static_cast<ull>(m.active));
  info_line(out, "allocator_resident:%llu", static_cast<ull>(m.resident));
  info_line(out, "total_system_memory:%llu", static_cast<ull>(system));
  info_line(out, "total_system_memory_human:%s", bytes_to_human(system).c_str());
  // terndb has no script engine yet: no Lua VM, no scripts, no functions.
  info_line(out, "used_memory_lua:%d", 0);
  info_line(out, "used_memory_vm_eval:%d", 0);
  info_line(out, "used_memory_lua_human:%s", "0B");
  info_line(out, "used_memory_scripts_eval:%d", 0);
  info_line(out, "number_of_cached_scripts:%d", 0);
  info_line(out, "number_of_functions:%d", 0);
  info_line(out, "number_of_libraries:%d", 0);
  info_line(out, "used_memory_vm_functions:%d", 0);
  info_line(out, "used_memory_vm_total:%d", 0);
  info_line(out, "used_memory_vm_total_human:%s", "0B");
  info_line(out, "used_memory_functions:%d", 0);
  info_line(out, "used_memory_scripts:%d", 0);
  info_line(out, "used_memory_scripts_human:%s", "0B");
  info_line(out, "maxmemory:%lld", static_cast<ll>(maxmemory));
  info_line(out, "maxmemory_human:%s", bytes_to_human(static_cast<uint64_t>(maxmemory)).c_str());
  info_line(out, "maxmemory_policy:%s", policy.c_str());
  info_line(out, "allocator_frag_ratio:%.2f", ratio(m.active, m.allocator_allocated));
  info_line(out, "allocator_frag_bytes:%lld",
       static_cast<ll>(m.active) - static_cast<ll>(m.allocator_allocated));
  info_line(out, "allocator_rss_ratio:%.2f", ratio(m.resident, m.active));
  info_line(out, "allocator_rss_bytes:%lld", static_cast<ll>(m.resident) - static_cast<ll>(m.active));
  info_line(out, "rss_overhead_ratio:%.2f", ratio(m.rss, m.resident));
  info_line(out, "rss_overhead_bytes:%lld", static_cast<ll>(m.rss) - static_cast<ll>(m.resident));
  info_line(out, "mem_fragmentation_ratio:%.2f", ratio(m.rss, m.allocated));
  info_line(out, "mem_fragmentation_bytes:%lld", static_cast<ll>(m.rss) - static_cast<ll>(m.allocated));
  info_line(out, "mem_not_counted_for_evict:%d", 0);
  info_line(out, "mem_replication_backlog:%d", 0);
  info_line(out, "mem_total_replication_buffers:%d", 0);
  info_line(out, "mem_clients_slaves:%d", 0);
  info_line(out, "mem_clients_normal:%d", 0);
  info_line(out, "mem_cluster_links:%d", 0);
  info_line(out, "mem_aof_buffer:%d", 0);
  info_line(out, "mem_allocator:%s", m.allocator.c_str());
  info_line(out, "active_defrag_running:%d", 0);
  info_line(out, "lazyfree_pending_objects:%d", 0);
  info_line(out, "lazyfreed_objects:%d", 0);
}

void persistence_section(const InfoSource& s, std::string& out) {
  persistence_of(s.server).info(out);
  info_line(out, "aof_enabled:%d", 0);
  info_line(out, "aof_rewrite_in_progress:%d", 0);
  info_line(out, "aof_rewrite_scheduled:%d", 0);
  info_line(out, "aof_last_rewrite_time_sec:%d", -1);
  info_line(out, "aof_current_rewrite_time_sec:%d", -1);
  info_line(out, "aof_last_bgrewrite_status:%s", "ok");
  info_line(out, "aof_rewrites:%d", 0);
  info_line(out, "aof_rewrites_consecutive_failures:%d", 0);
  info_line(out, "aof_last_write_status:%s", "ok");
  info_line(out, "aof_last_cow_size:%d", 0);
  info_line(out, "module_fork_in_progress:%d", 0);
  info_line(out, "module_fork_last_cow_size:%d", 0);
  persistence_of(s.server).loading_info(out);
}

void stats_section(const InfoSource& s, std::string& out) {
  info_line(out, "total_connections_received:%llu", sum(s, &WorkerStats::connections_received));
  info_line(out, "total_commands_processed:%llu", static_cast<ull>(s.server.total_commands()));
  info_line(out, "instantaneous_ops_per_sec:%lld", static_cast<ll>(s.server.instantaneous_ops()));
  info_line(out, "total_net_input_bytes:%llu", sum(s, &WorkerStats::net_input_bytes));
  info_line(out, "total_net_output_bytes:%llu", sum(s, &WorkerStats::net_output_bytes));
  info_line(out, "total_net_repl_input_bytes:%llu",
       static_cast<ull>(Replication::instance().stats.net_repl_input_bytes.load()));
  info_line(out, "total_net_repl_output_bytes:%llu",
       static_cast<ull>(Replication::instance().stats.net_repl_output_bytes.load()));
  info_line(out, "instantaneous_input_kbps:%.2f", 0.0);
  info_line(out, "instantaneous_output_kbps:%.2f", 0.0);
  info_line(out, "instantaneous_input_repl_kbps:%.2f", 0.0);
  info_line(out, "instantaneous_output_repl_kbps:%.2f", 0.0);
  info_line(out, "rejected_connections:%llu", sum(s, &WorkerStats::rejected_connections));
  const ReplicationStats& rs = Replication::instance().stats;
  info_line(out, "sync_full:%llu", static_cast<unsigned long long>(rs.sync_full.load()));
  info_line(out, "sync_partial_ok:%llu", static_cast<unsigned long long>(rs.sync_partial_ok.load()));
  info_line(out, "sync_partial_err:%llu", static_cast<unsigned long long>(rs.sync_partial_err.load()));
  info_line(out, "expired_keys:%llu", static_cast<ull>(s.server.expired_keys()));
  info_line(out, "expired_stale_perc:%.2f", s.server.expired_stale_perc() * 100);
  info_line(out, "expired_time_cap_reached_count:%llu",
       static_cast<ull>(s.server.expired_time_cap_reached()));
  info_line(out, "expire_cycle_cpu_milliseconds:%llu",
       static_cast<ull>(s.server.expire_cycle_cpu_us() / 1000));
  info_line(out, "evicted_keys:%llu", static_cast<ull>(s.server.evictor().evicted_keys()));
  info_line(out, "evicted_clients:%llu", static_cast<ull>(evicted_clients()));
  info_line(out, "total_eviction_exceeded_time:%llu",
       static_cast<ull>(s.server.evictor().exceeded_time_ms()));
  info_line(out, "current_eviction_exceeded_time:%d", 0);
  info_line(out, "keyspace_hits:%llu", sum(s, &WorkerStats::keyspace_hits));
  info_line(out, "keyspace_misses:%llu", sum(s, &WorkerStats::keyspace_misses));
  PubsubRegistry& pubsub = s.server.pubsub();
  info_line(out, "pubsub_channels:%zu", pubsub.channel_count(ChannelKind::kGlobal));
  info_line(out, "pubsub_patterns:%zu", pubsub.pattern_count());
  info_line(out, "pubsubshard_channels:%zu", pubsub.channel_count(ChannelKind::kShard));
  info_line(out, "latest_fork_usec:%d", 0);
  info_line(out, "total_forks:%d", 0);
  info_line(out, "migrate_cached_sockets:%d", 0);
  info_line(out, "slave_expires_tracked_keys:%d", 0);
  info_line(out, "active_defrag_hits:%d", 0);
  info_line(out, "active_defrag_misses:%d", 0);
  info_line(out, "active_defrag_key_hits:%d", 0);
  info_line(out, "active_defrag_key_misses:%d", 0);
  info_line(out, "total_active_defrag_time:%d", 0);
  info_line(out, "current_active_defrag_time:%d", 0);
  info_line(out, "tracking_total_keys:%d", 0);
  info_line(out, "tracking_total_items:%d", 0);
  info_line(out, "tracking_total_prefixes:%d", 0);
  info_line(out, "unexpected_error_replies:%llu", sum(s, &WorkerStats::unexpected_error_replies));
  info_line(out, "total_error_replies:%llu", sum(s, &WorkerStats::total_error_replies));
  info_line(out, "dump_payload_sanitizations:%d", 0);
  // Reads and writes are done by the io threads themselves; there are no helper threads.
  info_line(out, "io_threaded_reads_processed:%d", 0);
  info_line(out, "io_threaded_writes_processed:%d", 0);
  info_line(out, "reply_buffer_shrinks:%d", 0);
  info_line(out, "reply_buffer_expands:%d", 0);
}

// An active replica's masters as KeyDB 6.3 prints them: the first one's fields named as a
// plain replica's (master_host...), the others' with the master's index (master_1_host...),
// each followed by terndb's own lines about the peer link.
void active_masters(const InfoSource& s, const std::vector<MasterView>& masters, std::string& out) {
  int up = 0;
  for (const MasterView& m : masters) up += m.link_up ? 1 : 0;
  const bool met = Replication::instance().quorum_met(s.server.config().num("replica-quorum"));
  info_line(out, "master_global_link_status:%s", met ? "up" : "down");
  info_line(out, "connected_masters:%d", up);
  for (size_t i = 0; i < masters.size(); ++i) {
    const MasterView& m = masters[i];
    const std::string p = i == 0 ? std::string() : "_" + std::to_string(i);
    const char* px = p.c_str();
    const auto processed = static_cast<ll>(m.peer_offset);
    info_line(out, "master%s_host:%s", px, m.host.c_str());
    info_line(out, "master%s_port:%d", px, m.port);
    info_line(out, "master%s_link_status:%s", px, m.link_up ? "up" : "down");
    info_line(out, "master%s_last_io_seconds_ago:%lld", px,
         static_cast<ll>(m.link_up ? m.last_io_seconds_ago : -1));
    info_line(out, "master%s_sync_in_progress:%d", px, m.sync_in_progress ? 1 : 0);
    info_line(out, "slave_read_repl_offset:%lld", processed);
    info_line(out, "slave_repl_offset:%lld", processed);
    if (m.sync_in_progress) {
      const ll total = static_cast<ll>(m.sync_total_bytes);
      const ll read = static_cast<ll>(m.sync_read_bytes);
      info_line(out, "master%s_sync_total_bytes:%lld", px, total);
      info_line(out, "master%s_sync_read_bytes:%lld", px, read);
      info_line(out, "master%s_sync_left_bytes:%lld", px, total - read);
      info_line(out, "master%s_sync_perc:%.2f", px,
           total > 0 ? static_cast<double>(read) * 100 / static_cast<double>(total) : 0.0);
      info_line(out, "master%s_sync_last_io_seconds_ago:%lld", px,
           static_cast<ll>(m.last_io_seconds_ago));
    }
    if (!m.link_up) {
      info_line(out, "master%s_link_down_since_seconds:%lld", px,
           static_cast<ll>(m.link_down_since_seconds));
    }
    // terndb's own: who the peer is and where we are in its stream.
    info_line(out, "master%s_uuid:%s", px, m.uuid.c_str());
    info_line(out, "master%s_state:%s", px, m.state.c_str());
    info_line(out, "master%s_peer_replid:%s", px, m.peer_replid.c_str());
    info_line(out, "master%s_peer_offset:%lld", px, processed);
    info_line(out, "master%s_lag_ms:%lld", px, static_cast<ll>(m.lag_ms));
    info_line(out, "master%s_discovered:%d", px, m.from_dns ? 1 : 0);
  }
  info_line(out, "slave_priority:%lld", static_cast<ll>(s.server.config().num("replica-priority")));
  info_line(out, "slave_read_only:%d", 0);
  info_line(out, "replica_announced:%d", 1);
}

void replication_section(const InfoSource& s, std::string& out) {
  Replication& repl = Replication::instance();
  replication::StreamLog& log = stream_log();
  const bool active = active::enabled();
  std::vector<MasterView> masters = repl.master_views();
  MasterView m = masters.empty() ? MasterView{} : masters.front();
  const auto offset = static_cast<ll>(log.offset());
  if (m.configured && active) {
    info_line(out, "role:active-replica");
    active_masters(s, masters, out);
  } else if (m.configured) {
    info_line(out, "role:slave");
    info_line(out, "master_host:%s", m.host.c_str());
    info_line(out, "master_port:%d", m.port);
    info_line(out, "master_link_status:%s", m.link_up ? "up" : "down");
    info_line(out, "master_last_io_seconds_ago:%lld", static_cast<ll>(m.last_io_seconds_ago));
    info_line(out, "master_sync_in_progress:%d", m.sync_in_progress ? 1 : 0);
    info_line(out, "slave_read_repl_offset:%lld", offset);
    info_line(out, "slave_repl_offset:%lld", offset);
    if (!m.link_up) {
      info_line(out, "master_link_down_since_seconds:%lld", static_cast<ll>(m.link_down_since_seconds));
    }
    info_line(out, "slave_priority:%lld", static_cast<ll>(s.server.config().num("replica-priority")));
    info_line(out, "slave_read_only:%d", s.server.config().flag("replica-read-only") ? 1 : 0);
    info_line(out, "replica_announced:%d", 1);
  } else {
    info_line(out, "role:%s", "master");
  }
  auto replicas = repl.replicas();
  info_line(out, "connected_slaves:%zu", replicas.size());
  if ((!m.configured || active) && s.server.config().num("min-replicas-to-write") > 0) {
    info_line(out, "min_slaves_good_slaves:%d",
         repl.good_replicas(s.server.config().num("min-replicas-max-lag")));
  }
  for (size_t i = 0; i < replicas.size(); ++i) {
    const ReplicaView& r = replicas[i];
    info_line(out, "slave%zu:ip=%s,port=%d,state=%s,offset=%llu,lag=%lld", i, r.ip.c_str(), r.port,
         r.state.c_str(), static_cast<unsigned long long>(r.ack_offset),
         static_cast<ll>(r.lag_seconds));
  }
  info_line(out, "master_failover_state:%s", "no-failover");
  info_line(out, "master_replid:%s", log.replid().c_str());
  info_line(out, "master_replid2:%s", log.replid2().c_str());
  info_line(out, "master_repl_offset:%lld", offset);
  info_line(out, "second_repl_offset:%lld", static_cast<ll>(log.second_offset()));
  info_line(out, "repl_backlog_active:%d", log.backlog_active() ? 1 : 0);
  info_line(out, "repl_backlog_size:%lld", static_cast<ll>(s.server.config().num("repl-backlog-size")));
  info_line(out, "repl_backlog_first_byte_offset:%lld", static_cast<ll>(log.backlog_first_byte()));
  info_line(out, "repl_backlog_histlen:%lld", static_cast<ll>(log.backlog_histlen()));
  // An active replica's own name, as its peers see it in REPLCONF uuid.
  if (active) {
    info_line(out, "node_uuid:%s", active::node_uuid().c_str());
    // Deleted keys' versions still kept (active-replica-tombstone-lifetime).
    info_line(out, "active_tombstones:%llu",
         static_cast<ull>(s.server.keyspace().tombstone_count()));
  }
}

void cpu_line(std::string& out, const char* name, const timeval& tv) {
  info_line(out, "%s:%ld.%06ld", name, static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
}

void cpu_section(const InfoSource&, std::string& out) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  // terndb has no single main thread: the figures are those of the io thread answering.
  getrusage(RUSAGE_THREAD, &thread);
  cpu_line(out, "used_cpu_sys", self.ru_stime);
  cpu_line(out, "used_cpu_user", self.ru_utime);
  cpu_line(out, "used_cpu_sys_children", children.ru_stime);
  cpu_line(out, "used_cpu_user_children", children.ru_utime);
  cpu_line(out, "used_cpu_sys_main_thread", thread.ru_stime);
  cpu_line(out, "used_cpu_user_main_thread", thread.ru_utime);
}

void modules_section(const InfoSource&, std::string&) {}

void commandstats_section(const InfoSource& s, std::string& out) {
  for (const CommandSpec* spec : s.server.commands().by_id()) {
    ull calls = 0, usec = 0, rejected = 0, failed = 0;
    for (auto& w : s.server.workers()) {
      const CommandStats& cs = w->command_stats[spec->id];
      calls += cs.calls.load(std::memory_order_relaxed);
      usec += cs.usec.load(std::memory_order_relaxed);
      rejected += cs.rejected_calls.load(std::memory_order_relaxed);
      failed += cs.failed_calls.load(std::memory_order_relaxed);
    }
    if (calls == 0 && rejected == 0 && failed == 0) continue;
    info_line(out,
         "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
         spec->full_name().c_str(), calls, usec,
         calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0, rejected, failed);
  }
}

// Errors are counted in total, not by their prefix, so there is nothing to list per kind.
void errorstats_section(const InfoSource&, std::string&) {}

// Per-command latency histograms are not kept.
void latencystats_section(const InfoSource&, std::string&) {}

void cluster_section(const InfoSource&, std::string& out) {
  info_line(out, "cluster_enabled:%d", 0);
}

void keyspace_section(const InfoSource& s, std::string& out) {
  storage::Keyspace& ks = s.server.keyspace();
  for (int db = 0; db < ks.databases(); ++db) {
    size_t keys = ks.db_size(db, s.all_locked);
    if (keys == 0) continue;
    size_t expires = ks.volatile_count(db, s.all_locked);
    info_line(out, "db%d:keys=%zu,expires=%zu,avg_ttl=%d", db, keys, expires, 0);
  }
}

void flash_section(const InfoSource& s, std::string& out) {
  flash_info(s.server, out);
}

struct Section {
  const char* name;   // as INFO's argument names it
  const char* title;  // as its header shows it
  bool in_default;    // part of INFO / INFO default
  void (*write)(const InfoSource&, std::string&);
};

// In the order Redis prints them. "all" and "everything" add the non-default ones.
const Section kSections[] = {
    {"server", "Server", true, server_section},
    {"clients", "Clients", true, clients_section},
    {"memory", "Memory", true, memory_section},
    {"persistence", "Persistence", true, persistence_section},
    {"stats", "Stats", true, stats_section},
    {"replication", "Replication", true, replication_section},
    {"cpu", "CPU", true, cpu_section},
    {"modules", "Modules", true, modules_section},
    {"commandstats", "Commandstats", false, commandstats_section},
    {"errorstats", "Errorstats", true, errorstats_section},
    {"latencystats", "Latencystats", false, latencystats_section},
    {"cluster", "Cluster", true, cluster_section},
    {"keyspace", "Keyspace", true, keyspace_section},
    {"flash", "Flash", true, flash_section},  // only with storage-provider flash
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

void info_command(CommandContext& c) {
  constexpr size_t kCount = sizeof(kSections) / sizeof(kSections[0]);
  bool wanted[kCount] = {};
  if (c.argc() == 1) {
    for (size_t i = 0; i < kCount; ++i) wanted[i] = kSections[i].in_default;
  }
  for (size_t a = 1; a < c.argc(); ++a) {
    std::string arg = lowercase(c.arg(a));
    for (size_t i = 0; i < kCount; ++i) {
      if (arg == kSections[i].name || arg == "all" || arg == "everything" ||
          (arg == "default" && kSections[i].in_default)) {
        wanted[i] = true;
      }
    }
  }
  InfoSource source{c.server, c.all_locked};
  std::string out;
  bool first = true;
  for (size_t i = 0; i < kCount; ++i) {
    if (!wanted[i]) continue;
    if (kSections[i].write == flash_section && !c.server.keyspace().flash()) continue;
    if (!first) out += "\r\n";
    first = false;
    out += "# ";
    out += kSections[i].title;
    out += "\r\n";
    kSections[i].write(source, out);
  }
  c.reply.verbatim(out);
}

}  // namespace

void register_info_commands(CommandTable& t) {
  t.add(make_command("info", -1, kCmdLoading | kCmdStale, 0, 0, 0, info_command, "server", "1.0.0",
                     "Returns information and statistics about the server.", "O(1)"));
}

}  // namespace terndb::server
