// Every configuration option terndb knows: all of redis-server 7.0's, with its names,
// aliases, defaults, ranges and flags, plus the directives keydb.conf uses.
//
// Options are in two groups:
//   - effective: read by terndb's code (now, or by the subsystem that owns the setting:
//     snapshots read `save`, eviction reads `maxmemory`, replication reads `replicaof`);
//   - accepted_only: directives of redis.conf / keydb.conf that mean nothing in terndb's
//     design (io-threads: terndb has its own threads; AOF: terndb persists by snapshots;
//     TLS and cluster: not part of terndb...). They are parsed and range-checked exactly
//     like Redis so a config file that Redis accepts starts terndb, and CONFIG GET/SET
//     answer as Redis does, but they have no effect. docs/config.md lists them with the
//     reason for each; a test keeps that table and this file in agreement.
#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <thread>

#include "conf/config_registry.h"
#include "conf/option_parsers.h"

namespace terndb::conf {
namespace {

constexpr int64_t kIntMin = INT_MIN;
constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kUIntMax = UINT_MAX;
constexpr int64_t kLongMax = LONG_MAX;
constexpr int64_t kLLMax = LLONG_MAX;
constexpr int64_t kMB = 1024 * 1024;

using ParseFn = std::function<bool(const std::vector<std::string>&, std::string&, std::string&)>;

// Describes one option; registers it when the full expression ends (the temporary's
// destructor), so each table line below is one statement.
class Def {
 public:
  Def(Registry& r, OptionKind kind, const char* name, std::string def, int64_t min = 0,
      int64_t max = 0, ParseFn parse = nullptr)
      : r_(r) {
    o_.name = name;
    o_.kind = kind;
    o_.default_text = std::move(def);
    o_.min = min;
    o_.max = max;
    o_.parse = std::move(parse);
  }
  Def(const Def&) = delete;
  Def& operator=(const Def&) = delete;
  ~Def() { r_.add(std::move(o_)); }

  Def& alias(const char* a) {
    o_.aliases.push_back(a);
    return *this;
  }
  Def& immutable() {
    o_.immutable = true;
    return *this;
  }
  Def& protect() {
    o_.protected_config = true;
    return *this;
  }
  Def& accepted_only() {
    o_.accepted_only = true;
    return *this;
  }
  Def& hidden() {
    o_.hidden = true;
    return *this;
  }
  Def& sensitive() {
    o_.sensitive = true;
    return *this;
  }
  Def& octal() {
    o_.octal = true;
    return *this;
  }
  Def& percent() {
    o_.percent = true;
    return *this;
  }
  Def& full_u64() {
    o_.full_u64 = true;
    return *this;
  }
  Def& multi_arg() {
    o_.multi_arg = true;
    return *this;
  }
  Def& repeatable() {
    o_.repeatable = true;
    return *this;
  }
  Def& directive_only() {
    o_.directive_only = true;
    return *this;
  }
  Def& enums(std::initializer_list<EnumValue> values) {
    o_.enums = values;
    return *this;
  }
  Def& validate(std::function<bool(const std::string&, std::string&)> fn) {
    o_.validate = std::move(fn);
    return *this;
  }
  Def& on_change(std::function<bool(std::string&)> fn) {
    o_.on_change = std::move(fn);
    return *this;
  }
  Def& current(std::function<std::string()> fn) {
    o_.current = std::move(fn);
    return *this;
  }

