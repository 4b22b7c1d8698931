"""The Prometheus endpoint: /metrics scraped while redis-benchmark keeps the io threads
busy, every metric a redis_exporter dashboard reads present, the values agreeing with
INFO, and the HTTP edges (404, 405, a port that cannot be bound)."""
import re
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from harness import Terndb, free_port, main

# The metrics issue 10 names (redis_exporter's names), and the other families rendered.
REQUIRED = [
    "redis_up", "redis_uptime_in_seconds", "redis_connected_clients", "redis_blocked_clients",
    "redis_memory_used_bytes", "redis_memory_max_bytes", "redis_commands_processed_total",
    "redis_commands_total", "redis_keyspace_hits_total", "redis_keyspace_misses_total",
    "redis_expired_keys_total", "redis_evicted_keys_total", "redis_db_keys",
    "redis_connected_slaves", "redis_master_link_up", "redis_connected_slave_lag_seconds",
    "redis_rdb_last_save_timestamp_seconds",
    # and more of redis_exporter's
    "redis_instance_info", "redis_start_time_seconds", "redis_commands_duration_seconds_total",
    "redis_db_keys_expiring", "redis_net_input_bytes_total", "redis_net_output_bytes_total",
    "redis_connections_received_total", "redis_cpu_user_seconds_total",
    "redis_memory_used_rss_bytes", "redis_slowlog_length", "redis_latency_spike_last",
]

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """{family: {"type": t, "samples": {labels-string: value}}} from the text format."""
    families, current = {}, None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in families, "family %s twice" % name
            families[name] = {"type": kind, "samples": {}}
            current = name
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        assert name == current, "sample %s outside its family %s" % (name, current)
        families[name]["samples"][labels] = value
    return families


