"""INFO, CONFIG GET/SET/REWRITE/RESETSTAT/HELP against redis-server 7.0 side by side."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import RedisServer, SideBySide, Terndb, main
from repl_util import wait_until

class ClosesConnections:
    """Connections opened with self.conn(server) close when the test ends."""

    def conn(self, server):
        c = server.raw()
        self.addCleanup(c.close)
        return c



def parse_info(raw):
    """Bulk or verbatim INFO reply -> list of (section title, {field: value})."""
    body = raw.split(b"\r\n", 1)[1]
    if raw.startswith(b"="):
        body = body[4:]  # "txt:"
    text = body.decode()
    assert text.endswith("\r\n") or text == "\r\n" or text == "", repr(text[-20:])
    sections = []
    for line in text.split("\r\n"):
        if line.startswith("# "):
            sections.append((line[2:], {}))
        elif line:
            name, value = line.split(":", 1)
            sections[-1][1][name] = value
    return sections


def info_fields(conn, *sections):
    fields = {}
    for _, f in parse_info(conn.call("INFO", *sections)):
        fields.update(f)
    return fields


def decode(reply):
    """Raw RESP2/RESP3 reply bytes -> Python value (bulk strings as str)."""
    def parse(buf, pos):
        end = buf.index(b"\r\n", pos)
        kind, head = buf[pos:pos + 1], buf[pos + 1:end]
        pos = end + 2
        if kind in (b"+", b"-"):
            return head.decode(), pos
        if kind == b":":
            return int(head), pos
        if kind in (b"$", b"="):
            n = int(head)
            if n < 0:
                return None, pos
            return buf[pos:pos + n].decode(), pos + n + 2
        if kind in (b"*", b"%", b"~"):
            n = int(head) * (2 if kind == b"%" else 1)
            items = []
            for _ in range(n):
                item, pos = parse(buf, pos)
                items.append(item)
            return items, pos
        if kind == b"_":
            return None, pos
        raise ValueError(reply)
    value, _ = parse(reply, 0)
    return value


def config_map(reply):
    """CONFIG GET reply (flat array or map) -> dict."""
    items = decode(reply)
    return dict(zip(items[0::2], items[1::2]))


# Options terndb has beyond Redis 7.0's: the ones keydb.conf uses.
KEYDB_OPTIONS = {
    "active-client-balancing", "active-replica", "allow-rdb-resize-op",
    "allow-write-during-load", "availability-zone", "db-s3-object", "delete-on-evict",
    "enable-async-commands", "enable-async-rehash", "enable-keydb-fastsync", "enable-motd",
    "flash-disable-key-cache", "force-backlog-disk-reserve", "force-eviction-percent",
    "loading-process-events-interval-keys", "max-rand-count", "max-snapshot-slip",
    "maxclients-reserved", "maxstorage", "min-clients-per-thread", "multi-master",
    "multi-master-no-forward", "multithread-load-enabled", "overload-protect-percent",
    "prefetch-enabled", "repl-backlog-disk-reserve", "replica-quorum",
    "replica-weighting-factor", "scratch-file-path", "semi-ordered-set-bucket-size",
    "server-thread-affinity", "server-threads", "soft-shutdown", "storage-cache-mode",
    "storage-flush-period", "storage-provider", "storage-provider-options",
    "time-thread-priority", "tls-allowlist", "tls-rotation", "use-fork", "version-override",
    # terndb's own: the metrics endpoint and the peers' DNS name.
    "metrics-port", "metrics-bind", "active-replica-peers-dns",
    "active-replica-tombstone-lifetime",
    "active-replica-peers-dns-interval",
}

# Fields Redis 7.0 reports that terndb does not measure.
UNREPORTED = {"total_reads_processed", "total_writes_processed"}
# Sections only INFO all / everything print in Redis, per-command: their lines differ.
PER_COMMAND = {"Commandstats", "Latencystats", "Errorstats"}


class InfoSideBySide(ClosesConnections, SideBySide):
    def test_section_headers_match(self):
        for args in [(), ("default",), ("all",), ("everything",), ("server", "clients"),
                     ("CPU",), ("keyspace", "cpu"), ("nosuchsection",), ("modules",),
                     ("commandstats",), ("server", "all")]:
            ours = [t for t, _ in parse_info(self.t.call("INFO", *args))]
            theirs = [t for t, _ in parse_info(self.r.call("INFO", *args))]
            self.assertEqual(ours, theirs, "INFO %r" % (args,))

    def test_every_redis_field_is_reported(self):
        for c in (self.t, self.r):
            c.call("SET", "k", "v")
        ours = dict(parse_info(self.t.call("INFO", "everything")))
        theirs = dict(parse_info(self.r.call("INFO", "everything")))
        for title, fields in theirs.items():
            if title in PER_COMMAND:
                continue
            missing = set(fields) - set(ours[title]) - UNREPORTED
            self.assertFalse(missing, "section %s lacks %s" % (title, sorted(missing)))

    def test_server_fields(self):
        f = info_fields(self.t, "server")
        self.assertEqual(f["redis_version"], "7.0.15")
        self.assertRegex(f["terndb_version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(f["redis_mode"], "standalone")
        self.assertEqual(f["multiplexing_api"], "epoll")
        self.assertEqual(f["arch_bits"], "64")
        self.assertEqual(int(f["tcp_port"]), self.terndb.port)
        self.assertEqual(int(f["process_id"]), self.terndb.proc.pid)
        self.assertRegex(f["run_id"], r"^[0-9a-f]{40}$")
        self.assertEqual(f["server_threads"], "2")
        self.assertTrue(f["executable"].endswith("terndb-server"), f["executable"])
        self.assertEqual(f["config_file"], "")
        self.assertAlmostEqual(int(f["server_time_usec"]) / 1e6, time.time(), delta=5)
        self.assertEqual(f["hz"], "10")
        self.assertEqual(f["configured_hz"], "10")

    def test_commands_processed_grows_and_resetstat_clears(self):
        before = int(info_fields(self.t, "stats")["total_commands_processed"])
        for i in range(25):
            self.t.call("SET", "k%d" % i, "v")
        self.t.call("GET", "k1")
        self.t.call("GET", "missing")
        f = info_fields(self.t, "stats")
        self.assertGreaterEqual(int(f["total_commands_processed"]), before + 28)
        self.assertGreaterEqual(int(f["keyspace_hits"]), 1)
        self.assertGreaterEqual(int(f["keyspace_misses"]), 1)
        stats = info_fields(self.t, "commandstats")
        self.assertRegex(stats["cmdstat_set"],
                         r"^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,"
                         r"failed_calls=0$")
        self.assertGreaterEqual(int(re.match(r"calls=(\d+)", stats["cmdstat_set"]).group(1)), 25)
        self.assertIn("cmdstat_info", stats)
        self.same("CONFIG", "RESETSTAT")
        f = info_fields(self.t, "stats")
        self.assertLessEqual(int(f["total_commands_processed"]), 2)
        self.assertEqual(f["keyspace_hits"], "0")
        stats = info_fields(self.t, "commandstats")
        self.assertNotIn("cmdstat_set", stats)

    def test_subcommand_stats_and_failures(self):
        self.t.call("CONFIG", "GET", "port")
        self.t.call("CONFIG", "SET", "port", "abc")
        self.t.call("CONFIG", "NOSUCH")
        stats = info_fields(self.t, "commandstats")
        self.assertIn("cmdstat_config|get", stats)
        self.assertIn("failed_calls=1", stats["cmdstat_config|set"])
        # An unknown subcommand is not counted against the container (as in Redis 7.0).
        self.assertNotIn("cmdstat_config", stats)
        self.assertGreaterEqual(int(info_fields(self.t, "stats")["total_error_replies"]), 2)

    def test_keyspace_lines(self):
        for c in (self.t, self.r):
            c.call("MSET", "a", "1", "b", "2", "c", "3")
            c.call("SET", "t", "v", "EX", "100")
            c.call("SELECT", "3")
            c.call("SET", "x", "y")
            c.call("SELECT", "0")
        self.assertEqual(info_fields(self.t, "keyspace"), info_fields(self.r, "keyspace"))
        self.assertEqual(info_fields(self.t, "keyspace"),
                         {"db0": "keys=4,expires=1,avg_ttl=0", "db3": "keys=1,expires=0,avg_ttl=0"})

    def test_memory_and_persistence_values(self):
        f = info_fields(self.t, "memory")
        used = int(f["used_memory"])
        self.assertGreater(used, 100000)
        self.assertGreater(int(f["used_memory_rss"]), 0)
        self.assertGreaterEqual(int(f["used_memory_peak"]), used)
        self.assertRegex(f["used_memory_human"], r"^\d+\.\d\d[KMG]$")
        self.assertEqual(f["maxmemory"], "0")
        self.assertEqual(f["maxmemory_human"], "0B")
        self.assertEqual(f["maxmemory_policy"], "noeviction")
        self.assertRegex(f["mem_fragmentation_ratio"], r"^\d+\.\d\d$")
        linked = subprocess.run(["ldd", harness.terndb_binary()], capture_output=True).stdout
        self.assertEqual(f["mem_allocator"],
                         "jemalloc-5.3.0" if b"libjemalloc" in linked else "libc")
        # Memory grows with the dataset.
        payload = "x" * 1000
        for i in range(2000):
            self.t.send(harness.encode_command("SET", "big:%d" % i, payload))
        for i in range(2000):
            self.t.read_reply()
        self.assertGreater(int(info_fields(self.t, "memory")["used_memory"]), used + 1500000)
        self.t.call("CONFIG", "SET", "maxmemory", "1gb")
        f = info_fields(self.t, "memory")
        self.assertEqual(f["maxmemory"], "1073741824")
        self.assertEqual(f["maxmemory_human"], "1.00G")
        self.t.call("CONFIG", "SET", "maxmemory", "0")
        p = info_fields(self.t, "persistence")
        self.assertEqual(p["loading"], "0")
        self.assertEqual(p["rdb_bgsave_in_progress"], "0")
        self.assertEqual(p["rdb_last_bgsave_status"], "ok")
        self.assertEqual(p["aof_enabled"], "0")
        self.assertGreaterEqual(int(p["rdb_changes_since_last_save"]), 2000)

    def test_replication_and_cpu(self):
        f = info_fields(self.t, "replication")
        self.assertEqual(f["role"], "master")
        self.assertEqual(f["connected_slaves"], "0")
        self.assertRegex(f["master_replid"], r"^[0-9a-f]{40}$")
        self.assertEqual(f["master_replid2"], "0" * 40)
        self.assertEqual(f["master_repl_offset"], "0")
        self.assertEqual(f["second_repl_offset"], "-1")
        self.assertEqual(f["repl_backlog_size"], "1048576")
        self.assertEqual(info_fields(self.t, "replication")["master_replid"], f["master_replid"])
        cpu = info_fields(self.t, "cpu")
        for name in ("used_cpu_sys", "used_cpu_user", "used_cpu_sys_children",
                     "used_cpu_user_children", "used_cpu_sys_main_thread",
                     "used_cpu_user_main_thread"):
            self.assertRegex(cpu[name], r"^\d+\.\d{6}$")

    def test_resp3_info_is_verbatim(self):
        for c in (self.t, self.r):
            c.call("HELLO", "3")
        ours = self.t.call("INFO", "cluster")
        self.assertEqual(ours, self.r.call("INFO", "cluster"))
        self.assertTrue(ours.startswith(b"=") and b"txt:# Cluster\r\ncluster_enabled:0" in ours)
        self.same("INFO", "nosuchsection")


class ConfigSideBySide(ClosesConnections, SideBySide):
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def test_get_single_names(self):
        for name in ["maxmemory", "MAXMEMORY", "maxmemory-policy", "timeout", "save",
                     "appendonly", "databases", "hash-max-ziplist-entries",
                     "hash-max-listpack-entries", "slave-read-only", "unixsocketperm",
                     "client-output-buffer-limit", "notify-keyspace-events", "lua-time-limit",
                     "busy-reply-threshold", "bind", "maxclients", "proto-max-bulk-len",
                     "enable-protected-configs", "latency-tracking-info-percentiles",
                     "oom-score-adj-values", "shutdown-on-sigterm", "watchdog-period",
                     "nosuchoption", "rename-command", "hz", "requirepass", "loglevel",
                     "io-threads", "maxmemory-clients", "replicaof", "slaveof", "logfile"]:
            self.same("CONFIG", "GET", name)

    def test_get_patterns_match_as_sets(self):
        for args in [("maxmemory*",), ("*max*entries*",), ("repl*", "*slave*"),
                     ("save", "appendonly"), ("maxmemory", "MAXMEMORY"), ("[ab]*",),
                     ("tls-*",), ("nomatch*",)]:
            ours = config_map(self.t.call("CONFIG", "GET", *args))
            theirs = config_map(self.r.call("CONFIG", "GET", *args))
            self.assertLessEqual(set(ours) - set(theirs), KEYDB_OPTIONS)
            ours = {k: v for k, v in ours.items() if k not in KEYDB_OPTIONS}
            self.assertEqual(ours, theirs, "CONFIG GET %r" % (args,))

    def test_all_defaults_equal_redis(self):
        theirs = config_map(self.r.call("CONFIG", "GET", "*"))
        ours = config_map(self.t.call("CONFIG", "GET", "*"))
        self.assertEqual(set(ours) - set(theirs), KEYDB_OPTIONS)
        differ = {}
        for name, value in theirs.items():
            if name in ("port", "dir"):
                continue
            if ours.get(name) != value:
                differ[name] = (ours.get(name), value)
        self.assertEqual(differ, {})
        self.assertEqual(ours["port"], str(self.terndb.port))
        self.assertEqual(os.path.realpath(ours["dir"]), os.path.realpath(self.terndb.workdir))

    def test_set_errors(self):
        self.script([
            "CONFIG SET", "CONFIG SET maxmemory", "CONFIG SET a b c", "CONFIG GET",
            "CONFIG", "CONFIG NOSUCH", "CONFIG SET nosuch 1", "CONFIG SET maxmemory 1 nosuch 2",
            "CONFIG SET nosuch 1 databases 3", "CONFIG SET databases 3 nosuch 1",
            "CONFIG SET maxmemory abc", "CONFIG SET maxmemory -1", "CONFIG SET maxmemory 1.5g",
            "CONFIG SET maxclients 0", "CONFIG SET maxclients abc", "CONFIG SET hz -1",
            "CONFIG SET hz 01", "CONFIG SET timeout 1e3", "CONFIG SET unixsocketperm 700",
            "CONFIG SET maxmemory-clients 101%", "CONFIG SET maxmemory-clients -5",
            "CONFIG SET loglevel FOO", "CONFIG SET dir /tmp", "CONFIG SET dbfilename x",
            "CONFIG SET appendonly maybe", "CONFIG SET save 10", "CONFIG SET save abc",
            "CONFIG SET notify-keyspace-events Q", "CONFIG SET slave-priority abc",
            "CONFIG SET SLAVE-PRIORITY abc", "CONFIG SET maxmemory 1 MAXMEMORY 2",
            "CONFIG SET maxmemory 10 hz abc", "CONFIG GET maxmemory",
            "CONFIG SET replicaof a", "CONFIG SET enable-debug-command yes",
            "CONFIG SET proc-title-template {foo}", "CONFIG SET activedefrag yes",
            "CONFIG SET cluster-announce-hostname a_b", "CONFIG SET oom-score-adj-values 1",
            "CONFIG SET latency-tracking-info-percentiles 101",
            "CONFIG SET rename-command x", "CONFIG SET tracking-table-max-keys -1",
            "CONFIG SET list-max-listpack-size abc", "CONFIG SET repl-backlog-size 0",
        ])
        self.same("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2")
        self.same("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3")
        self.same("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 -3")
        self.same("CONFIG", "SET", "bind", " ".join("10.0.0.%d" % i for i in range(17)))
        self.same("CONFIG", "SET", "save", "3600  1")
        self.same("CONFIG", "SET", "shutdown-on-sigint", "")
        self.same("CONFIG", "SET", "shutdown-on-sigint", "save nosave")

    def test_set_then_get(self):
        pairs = [
            ("maxmemory", "100mb"), ("maxmemory", "1GB"), ("maxmemory", "0012"),
            ("maxmemory", ""), ("maxmemory-policy", "ALLKEYS-LRU"), ("timeout", "30"),
            ("hz", "1000"), ("hz", "0"), ("save", "900 1 300 10"), ("save", "+5 0"),
            ("save", ""), ("notify-keyspace-events", "Kgn"), ("notify-keyspace-events", "Em"),
            ("notify-keyspace-events", "g$lshzxetd"), ("maxmemory-clients", "5%"),
            ("maxmemory-clients", "10mb"), ("oom-score-adj", "relative"),
            ("client-output-buffer-limit", "normal 1mb 2mb 3 replica 10 20 30"),
            ("client-output-buffer-limit", "pubsub 0 0 0"), ("slave-read-only", "no"),
            ("list-max-ziplist-size", "-3"), ("latency-tracking-info-percentiles", "50.0 99.90"),
            ("latency-tracking-info-percentiles", ""), ("oom-score-adj-values", "1 2 3"),
            ("shutdown-on-sigint", "now save"), ("shutdown-on-sigint", "default now"),
            ("requirepass", ""), ("lua-time-limit", "100"), ("appendfsync", "ALWAYS"),
            ("replica-announce-ip", "1.2.3.4"), ("sanitize-dump-payload", "clients"),
            ("hash-max-listpack-value", "1kb"), ("repl-backlog-size", "2mb"),
            ("maxmemory-eviction-tenacity", "100"), ("slowlog-log-slower-than", "-1"),
            ("proc-title-template", "{title} {port}"), ("bind", "127.0.0.1"),
        ]
        for name, value in pairs:
            self.same("CONFIG", "SET", name, value)
            self.same("CONFIG", "GET", name)
        # Several at once; then every name among them reads back.
        self.same("CONFIG", "SET", "maxmemory", "5mb", "timeout", "7", "slowlog-max-len", "9")
        for name in ("maxmemory", "timeout", "slowlog-max-len", "busy-reply-threshold",
                     "hash-max-ziplist-value", "repl-ping-slave-period"):
            self.same("CONFIG", "GET", name)

    def test_every_option_rejects_like_redis(self):
        """Bad values for every option Redis has get Redis's error, byte for byte."""
        names = sorted(config_map(self.r.call("CONFIG", "GET", "*")))
        # Values Redis would act on at once (listeners, files, TLS) are left out.
        skip = {"port", "bind", "dir", "dbfilename", "requirepass", "masterauth",
                "appendonly", "tls-port", "tls-replication", "tls-cluster"}
        probes = ["abc", "-1", "99999999999999999999", "1%", "101%", "1.5", "", "yes", "7 8"]
        for name in names:
            if name in skip or name.startswith("tls-"):
                continue
            original_t = self.t.call("CONFIG", "GET", name)
            original_r = self.r.call("CONFIG", "GET", name)
            self.assertEqual(original_t, original_r, name)
            value = config_map(original_r)[name]
            for probe in probes:
                theirs = self.r.call("CONFIG", "SET", name, probe)
                ours = self.t.call("CONFIG", "SET", name, probe)
                self.assertEqual(ours, theirs, "CONFIG SET %s %r" % (name, probe))
                self.assertEqual(self.t.call("CONFIG", "GET", name),
                                 self.r.call("CONFIG", "GET", name), "%s after %r" % (name, probe))
                if theirs == b"+OK\r\n":
                    self.r.call("CONFIG", "SET", name, value)
                    self.t.call("CONFIG", "SET", name, value)

    def test_resp3_get_is_a_map(self):
        for c in (self.t, self.r):
            c.call("HELLO", "3")
        self.same("CONFIG", "GET", "maxmemory")
        self.same("CONFIG", "GET", "nosuch")

    def test_help_and_rewrite_without_file(self):
        self.same("CONFIG", "HELP")
        self.same("CONFIG", "REWRITE")
        self.same("CONFIG", "HELP", "extra")


