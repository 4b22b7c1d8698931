// Every configuration option terndb knows, with Redis 7.0's names, defaults and ranges.
//
// Options are in three groups:
//   - effective: read by terndb's code;
//   - accepted_only: directives of redis.conf / keydb.conf that mean nothing in terndb's
//     design (io-threads: terndb has its own threads; AOF settings: terndb persists by
//     snapshots...). They are parsed and range-checked exactly like Redis so a config
//     file that Redis accepts starts terndb, and CONFIG GET shows them, but they have no
//     effect. docs/config.md lists them; conf/terndb.conf documents the effective ones.
#include <thread>

#include "conf/config_registry.h"
#include "protocol/numbers.h"
#include "protocol/resp_parser.h"

namespace terndb::conf {
namespace {

constexpr int64_t kIntMax = 2147483647;
constexpr int64_t kLLMax = INT64_MAX;

struct Builder {
  Registry& r;
  Option& add(OptionKind kind, const char* name, std::string def, bool accepted_only) {
    Option o;
    o.name = name;
    o.kind = kind;
    o.default_text = std::move(def);
    o.accepted_only = accepted_only;
    return r.add(std::move(o));
  }
  Option& b(const char* name, bool def, bool accepted_only = false) {
    return add(OptionKind::kBool, name, def ? "yes" : "no", accepted_only);
  }
  Option& i(const char* name, int64_t def, int64_t min, int64_t max, bool accepted_only = false) {
    Option o;
    o.name = name;
    o.kind = OptionKind::kInt;
    o.min = min;
    o.max = max;
    o.default_text = std::to_string(def);
    o.accepted_only = accepted_only;
    return r.add(std::move(o));
  }
  Option& m(const char* name, int64_t def, int64_t min, int64_t max, bool accepted_only = false) {
    Option o;
    o.name = name;
    o.kind = OptionKind::kMemory;
    o.min = min;
    o.max = max;
    o.default_text = std::to_string(def);
    o.accepted_only = accepted_only;
    return r.add(std::move(o));
  }
  Option& e(const char* name, const char* def, std::vector<EnumValue> values,
            bool accepted_only = false) {
    Option o;
    o.name = name;
    o.kind = OptionKind::kEnum;
    o.enums = std::move(values);
    o.default_text = def;
    o.accepted_only = accepted_only;
    return r.add(std::move(o));
  }
  Option& s(const char* name, const char* def, bool accepted_only = false) {
    return add(OptionKind::kString, name, def, accepted_only);
  }
  Option& custom(const char* name, const char* def,
                 std::function<bool(const std::vector<std::string>&, std::string&, std::string&)>
                     parse,
                 bool repeatable = false, bool accepted_only = false) {
    Option o;
    o.name = name;
    o.kind = OptionKind::kCustom;
    o.default_text = def;
    o.parse = std::move(parse);
    o.repeatable = repeatable;
    o.accepted_only = accepted_only;
    return r.add(std::move(o));
  }
};

std::vector<EnumValue> names(std::initializer_list<const char*> list) {
  std::vector<EnumValue> out;
  int64_t v = 0;
  for (auto* n : list) out.push_back({n, v++});
  return out;
}

std::string join_words(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out.push_back(' ');
    out += args[i];
  }
  return out;
}

// "save 900 1 300 10" / save "": pairs of positive integers, or empty to disable.
bool parse_save(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> words;
  for (auto& a : args) {
    std::vector<std::string> parts;
    protocol::split_args(a, parts);
    for (auto& p : parts) words.push_back(p);
  }
  if (words.size() % 2 != 0) {
    err = "Invalid save parameters";
    return false;
  }
  for (auto& w : words) {
    int64_t v;
    if (!protocol::parse_int64(w, v) || v < 0) {
      err = "Invalid save parameters";
      return false;
    }
  }
  out = join_words(words);
  return true;
}

bool parse_bind(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> words;
  for (auto& a : args) {
    std::vector<std::string> parts;
    protocol::split_args(a, parts);
    for (auto& p : parts) words.push_back(p);
  }
  if (words.size() > 16) {
    err = "Too many bind addresses specified.";
    return false;
  }
  out = join_words(words);
  return true;
}

// client-output-buffer-limit <class> <hard> <soft> <seconds> [<class> ...]
bool parse_cobl(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> words;
  for (auto& a : args) {
    std::vector<std::string> parts;
    protocol::split_args(a, parts);
    for (auto& p : parts) words.push_back(p);
  }
  if (words.size() % 4 != 0 || words.empty()) {
    err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  // Keep the three classes in Redis's order; unspecified classes keep their defaults.
  static const char* kClasses[] = {"normal", "slave", "pubsub"};
  std::string values[3] = {"0 0 0", "268435456 67108864 60", "33554432 8388608 60"};
  if (!out.empty()) {
    std::vector<std::string> cur;
    protocol::split_args(out, cur);
    for (size_t i = 0; i + 3 < cur.size(); i += 4) {
      for (int c = 0; c < 3; ++c)
        if (cur[i] == kClasses[c]) values[c] = cur[i + 1] + " " + cur[i + 2] + " " + cur[i + 3];
    }
  }
  for (size_t i = 0; i < words.size(); i += 4) {
    std::string cls = words[i];
    if (cls == "replica") cls = "slave";
    int idx = -1;
    for (int c = 0; c < 3; ++c)
      if (cls == kClasses[c]) idx = c;
    long long hard, soft;
    int64_t secs;
    if (idx < 0 || !parse_memory(words[i + 1], hard) || !parse_memory(words[i + 2], soft) ||
        !protocol::parse_int64(words[i + 3], secs) || hard < 0 || soft < 0 || secs < 0) {
      err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    values[idx] = std::to_string(hard) + " " + std::to_string(soft) + " " + std::to_string(secs);
  }
  out = "normal " + values[0] + " slave " + values[1] + " pubsub " + values[2];
  return true;
}

// File modes are written in octal ("700"), as chmod takes them.
bool parse_octal_mode(const std::vector<std::string>& args, std::string& out, std::string& err) {
  if (args.size() != 1 || args[0].empty() ||
      args[0].find_first_not_of("01234567") != std::string::npos || args[0].size() > 4) {
    err = "argument must be an octal file mode";
    return false;
  }
  long v = strtol(args[0].c_str(), nullptr, 8);
  if (v > 0777) {
    err = "argument must be between 0 and 777 (octal) inclusive";
    return false;
  }
  out = args[0];
  return true;
}

bool parse_any_words(const std::vector<std::string>& args, std::string& out, std::string&) {
  out = join_words(args);
  return true;
}

bool parse_replicaof(const std::vector<std::string>& args, std::string& out, std::string& err) {
  if (args.empty()) {
    out.clear();
    return true;
  }
  if (args.size() != 2) {
    err = "wrong number of arguments";
    return false;
  }
  int64_t port;
  if (!protocol::parse_int64(args[1], port) || port < 0 || port > 65535) {
    err = "Invalid master port";
    return false;
  }
  out = args[0] + " " + args[1];
  return true;
}

bool parse_oom_score_values(const std::vector<std::string>& args, std::string& out,
                            std::string& err) {
  std::vector<std::string> words;
  for (auto& a : args) {
    std::vector<std::string> parts;
    protocol::split_args(a, parts);
    for (auto& p : parts) words.push_back(p);
  }
  if (words.size() != 3) {
    err = "wrong number of arguments";
    return false;
  }
  for (auto& w : words) {
    int64_t v;
    if (!protocol::parse_int64(w, v) || v < -2000 || v > 2000) {
      err = "Invalid oom-score-adj-values";
      return false;
    }
  }
  out = join_words(words);
  return true;
}

}  // namespace

void register_all_options(Registry& r) {
  Builder c{r};
  const int64_t cores = std::max(1u, std::thread::hardware_concurrency());

  // --- Network and clients (effective) ---
  c.i("port", 6379, 0, 65535);
  c.custom("bind", "* -::*", parse_bind);
  c.s("unixsocket", "").immutable = true;
  c.custom("unixsocketperm", "0", parse_octal_mode).immutable = true;
  c.i("timeout", 0, 0, kIntMax);
  c.i("tcp-keepalive", 300, 0, kIntMax);
  c.i("tcp-backlog", 511, 0, kIntMax).immutable = true;
  c.i("maxclients", 10000, 1, kIntMax);
  c.b("protected-mode", true);
  c.s("requirepass", "").sensitive = true;
  c.i("databases", 16, 1, kIntMax).immutable = true;
  c.i("server-threads", cores, 1, 128).immutable = true;
  c.m("proto-max-bulk-len", 512ll * 1024 * 1024, 1024 * 1024, kLLMax);
  c.m("client-query-buffer-limit", 1024ll * 1024 * 1024, 1024 * 1024, kLLMax);
  c.custom("client-output-buffer-limit",
           "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", parse_cobl);
  c.i("hz", 10, 0, kIntMax);
  c.b("dynamic-hz", true);
  c.i("active-expire-effort", 1, 1, 10);
  c.e("loglevel", "notice", names({"debug", "verbose", "notice", "warning", "nothing"}));
  c.s("logfile", "").immutable = true;
  c.b("daemonize", false).immutable = true;
  c.s("pidfile", "").immutable = true;
  c.b("syslog-enabled", false, true).immutable = true;
  c.s("syslog-ident", "redis", true).immutable = true;
  c.s("syslog-facility", "local0", true).immutable = true;
  c.e("supervised", "no", names({"upstart", "systemd", "auto", "no"}), true).immutable = true;
  c.b("always-show-logo", false, true).immutable = true;
  c.b("set-proc-title", true, true).immutable = true;
  c.s("proc-title-template", "{title} {listen-addr} {server-mode}", true);
  c.b("crash-log-enabled", true, true);
  c.b("crash-memcheck-enabled", true, true);
  c.b("enable-debug-command", true, true).immutable = true;
  c.b("enable-protected-configs", false, true).immutable = true;
  c.b("enable-module-command", false, true).immutable = true;
  c.custom("locale-collate", "", parse_any_words, false, true);

  // --- Snapshots (stored now; the persistence code reads them) ---
  c.custom("save", "3600 1 300 100 60 10000", parse_save, true);
  c.b("stop-writes-on-bgsave-error", true);
  c.b("rdbcompression", true);
  c.b("rdbchecksum", true);
  c.s("dbfilename", "dump.rdb");
  c.s("dir", ".");
  c.b("rdb-del-sync-files", false, true);
  c.b("rdb-save-incremental-fsync", true, true);
  c.b("sanitize-dump-payload", false, true);

  // --- Memory (stored now; the eviction code reads them) ---
  c.m("maxmemory", 0, 0, kLLMax);
  c.e("maxmemory-policy", "noeviction",
      names({"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
             "allkeys-lfu", "allkeys-random", "noeviction"}));
  c.i("maxmemory-samples", 5, 1, 64);
  c.i("maxmemory-eviction-tenacity", 10, 0, 100);
  c.m("maxmemory-clients", 0, 0, kLLMax, true);
  c.i("lfu-log-factor", 10, 0, kIntMax);
  c.i("lfu-decay-time", 1, 0, kIntMax);
  c.b("lazyfree-lazy-eviction", false);
  c.b("lazyfree-lazy-expire", false);
  c.b("lazyfree-lazy-server-del", false);
  c.b("lazyfree-lazy-user-del", false);
  c.b("lazyfree-lazy-user-flush", false);
  c.b("replica-lazy-flush", false);
  c.b("activedefrag", false, true);
  c.m("active-defrag-ignore-bytes", 100ll << 20, 1, kLLMax, true);
  c.i("active-defrag-threshold-lower", 10, 0, 1000, true);
  c.i("active-defrag-threshold-upper", 100, 0, 1000, true);
  c.i("active-defrag-cycle-min", 1, 1, 99, true);
  c.i("active-defrag-cycle-max", 25, 1, 99, true);
  c.i("active-defrag-max-scan-fields", 1000, 1, kLLMax, true);
  c.b("jemalloc-bg-thread", true, true);
  c.b("activerehashing", true, true);
  c.e("oom-score-adj", "no", names({"no", "yes", "relative", "absolute"}), true);
  c.custom("oom-score-adj-values", "0 200 800", parse_oom_score_values, false, true);
  c.e("disable-thp", "yes", names({"no", "yes"}), true);

  // --- Encodings (stored now; the data type code reads them) ---
  c.m("hash-max-listpack-entries", 128, 0, kLLMax).aliases = {"hash-max-ziplist-entries"};
  c.m("hash-max-listpack-value", 64, 0, kLLMax).aliases = {"hash-max-ziplist-value"};
  c.i("list-max-listpack-size", -2, INT32_MIN, kIntMax).aliases = {"list-max-ziplist-size"};
  c.i("list-compress-depth", 0, 0, kIntMax);
  c.m("set-max-intset-entries", 512, 0, kLLMax);
  c.m("zset-max-listpack-entries", 128, 0, kLLMax).aliases = {"zset-max-ziplist-entries"};
  c.m("zset-max-listpack-value", 64, 0, kLLMax).aliases = {"zset-max-ziplist-value"};
  c.m("hll-sparse-max-bytes", 3000, 0, kLLMax);
  c.m("stream-node-max-bytes", 4096, 0, kLLMax, true);
  c.i("stream-node-max-entries", 100, 0, kLLMax, true);

  // --- Pub/sub, monitoring ---
  c.s("notify-keyspace-events", "");
  c.i("slowlog-log-slower-than", 10000, -1, kLLMax);
  c.i("slowlog-max-len", 128, 0, kLLMax);
  c.i("latency-monitor-threshold", 0, 0, kLLMax);
  c.custom("latency-tracking-info-percentiles", "50 99 99.9", parse_any_words, false, true);
  c.b("latency-tracking", true, true);
  c.i("acllog-max-len", 128, 0, kLLMax, true);
  c.s("aclfile", "", true).immutable = true;
  c.i("tracking-table-max-keys", 1000000, 0, kLLMax, true);
  c.i("lua-time-limit", 5000, 0, kLLMax).aliases = {"busy-reply-threshold"};

  // --- Replication (stored now; the replication code reads them) ---
  c.custom("replicaof", "", parse_replicaof, true).aliases = {"slaveof"};
  c.s("masterauth", "").sensitive = true;
  c.s("masteruser", "");
  c.b("replica-serve-stale-data", true).aliases = {"slave-serve-stale-data"};
  c.b("replica-read-only", true).aliases = {"slave-read-only"};
  c.b("repl-diskless-sync", true);
  c.i("repl-diskless-sync-delay", 5, 0, kIntMax);
  c.i("repl-diskless-sync-max-replicas", 0, 0, kIntMax);
  c.e("repl-diskless-load", "disabled", names({"disabled", "on-empty-db", "swapdb"}));
  c.i("repl-ping-replica-period", 10, 1, kIntMax).aliases = {"repl-ping-slave-period"};
  c.i("repl-timeout", 60, 1, kIntMax);
  c.b("repl-disable-tcp-nodelay", false);
  c.m("repl-backlog-size", 1024 * 1024, 1, kLLMax);
  c.i("repl-backlog-ttl", 3600, 0, kIntMax);
  c.i("replica-priority", 100, 0, kIntMax).aliases = {"slave-priority"};
  c.b("replica-announced", true, true);
  c.i("min-replicas-to-write", 0, 0, kIntMax).aliases = {"min-slaves-to-write"};
  c.i("min-replicas-max-lag", 10, 0, kIntMax).aliases = {"min-slaves-max-lag"};
  c.s("replica-announce-ip", "", true).aliases = {"slave-announce-ip"};
  c.i("replica-announce-port", 0, 0, 65535, true).aliases = {"slave-announce-port"};
  c.b("replica-ignore-maxmemory", true, true).aliases = {"slave-ignore-maxmemory"};
  c.b("active-replica", false);
  c.b("multi-master", false);
  c.b("multi-master-no-forward", false);
  c.i("replica-quorum", -1, -1, kIntMax);

  // --- Append-only file: terndb persists by snapshots; these are accepted only ---
  c.b("appendonly", false, true);
  c.s("appendfilename", "appendonly.aof", true).immutable = true;
  c.s("appenddirname", "appendonlydir", true).immutable = true;
  c.e("appendfsync", "everysec", names({"always", "everysec", "no"}), true);
  c.b("no-appendfsync-on-rewrite", false, true);
  c.i("auto-aof-rewrite-percentage", 100, 0, kIntMax, true);
  c.m("auto-aof-rewrite-min-size", 64ll << 20, 0, kLLMax, true);
  c.b("aof-load-truncated", true, true);
  c.b("aof-use-rdb-preamble", true, true);
  c.b("aof-rewrite-incremental-fsync", true, true);
  c.b("aof-timestamp-enabled", false, true);

  // --- Threads of Redis's own design: terndb's io threads are server-threads ---
  c.i("io-threads", 1, 1, 128, true).immutable = true;
  c.b("io-threads-do-reads", false, true).immutable = true;

  // --- Cluster: not part of terndb ---
  c.b("cluster-enabled", false, true).immutable = true;
  c.s("cluster-config-file", "nodes.conf", true).immutable = true;
  c.i("cluster-node-timeout", 15000, 0, kLLMax, true);

  // --- Storage provider (KeyDB FLASH) ---
  c.custom("storage-provider", "none", parse_any_words);
}

}  // namespace terndb::conf