 private:
  Registry& r_;
  Option o_;
};

Def yes_no(Registry& r, const char* name, bool def) {
  return Def(r, OptionKind::kBool, name, def ? "yes" : "no");
}
Def integer(Registry& r, const char* name, int64_t def, int64_t min, int64_t max) {
  return Def(r, OptionKind::kInt, name, std::to_string(def), min, max);
}
Def memory(Registry& r, const char* name, int64_t def, int64_t min, int64_t max) {
  return Def(r, OptionKind::kMemory, name, std::to_string(def), min, max);
}
Def one_of(Registry& r, const char* name, const char* def) {
  return Def(r, OptionKind::kEnum, name, def);
}
Def string(Registry& r, const char* name, const char* def) {
  return Def(r, OptionKind::kString, name, def);
}
Def custom(Registry& r, const char* name, const char* def, ParseFn parse) {
  return Def(r, OptionKind::kCustom, name, def, 0, 0, std::move(parse));
}

void register_network_options(Registry& r, int64_t cores) {
  integer(r, "port", 6379, 0, 65535);
  custom(r, "bind", "* -::*", parse_bind).multi_arg();
  string(r, "bind-source-addr", "").accepted_only();
  string(r, "unixsocket", "").immutable();
  integer(r, "unixsocketperm", 0, 0, 0777).octal().immutable();
  integer(r, "socket-mark-id", 0, 0, kUIntMax).immutable().accepted_only();
  integer(r, "timeout", 0, 0, kIntMax);
  integer(r, "tcp-keepalive", 300, 0, kIntMax);
  integer(r, "tcp-backlog", 511, 0, kIntMax).immutable();
  integer(r, "maxclients", 10000, 1, kUIntMax);
  yes_no(r, "protected-mode", true);
  string(r, "requirepass", "").sensitive();
  integer(r, "databases", 16, 1, kIntMax).immutable();
  integer(r, "server-threads", cores, 1, 128).immutable();
  custom(r, "server-thread-affinity", "false", parse_true_false).accepted_only();
  memory(r, "proto-max-bulk-len", 512 * kMB, kMB, kLongMax);
  memory(r, "client-query-buffer-limit", 1024 * kMB, kMB, kLongMax);
  custom(r, "client-output-buffer-limit",
         "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", parse_cobl)
      .multi_arg();
  custom(r, "hz", "10", parse_hz);
  yes_no(r, "dynamic-hz", true).accepted_only();
  integer(r, "active-expire-effort", 1, 1, 10);
  // Protected actions: no, yes, or only from local (loopback / unix socket) clients.
  one_of(r, "enable-protected-configs", "no")
      .enums({{"no", 0}, {"yes", 1}, {"local", 2}})
      .immutable();
  one_of(r, "enable-debug-command", "no").enums({{"no", 0}, {"yes", 1}, {"local", 2}}).immutable();
  one_of(r, "enable-module-command", "no")
      .enums({{"no", 0}, {"yes", 1}, {"local", 2}})
      .immutable()
      .accepted_only();
  // Directives of Redis's command table that terndb applies at start.
  custom(r, "rename-command", "", parse_rename).multi_arg().repeatable().directive_only();
}

void register_general_options(Registry& r) {
  one_of(r, "loglevel", "notice")
      .enums({{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}});
  string(r, "logfile", "").immutable();
  yes_no(r, "daemonize", false).immutable();
  string(r, "pidfile", "").immutable();
  one_of(r, "supervised", "no")
      .enums({{"upstart", 0}, {"systemd", 1}, {"auto", 2}, {"no", 3}})
      .immutable()
      .accepted_only();
  yes_no(r, "syslog-enabled", false).immutable().accepted_only();
  string(r, "syslog-ident", "redis").immutable().accepted_only();
  one_of(r, "syslog-facility", "local0")
      .enums({{"user", 0},
              {"local0", 1},
              {"local1", 2},
              {"local2", 3},
              {"local3", 4},
              {"local4", 5},
              {"local5", 6},
              {"local6", 7},
              {"local7", 8}})
      .immutable()
      .accepted_only();
  yes_no(r, "always-show-logo", false).immutable().accepted_only();
  yes_no(r, "set-proc-title", true).immutable().accepted_only();
  string(r, "proc-title-template", "{title} {listen-addr} {server-mode}")
      .validate(valid_proc_title)
      .accepted_only();
  yes_no(r, "crash-log-enabled", true).accepted_only();
  yes_no(r, "crash-memcheck-enabled", true).accepted_only();
  yes_no(r, "use-exit-on-panic", false).hidden().accepted_only();
  integer(r, "watchdog-period", 0, 0, kIntMax).hidden().accepted_only();
  string(r, "ignore-warnings", "").accepted_only();
  for (const char* name :
       {"server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist"}) {
    string(r, name, "").immutable().accepted_only();
  }
  for (const char* name : {"shutdown-on-sigint", "shutdown-on-sigterm"}) {
    custom(r, name, "default", parse_shutdown_flags).multi_arg().accepted_only();
  }
  integer(r, "shutdown-timeout", 10, 0, kIntMax).accepted_only();
}

void register_snapshot_options(Registry& r) {
  custom(r, "save", "3600 1 300 100 60 10000", parse_save).multi_arg().repeatable();
  yes_no(r, "stop-writes-on-bgsave-error", true);
  yes_no(r, "rdbcompression", true);
  yes_no(r, "rdbchecksum", true).immutable();
  // KeyDB's: whether BGSAVE and the save rules fork a child (yes) or write a forkless
  // snapshot from a thread (no, the default; server/persistence.h says why).
  yes_no(r, "use-fork", false);
  string(r, "dbfilename", "dump.rdb")
      .protect()
      .validate([](const std::string& v, std::string& err) {
        if (is_base_name(v)) return true;
        err = "dbfilename can't be a path, just a filename";
        return false;
      });
  string(r, "dir", ".").protect().current(working_directory).on_change([&r](std::string& err) {
    // Like Redis, the directory changes as soon as the directive is read.
    std::string dir = r.find("dir")->text;
    if (chdir(dir.c_str()) == -1) {
      err = strerror(errno);
      return false;
    }
    return true;
  });
  yes_no(r, "rdb-del-sync-files", false).accepted_only();
  yes_no(r, "rdb-save-incremental-fsync", true).accepted_only();
  one_of(r, "sanitize-dump-payload", "no")
      .enums({{"no", 0}, {"yes", 1}, {"clients", 2}})
      .accepted_only();
  integer(r, "rdb-key-save-delay", 0, kIntMin, kIntMax).hidden().accepted_only();
  integer(r, "key-load-delay", 0, kIntMin, kIntMax).hidden().accepted_only();
  integer(r, "loading-process-events-interval-bytes", 2 * kMB, 1024, kIntMax)
      .hidden()
      .accepted_only();
}

void register_memory_options(Registry& r) {
  memory(r, "maxmemory", 0, 0, kLLMax).full_u64();
  one_of(r, "maxmemory-policy", "noeviction")
      .enums({{"volatile-lru", 0},
              {"volatile-lfu", 1},
              {"volatile-random", 2},
              {"volatile-ttl", 3},
              {"allkeys-lru", 4},
              {"allkeys-lfu", 5},
              {"allkeys-random", 6},
              {"noeviction", 7}});
  integer(r, "maxmemory-samples", 5, 1, kIntMax);
  integer(r, "maxmemory-eviction-tenacity", 10, 0, 100);
  memory(r, "maxmemory-clients", 0, -100, kLLMax).percent();
  integer(r, "lfu-log-factor", 10, 0, kIntMax);
  integer(r, "lfu-decay-time", 1, 0, kIntMax);
  // terndb always frees outside the shard locks, so the lazy-free switches change nothing.
  for (const char* name :
       {"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
        "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush"}) {
    yes_no(r, name, false).accepted_only();
  }
  yes_no(r, "replica-lazy-flush", false).alias("slave-lazy-flush").accepted_only();
  yes_no(r, "activedefrag", false)
      .validate([](const std::string& v, std::string& err) {
        if (v != "yes") return true;
        err =
            "Active defragmentation cannot be enabled: it requires a Redis server compiled "
            "with a modified Jemalloc like the one shipped by default with the Redis source "
            "distribution";
        return false;
      })
      .accepted_only();
  memory(r, "active-defrag-ignore-bytes", 100 * kMB, 1, kLLMax).accepted_only();
  integer(r, "active-defrag-threshold-lower", 10, 0, 1000).accepted_only();
  integer(r, "active-defrag-threshold-upper", 100, 0, 1000).accepted_only();
  integer(r, "active-defrag-cycle-min", 1, 1, 99).accepted_only();
  integer(r, "active-defrag-cycle-max", 25, 1, 99).accepted_only();
  integer(r, "active-defrag-max-scan-fields", 1000, 1, kLongMax).accepted_only();
  yes_no(r, "jemalloc-bg-thread", true);  // applied by the server (server/memory_stats.h)
  yes_no(r, "activerehashing", true).accepted_only();
  one_of(r, "oom-score-adj", "no")
      .enums({{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}})
      .accepted_only();
  custom(r, "oom-score-adj-values", "0 200 800", parse_oom_score_values)
      .multi_arg()
      .accepted_only();
  yes_no(r, "disable-thp", true).immutable().accepted_only();
}

void register_encoding_options(Registry& r) {
  integer(r, "hash-max-listpack-entries", 512, 0, kLongMax).alias("hash-max-ziplist-entries");
  memory(r, "hash-max-listpack-value", 64, 0, kLongMax).alias("hash-max-ziplist-value");
  integer(r, "list-max-listpack-size", -2, kIntMin, kIntMax).alias("list-max-ziplist-size");
  integer(r, "list-compress-depth", 0, 0, kIntMax);
  integer(r, "set-max-intset-entries", 512, 0, kLongMax);
  integer(r, "zset-max-listpack-entries", 128, 0, kLongMax).alias("zset-max-ziplist-entries");
  memory(r, "zset-max-listpack-value", 64, 0, kLongMax).alias("zset-max-ziplist-value");
  memory(r, "hll-sparse-max-bytes", 3000, 0, kLongMax);
  memory(r, "stream-node-max-bytes", 4096, 0, kLongMax).accepted_only();
  integer(r, "stream-node-max-entries", 100, 0, kLLMax).accepted_only();
}

void register_monitoring_options(Registry& r) {
  // The shown text drops 'n' next to 'A' (as Redis's does) but the flags keep it, so the
  // flags of the value just parsed are handed to on_change; a rollback re-reads the text.
  auto parsed_flags = std::make_shared<std::atomic<int>>(-1);
  custom(r, "notify-keyspace-events", "",
         [parsed_flags](const std::vector<std::string>& args, std::string& out, std::string& err) {
           const int flags = notify_flags(args[0]);
           if (flags < 0) {
             err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
             return false;
           }
           out = notify_classes(flags);
           parsed_flags->store(flags);
           return true;
         })
      .on_change([&r, parsed_flags](std::string&) {
        Option* o = r.find("notify-keyspace-events");
        const int parsed = parsed_flags->exchange(-1);
        o->num.store(parsed >= 0 ? parsed : notify_flags(o->text));
        return true;
      });
  integer(r, "slowlog-log-slower-than", 10000, -1, kLLMax);
  integer(r, "slowlog-max-len", 128, 0, kLongMax);
  integer(r, "latency-monitor-threshold", 0, 0, kLLMax);
  yes_no(r, "latency-tracking", true).accepted_only();
  custom(r, "latency-tracking-info-percentiles", "50 99 99.9", parse_percentiles)
      .multi_arg()
      .accepted_only();
  integer(r, "busy-reply-threshold", 5000, 0, kLongMax).alias("lua-time-limit");
  integer(r, "tracking-table-max-keys", 1000000, 0, kLongMax).accepted_only();
  integer(r, "acllog-max-len", 128, 0, kLongMax).accepted_only();
  string(r, "aclfile", "")
      .immutable()
      .validate([](const std::string& v, std::string& err) {
        if (v.empty()) return true;
        err = "terndb has only the default user: ACL files are not supported (use requirepass)";
        return false;
      })
      .accepted_only();
  one_of(r, "acl-pubsub-default", "resetchannels")
      .enums({{"allchannels", 0}, {"resetchannels", 1}})
      .accepted_only();
}

void register_replication_options(Registry& r) {
  custom(r, "replicaof", "", parse_replicaof).alias("slaveof").multi_arg().repeatable().immutable();
  string(r, "masterauth", "").sensitive();
  string(r, "masteruser", "").sensitive();
  yes_no(r, "replica-serve-stale-data", true).alias("slave-serve-stale-data");
  yes_no(r, "replica-read-only", true).alias("slave-read-only");
  yes_no(r, "repl-diskless-sync", true);
  integer(r, "repl-diskless-sync-delay", 5, 0, kIntMax);
  integer(r, "repl-diskless-sync-max-replicas", 0, 0, kIntMax);
  one_of(r, "repl-diskless-load", "disabled")
      .enums({{"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}});
  integer(r, "repl-ping-replica-period", 10, 1, kIntMax).alias("repl-ping-slave-period");
  integer(r, "repl-timeout", 60, 1, kIntMax);
  yes_no(r, "repl-disable-tcp-nodelay", false);
  memory(r, "repl-backlog-size", kMB, 1, kLLMax);
  integer(r, "repl-backlog-ttl", 3600, 0, kLongMax);
  integer(r, "replica-priority", 100, 0, kIntMax).alias("slave-priority");
  integer(r, "min-replicas-to-write", 0, 0, kIntMax).alias("min-slaves-to-write");
  integer(r, "min-replicas-max-lag", 10, 0, kIntMax).alias("min-slaves-max-lag");
  yes_no(r, "replica-ignore-maxmemory", true).alias("slave-ignore-maxmemory");
  yes_no(r, "replica-announced", true).accepted_only();
  string(r, "replica-announce-ip", "").alias("slave-announce-ip").accepted_only();
  integer(r, "replica-announce-port", 0, 0, 65535).alias("slave-announce-port").accepted_only();
  yes_no(r, "replica-ignore-disk-write-errors", false).accepted_only();
  one_of(r, "propagation-error-behavior", "ignore")
      .enums({{"ignore", 0}, {"panic", 1}, {"panic-on-replicas", 2}})
      .accepted_only();
  // KeyDB's replication model.
  yes_no(r, "active-replica", false);
  yes_no(r, "multi-master", false);
  yes_no(r, "multi-master-no-forward", false);
  integer(r, "replica-quorum", -1, -1, kIntMax);
  // terndb: how long a deleted key's version is kept (seconds), so that an older write still
  // in flight or in a partitioned peer cannot bring the key back.
  integer(r, "active-replica-tombstone-lifetime", 86400, 1, kIntMax);
  integer(r, "replica-weighting-factor", 2, 1, kIntMax).accepted_only();
}

void register_aof_options(Registry& r) {
  yes_no(r, "appendonly", false).accepted_only();
  string(r, "appendfilename", "appendonly.aof")
      .immutable()
      .validate([](const std::string& v, std::string& err) {
        if (v.empty())
          err = "appendfilename can't be empty";
        else if (!is_base_name(v))
          err = "appendfilename can't be a path, just a filename";
        return err.empty();
      })
      .accepted_only();
  string(r, "appenddirname", "appendonlydir")
      .immutable()
      .validate([](const std::string& v, std::string& err) {
        if (v.empty())
          err = "appenddirname can't be empty";
        else if (!is_base_name(v))
          err = "appenddirname can't be a path, just a dirname";
        return err.empty();
      })
      .accepted_only();
  one_of(r, "appendfsync", "everysec")
      .enums({{"everysec", 0}, {"always", 1}, {"no", 2}})
      .accepted_only();
  yes_no(r, "no-appendfsync-on-rewrite", false).accepted_only();
  integer(r, "auto-aof-rewrite-percentage", 100, 0, kIntMax).accepted_only();
  memory(r, "auto-aof-rewrite-min-size", 64 * kMB, 0, kLLMax).accepted_only();
  yes_no(r, "aof-load-truncated", true).accepted_only();
  yes_no(r, "aof-use-rdb-preamble", true).accepted_only();
  yes_no(r, "aof-rewrite-incremental-fsync", true).accepted_only();
  yes_no(r, "aof-timestamp-enabled", false).accepted_only();
  yes_no(r, "aof-disable-auto-gc", false).accepted_only();
}

void register_thread_options(Registry& r) {
  // Redis's io threads: terndb's io threads are server-threads.
  integer(r, "io-threads", 1, 1, 128).immutable().accepted_only();
  yes_no(r, "io-threads-do-reads", false).immutable().accepted_only();
}

void register_cluster_options(Registry& r) {
  yes_no(r, "cluster-enabled", false)
      .immutable()
      .validate([](const std::string& v, std::string& err) {
        if (v != "yes") return true;
        err = "terndb does not run in cluster mode";
        return false;
      })
      .accepted_only();
  string(r, "cluster-config-file", "nodes.conf").immutable().accepted_only();
  integer(r, "cluster-node-timeout", 15000, 0, kLLMax).accepted_only();
  integer(r, "cluster-port", 0, 0, 65535).immutable().accepted_only();
  integer(r, "cluster-announce-port", 0, 0, 65535).accepted_only();
  integer(r, "cluster-announce-bus-port", 0, 0, 65535).accepted_only();
  integer(r, "cluster-announce-tls-port", 0, 0, 65535).accepted_only();
  string(r, "cluster-announce-ip", "").accepted_only();
  string(r, "cluster-announce-hostname", "").validate(valid_hostname).accepted_only();
  one_of(r, "cluster-preferred-endpoint-type", "ip")
      .enums({{"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}})
      .accepted_only();
  integer(r, "cluster-replica-validity-factor", 10, 0, kIntMax)
      .alias("cluster-slave-validity-factor")
      .accepted_only();
  integer(r, "cluster-migration-barrier", 1, 0, kIntMax).accepted_only();
  yes_no(r, "cluster-allow-replica-migration", true).accepted_only();
  yes_no(r, "cluster-require-full-coverage", true).accepted_only();
  yes_no(r, "cluster-replica-no-failover", false)
      .alias("cluster-slave-no-failover")
      .accepted_only();
  yes_no(r, "cluster-allow-reads-when-down", false).accepted_only();
  yes_no(r, "cluster-allow-pubsubshard-when-down", true).accepted_only();
  memory(r, "cluster-link-sendbuf-limit", 0, 0, kLLMax).full_u64().accepted_only();
}

void register_tls_options(Registry& r) {
  integer(r, "tls-port", 0, 0, 65535)
      .validate([](const std::string& v, std::string& err) {
        if (v == "0") return true;
        err = "terndb does not serve TLS";
        return false;
      })
      .accepted_only();
  integer(r, "tls-session-cache-size", 20480, 0, kIntMax).accepted_only();
  integer(r, "tls-session-cache-timeout", 300, 0, kIntMax).accepted_only();
  for (const char* name : {"tls-cluster", "tls-replication", "tls-prefer-server-ciphers"}) {
    yes_no(r, name, false).accepted_only();
  }
  yes_no(r, "tls-session-caching", true).accepted_only();
  one_of(r, "tls-auth-clients", "yes")
      .enums({{"no", 0}, {"yes", 1}, {"optional", 2}})
      .accepted_only();
  for (const char* name :
       {"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
        "tls-client-key-file", "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file",
        "tls-ca-cert-dir", "tls-protocols", "tls-ciphers", "tls-ciphersuites"}) {
    string(r, name, "").accepted_only();
  }
}

// Directives of keydb.conf beyond Redis's set; terndb's equivalents are built in or absent.
void register_keydb_options(Registry& r) {
  custom(r, "storage-provider", "none", parse_words).multi_arg().immutable();
  string(r, "storage-provider-options", "").accepted_only();
  string(r, "storage-cache-mode", "writethrough").accepted_only();
  integer(r, "storage-flush-period", 500, 0, kIntMax);
  string(r, "scratch-file-path", "").accepted_only();
  string(r, "db-s3-object", "").accepted_only();
  string(r, "availability-zone", "").accepted_only();
  string(r, "version-override", "").accepted_only();
  custom(r, "tls-allowlist", "", parse_words).multi_arg().accepted_only();
  integer(r, "min-clients-per-thread", 20, 0, kIntMax).accepted_only();
  integer(r, "maxclients-reserved", 0, 0, kIntMax).accepted_only();
  integer(r, "loading-process-events-interval-keys", 8192, 0, kLLMax).accepted_only();
  memory(r, "repl-backlog-disk-reserve", 0, 0, kLLMax).accepted_only();
  memory(r, "maxstorage", 0, 0, kLLMax).accepted_only();
  integer(r, "max-snapshot-slip", 400, 0, kIntMax).accepted_only();
  integer(r, "max-rand-count", kLLMax / 2, 0, kLLMax / 2).accepted_only();
  integer(r, "semi-ordered-set-bucket-size", 0, 0, 1024).accepted_only();
  integer(r, "overload-protect-percent", 0, 0, 200).accepted_only();
  integer(r, "force-eviction-percent", 0, 0, 100).accepted_only();
  for (const char* name :
       {"delete-on-evict", "time-thread-priority", "enable-async-commands",
        "multithread-load-enabled", "allow-write-during-load", "force-backlog-disk-reserve",
        "soft-shutdown", "flash-disable-key-cache", "enable-keydb-fastsync", "tls-rotation"}) {
    yes_no(r, name, false).accepted_only();
  }
  for (const char* name : {"enable-motd", "prefetch-enabled", "allow-rdb-resize-op",
                           "active-client-balancing", "enable-async-rehash"}) {
    yes_no(r, name, true).accepted_only();
  }
}

// terndb's own deployment options (docs/config.md, "terndb's own options").
void register_deployment_options(Registry& r) {
  // The Prometheus endpoint: GET /metrics on this port (0: off), on these addresses
  // (bind's syntax: "*" and "::*" for every IPv4 / IPv6 address, a leading '-' marks an
  // address that may be missing).
  integer(r, "metrics-port", 0, 0, 65535).immutable();
  custom(r, "metrics-bind", "* -::*", parse_bind).multi_arg().immutable();
  // "<host name> <port>" whose addresses are this node's multi-master peers (Fly's
  // "<app>.internal 6379"): re-resolved every active-replica-peers-dns-interval seconds,
  // one link per address (server/replication.cc).
  string(r, "active-replica-peers-dns", "");
  integer(r, "active-replica-peers-dns-interval", 5, 1, kIntMax);
}

}  // namespace

void register_all_options(Registry& r) {
  const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
  register_network_options(r, cores);
  register_general_options(r);
  register_snapshot_options(r);
  register_memory_options(r);
  register_encoding_options(r);
  register_monitoring_options(r);
  register_replication_options(r);
  register_aof_options(r);
  register_thread_options(r);
  register_cluster_options(r);
  register_tls_options(r);
  register_keydb_options(r);
  register_deployment_options(r);
}

}  // namespace terndb::conf