class RuntimeEffects(ClosesConnections, unittest.TestCase):
    def test_changes_take_effect(self):
        srv = Terndb()
        try:
            c = self.conn(srv)
            self.assertEqual(c.call("CONFIG", "SET", "requirepass", "sekrit"), b"+OK\r\n")
            other = self.conn(srv)
            self.assertEqual(other.call("GET", "k"), b"-NOAUTH Authentication required.\r\n")
            self.assertEqual(other.call("AUTH", "sekrit"), b"+OK\r\n")
            self.assertEqual(other.call("CONFIG", "SET", "requirepass", ""), b"+OK\r\n")
            self.assertEqual(self.conn(srv).call("PING"), b"+PONG\r\n")
            # Idle clients are closed once timeout is set.
            self.assertEqual(c.call("CONFIG", "SET", "timeout", "1"), b"+OK\r\n")
            idle = self.conn(srv)
            self.assertTrue(idle.closed_by_peer(timeout=5))
            # The listeners stay where they are: a port change is refused as a failed rebind.
            self.assertEqual(
                self.conn(srv).call("CONFIG", "SET", "port", "1", "timeout", "0"),
                b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to "
                b"listen on this port. Check server logs.\r\n")
            self.assertEqual(self.conn(srv).call("CONFIG", "GET", "timeout"),
                             b"*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n")
        finally:
            srv.stop()

    def test_protected_configs_follow_enable_protected_configs(self):
        srv = Terndb("--enable-protected-configs", "local")
        try:
            c = self.conn(srv)
            other_dir = tempfile.mkdtemp(prefix="terndb-dir-")
            self.assertEqual(c.call("CONFIG", "SET", "dir", other_dir), b"+OK\r\n")
            got = config_map(c.call("CONFIG", "GET", "dir"))["dir"]
            self.assertEqual(os.path.realpath(got), os.path.realpath(other_dir))
            self.assertEqual(c.call("CONFIG", "SET", "dir", "/nonexistent/x"),
                             b"-ERR CONFIG SET failed (possibly related to argument 'dir') - "
                             b"No such file or directory\r\n")
            os.rmdir(other_dir)
        finally:
            srv.stop()


    def test_jemalloc_background_thread_follows_its_setting(self):
        def allocator_threads(srv):
            names = []
            task_dir = "/proc/%d/task" % srv.proc.pid
            for tid in os.listdir(task_dir):
                try:
                    with open(os.path.join(task_dir, tid, "comm")) as f:
                        names.append(f.read().strip())
                except FileNotFoundError:
                    pass  # the thread ended meanwhile
            return names.count("jemalloc_bg_thd")

        for start_with in ("yes", "no"):
            srv = Terndb("--jemalloc-bg-thread", start_with)
            try:
                c = self.conn(srv)
                allocator = info_fields(c, "memory")["mem_allocator"]
                if not allocator.startswith("jemalloc"):
                    self.skipTest("built without jemalloc (%s)" % allocator)
                if start_with == "yes":
                    self.assertGreater(allocator_threads(srv), 0)
                    self.assertEqual(c.call("CONFIG", "SET", "jemalloc-bg-thread", "no"),
                                     b"+OK\r\n")
                    wait_until(lambda: allocator_threads(srv) == 0, 5,
                                       what="background threads to stop")
                else:
                    self.assertEqual(allocator_threads(srv), 0)
                    self.assertEqual(c.call("CONFIG", "SET", "jemalloc-bg-thread", "yes"),
                                     b"+OK\r\n")
                    wait_until(lambda: allocator_threads(srv) > 0, 5,
                                       what="a background thread to start")
            finally:
                srv.stop()