def info(conn):
    text = conn.call("INFO", "everything").decode()
    fields = {}
    for line in text.split("\r\n"):
        if ":" in line and not line.startswith("#") and not line.startswith("$"):
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port = free_port()
        cls.srv = Terndb("--metrics-port", cls.metrics_port, "--metrics-bind", "127.0.0.1",
                         "--maxmemory", "64mb", threads=2)
        cls.url = "http://127.0.0.1:%d/metrics" % cls.metrics_port

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def scrape(self, path="/metrics"):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.metrics_port, path),
                                    timeout=10) as r:
            self.assertEqual(r.status, 200)
            if path == "/metrics":
                self.assertEqual(r.headers["Content-Type"],
                                 "text/plain; version=0.0.4; charset=utf-8")
            return r.read().decode()

    def test_scrapes_during_benchmark_agree_with_info(self):
        bench = subprocess.Popen(
            ["redis-benchmark", "-p", str(self.srv.port), "-c", "32", "-P", "16", "-n", "600000",
             "-r", "5000", "-t", "set,get,incr,lpush", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        scrapes, slowest = [], 0.0
        try:
            time.sleep(0.3)
            while bench.poll() is None and len(scrapes) < 40:
                start = time.time()
                scrapes.append(parse(self.scrape()))
                slowest = max(slowest, time.time() - start)
                time.sleep(0.1)
        finally:
            bench.wait(300)
        self.assertEqual(bench.returncode, 0)
        self.assertGreaterEqual(len(scrapes), 3, "benchmark ended before three scrapes")
        # Answered while the io threads were busy.
        self.assertLess(slowest, 2.0)
        for families in scrapes:
            for name in REQUIRED:
                self.assertIn(name, families)
            self.assertEqual(families["redis_up"]["samples"], {"": 1})
        # Counters only grow, and grew while the benchmark ran.
        processed = [f["redis_commands_processed_total"]["samples"][""] for f in scrapes]
        self.assertEqual(processed, sorted(processed))
        self.assertGreater(processed[-1], processed[0])
        busy = [f["redis_connected_clients"]["samples"][""] for f in scrapes]
        self.assertGreaterEqual(max(busy), 32)

        # At rest, the figures equal INFO's.
        conn = self.srv.raw()
        try:
            fields = info(conn)
            families = parse(self.scrape())
            after = info(conn)
        finally:
            conn.close()

        def value(name, labels=""):
            return families[name]["samples"][labels]

        self.assertEqual(value("redis_connected_clients"), int(fields["connected_clients"]))
        self.assertEqual(value("redis_blocked_clients"), int(fields["blocked_clients"]))
        self.assertEqual(value("redis_memory_max_bytes"), int(fields["maxmemory"]))
        self.assertEqual(value("redis_memory_max_bytes"), 64 * 1024 * 1024)
        # INFO counts itself: the scrape sits between two INFO calls.
        self.assertLessEqual(int(fields["total_commands_processed"]),
                             value("redis_commands_processed_total"))
        self.assertLessEqual(value("redis_commands_processed_total"),
                             int(after["total_commands_processed"]))
        for metric, field in (("redis_keyspace_hits_total", "keyspace_hits"),
                              ("redis_keyspace_misses_total", "keyspace_misses"),
                              ("redis_expired_keys_total", "expired_keys"),
                              ("redis_evicted_keys_total", "evicted_keys"),
                              ("redis_connected_slaves", "connected_slaves"),
                              ("redis_rdb_last_save_timestamp_seconds", "rdb_last_save_time"),
                              ("redis_connections_received_total", "total_connections_received"),
                              ("redis_process_id", "process_id")):
            self.assertEqual(value(metric), int(fields[field]), metric)
        self.assertAlmostEqual(value("redis_uptime_in_seconds"),
                               int(fields["uptime_in_seconds"]), delta=1)
        self.assertAlmostEqual(value("redis_memory_used_bytes"), int(fields["used_memory"]),
                               delta=int(fields["used_memory"]) * 0.05)
        self.assertEqual(value("redis_master_link_up"), 0)  # a master: no link to a master
        keyspace = re.match(r"keys=(\d+),expires=(\d+)", fields["db0"])
        self.assertEqual(value("redis_db_keys", '{db="db0"}'), int(keyspace.group(1)))
        self.assertEqual(value("redis_db_keys_expiring", '{db="db0"}'), int(keyspace.group(2)))
        self.assertEqual(value("redis_db_keys", '{db="db15"}'), 0)
        for cmd in ("set", "get", "incr", "lpush"):
            stat = re.match(r"calls=(\d+),usec=(\d+)", fields["cmdstat_" + cmd])
            self.assertEqual(value("redis_commands_total", '{cmd="%s"}' % cmd),
                             int(stat.group(1)))
            self.assertAlmostEqual(
                value("redis_commands_duration_seconds_total", '{cmd="%s"}' % cmd),
                int(stat.group(2)) / 1e6, places=5)
        self.assertGreaterEqual(value("redis_commands_total", '{cmd="set"}'), 100000)
        info_labels = next(iter(families["redis_instance_info"]["samples"]))
        self.assertIn('role="master"', info_labels)
        self.assertIn('redis_version="%s"' % fields["redis_version"], info_labels)
        self.assertIn('tcp_port="%d"' % self.srv.port, info_labels)
        self.assertEqual(families["redis_commands_processed_total"]["type"], "counter")
        self.assertEqual(families["redis_connected_clients"]["type"], "gauge")

    def test_http_edges(self):
        self.assertIn("/metrics", self.scrape("/"))
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(self.url.replace("/metrics", "/nope"), timeout=10)
        self.assertEqual(ctx.exception.code, 404)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(self.url, data=b"x", timeout=10)
        self.assertEqual(ctx.exception.code, 405)
        # Query strings are ignored, as Prometheus may add them.
        with urllib.request.urlopen(self.url + "?x=1", timeout=10) as r:
            self.assertIn(b"redis_up 1\n", r.read())

    def test_off_by_default_and_bind_failure(self):
        srv = Terndb()
        try:
            conn = srv.raw()
            self.assertEqual(conn.call("CONFIG", "GET", "metrics-port"),
                             b"*2\r\n$12\r\nmetrics-port\r\n$1\r\n0\r\n")
            conn.close()
        finally:
            srv.stop()
        # The port in use: start-up fails and says why.
        with self.assertRaises(RuntimeError) as ctx:
            Terndb("--metrics-port", self.metrics_port, "--metrics-bind", "127.0.0.1")
        self.assertIn("metrics", str(ctx.exception))


class PeerMetrics(unittest.TestCase):
    def test_active_replica_reports_every_peer_link(self):
        metrics_port = free_port()
        peers = [Terndb("--active-replica", "yes", "--multi-master", "yes",
                        "--repl-diskless-sync-delay", "0") for _ in range(2)]
        node = Terndb("--active-replica", "yes", "--multi-master", "yes", "--metrics-port",
                      metrics_port, "--metrics-bind", "127.0.0.1", "--repl-diskless-sync-delay", "0")
        try:
            c = node.client()
            for p in peers:
                c.execute_command("REPLICAOF", "127.0.0.1", p.port)
            deadline = time.time() + 20
            while time.time() < deadline and c.info("replication")["connected_masters"] != 2:
                time.sleep(0.05)
            for p in peers:
                p.client().set("from-%d" % p.port, "x")
            deadline = time.time() + 10
            while time.time() < deadline and c.dbsize() != 2:
                time.sleep(0.05)
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                        timeout=10) as r:
                text = r.read().decode()
            info = c.info("replication")
            for i, p in enumerate(peers):
                uuid = info["master_uuid" if i == 0 else "master_%d_uuid" % i]
                labels = 'master_host="127.0.0.1",master_port="%d",master_uuid="%s"' % (
                    p.port, uuid)
                self.assertIn("redis_master_peer_link_up{%s} 1" % labels, text)
                self.assertIn("redis_master_peer_lag_seconds{%s} " % labels, text)
                self.assertIn("redis_master_peer_offset_bytes{%s} " % labels, text)
        finally:
            node.stop()
            for p in peers:
                p.stop()


if __name__ == "__main__":
    main()