class Rewrite(ClosesConnections, unittest.TestCase):
    def test_rewrite_round_trip(self):
        workdir = tempfile.mkdtemp(prefix="terndb-rewrite-")
        conf = os.path.join(workdir, "terndb.conf")
        with open(conf, "w") as f:
            f.write("# kept comment\ntimeout 5\nsave 900 1\nsave 300 10\n"
                    "slave-read-only yes\nmaxmemory 10mb\n")
        port = harness.free_port()
        argv = [harness.terndb_binary(), conf, "--port", str(port), "--bind", "127.0.0.1",
                "--server-threads", "2", "--dir", workdir]
        srv = harness._Server(argv, port, workdir, os.path.join(workdir, "1.log"))
        try:
            c = self.conn(srv)
            info = info_fields(c, "server")
            self.assertEqual(info["config_file"], conf)
            self.assertEqual(c.call("CONFIG", "SET", "maxmemory", "2gb", "timeout", "77",
                                    "replica-read-only", "no", "save", "60 5",
                                    "maxmemory-policy", "allkeys-lfu",
                                    "notify-keyspace-events", "Ex"), b"+OK\r\n")
            self.assertEqual(c.call("CONFIG", "REWRITE"), b"+OK\r\n")
            wanted = {n: config_map(c.call("CONFIG", "GET", n))[n] for n in (
                "maxmemory", "timeout", "replica-read-only", "save", "maxmemory-policy",
                "notify-keyspace-events", "port", "bind")}
        finally:
            srv.stop()
        with open(conf) as f:
            text = f.read()
        self.assertTrue(text.startswith("# kept comment\ntimeout 77\nsave 60 5\n"
                                        "replica-read-only no\nmaxmemory 2gb\n"), text)
        self.assertIn("# Generated by CONFIG REWRITE", text)
        # Restart from the file alone: every value comes back.
        srv = harness._Server([harness.terndb_binary(), conf], port, workdir,
                              os.path.join(workdir, "2.log"))
        try:
            c = self.conn(srv)
            for name, value in wanted.items():
                self.assertEqual(config_map(c.call("CONFIG", "GET", name))[name], value, name)
        finally:
            srv.stop()
            shutil.rmtree(workdir, ignore_errors=True)


class Benchmark(ClosesConnections, unittest.TestCase):
    def run_benchmark(self, srv):
        res = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-n", "1000", "-q",
                              "-t", "set,get"], capture_output=True, timeout=120)
        return (res.stdout + res.stderr).decode("utf-8", "replace")

    def test_benchmark_fetches_config(self):
        srv = Terndb()
        try:
            out = self.run_benchmark(srv)
            self.assertNotIn("Could not fetch server CONFIG", out)
            self.assertIn("SET:", out)
            self.assertIn("GET:", out)
        finally:
            srv.stop()

    def test_warning_appears_without_config(self):
        """The check above can fail: with CONFIG removed the warning shows."""
        srv = Terndb(config_text='rename-command CONFIG ""\n')
        try:
            self.assertIn("Could not fetch server CONFIG", self.run_benchmark(srv))
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
