"""Config files: Debian's redis.conf starts terndb, errors stop start-up naming the file and
line, include and memory units work, and command-line options apply after the file."""
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import RedisServer, Terndb, main

class ClosesConnections:
    """Connections opened with self.conn(server) close when the test ends."""

    def conn(self, server):
        c = server.raw()
        self.addCleanup(c.close)
        return c


DEBIAN_CONF = "/etc/redis/redis.conf"

# What a test must override in Debian's file to run unprivileged beside other servers.
DEBIAN_OVERRIDES = ["--daemonize", "no", "--logfile", "", "--pidfile", ""]


def decode_config(reply):
    """Flat RESP2 array of bulk strings -> dict."""
    lines = reply.split(b"\r\n")
    values = [lines[i].decode() for i in range(2, len(lines) - 1, 2)]
    return dict(zip(values[0::2], values[1::2]))


def config_get(conn, pattern):
    return decode_config(conn.call("CONFIG", "GET", pattern))


def run_terndb(*args, cwd=None):
    """Runs terndb-server to completion (for start-up failures); returns the result."""
    return subprocess.run([harness.terndb_binary()] + list(args), capture_output=True,
                          timeout=20, cwd=cwd)


class DebianConfig(ClosesConnections, unittest.TestCase):
    def test_debian_redis_conf_starts_and_matches_redis(self):
        with open(DEBIAN_CONF) as f:
            text = f.read()
        ours = Terndb(*DEBIAN_OVERRIDES, config_text=text)
        theirs = None
        try:
            c = self.conn(ours)
            self.assertEqual(c.call("PING"), b"+PONG\r\n")
            # The same file and overrides in redis-server give the same settings.
            workdir = tempfile.mkdtemp(prefix="redis-debian-")
            conf = os.path.join(workdir, "redis.conf")
            shutil.copy(DEBIAN_CONF, conf)
            port = harness.free_port()
            theirs = harness._Server(
                ["redis-server", conf, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                 workdir, "--save", ""] + DEBIAN_OVERRIDES, port, workdir,
                os.path.join(workdir, "server.log"))
            want = config_get(self.conn(theirs), "*")
            got = config_get(c, "*")
            differ = {k: (got.get(k), v) for k, v in want.items()
                      if k not in ("port", "dir") and got.get(k) != v}
            self.assertEqual(differ, {})
            # Values that differ from Redis's defaults came from the file.
            self.assertEqual(got["hash-max-listpack-entries"], "512")
            self.assertEqual(got["client-output-buffer-limit"],
                             "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 "
                             "8388608 60")
            self.assertEqual(got["bind"], "127.0.0.1")  # the override after the file
            self.assertEqual(got["daemonize"], "no")
        finally:
            ours.stop()
            if theirs:
                theirs.stop()
                shutil.rmtree(theirs.workdir, ignore_errors=True)

    def test_debian_conf_with_commented_directives_enabled(self):
        """Every commented-out directive of Debian's file that redis-server accepts is
        accepted by terndb too, all enabled at once."""
        with open(DEBIAN_CONF) as f:
            lines = f.read().split("\n")
        ref = RedisServer()
        try:
            names = set(decode_config(self.conn(ref).call("CONFIG", "GET", "*")))
        finally:
            ref.stop()
        # Left out: what needs more than a config line to work (a password clients must
        # send, a socket path under /run, files that do not exist), renames of CONFIG
        # (the second of Debian's two examples needs the first undone), and what terndb
        # refuses by design (docs/config.md).
        skip = {"requirepass", "unixsocket", "unixsocketperm", "aclfile", "tls-port",
                "cluster-enabled"}
        candidates = []
        for line in lines:
            if not line.startswith("# "):
                continue
            words = line[2:].split()
            if len(words) >= 2 and words[0] in names and words[0] not in skip:
                candidates.append(line[2:])
        enabled = [l for l in candidates if self.redis_accepts(l)]
        self.assertGreater(len(enabled), 80)
        srv = Terndb(*DEBIAN_OVERRIDES, config_text="\n".join(lines + enabled) + "\n")
        try:
            c = self.conn(srv)
            self.assertEqual(c.call("PING"), b"+PONG\r\n")
            # The last of the enabled lines for an option wins, as in Redis.
            got = decode_config(c.call("CONFIG", "GET", "appendfsync"))
            self.assertEqual(got, {"appendfsync": "no"})
        finally:
            srv.stop()

    def redis_accepts(self, line):
        """Whether redis-server 7.0 accepts the line in a config file. With nowhere to
        listen it exits right after reading its configuration; a bad line makes it print
        its fatal config error first."""
        res = subprocess.run(["redis-server", "-", "--port", "0", "--save", ""],
                             input=(line + "\n").encode(), capture_output=True, timeout=20)
        out = (res.stdout + res.stderr).decode("utf-8", "replace")
        return "FATAL CONFIG FILE ERROR" not in out


class StartupErrors(ClosesConnections, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="terndb-conf-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assert_fails(self, text, line, reason, name="bad.conf", args=()):
        path = self.write(name, text)
        res = run_terndb(path, "--port", str(harness.free_port()), *args, cwd=self.dir)
        err = res.stderr.decode()
        self.assertEqual(res.returncode, 1, err)
        self.assertIn(path, err)
        self.assertIn("at line %d" % line, err)
        self.assertIn(reason, err)
        return err

    def test_bad_directive(self):
        err = self.assert_fails("port 7000\n\nno-such-directive 1\n", 3,
                                "Bad directive or wrong number of arguments")
        self.assertIn(">>> 'no-such-directive 1'", err)

    def test_bad_values(self):
        self.assert_fails("# c\nmaxmemory 12zb\n", 2, "argument must be a memory value")
        self.assert_fails("timeout -1\n", 1,
                          "argument must be between 0 and 2147483647 inclusive")
        self.assert_fails("appendonly maybe\n", 1, "argument must be 'yes' or 'no'")
        self.assert_fails("maxmemory-policy lru\n", 1, "argument(s) must be one of the following")
        self.assert_fails("port\n", 1, "wrong number of arguments")
        self.assert_fails("save 0 1\n", 1, "Invalid save parameters")
        self.assert_fails("cluster-enabled yes\n", 1, "cluster mode")
        self.assert_fails("loadmodule /x/y.so\n", 1, "modules")

    def test_unbalanced_quotes(self):
        self.assert_fails('timeout 1\nrequirepass "abc\n', 2,
                          "Unbalanced quotes in configuration line")
        self.assert_fails("requirepass 'abc'x\n", 1, "Unbalanced quotes in configuration line")

    def test_error_inside_include_names_included_file(self):
        inc = self.write("inc.conf", "timeout 1\nhz abc\n")
        path = self.write("main.conf", "port 7000\ninclude %s\n" % inc)
        res = run_terndb(path, cwd=self.dir)
        err = res.stderr.decode()
        self.assertEqual(res.returncode, 1)
        self.assertIn(inc, err)
        self.assertIn("at line 2", err)

    def test_missing_file_and_bad_command_line_option(self):
        res = run_terndb(os.path.join(self.dir, "nope.conf"))
        self.assertEqual(res.returncode, 1)
        self.assertIn("nope.conf", res.stderr.decode())
        res = run_terndb("--port", str(harness.free_port()), "--maxmemory", "lots")
        self.assertEqual(res.returncode, 1)
        self.assertIn("argument must be a memory value", res.stderr.decode())

    def test_rename_command_of_unknown_command(self):
        path = self.write("r.conf", "rename-command NOSUCH other\n")
        res = run_terndb(path, "--port", str(harness.free_port()), cwd=self.dir)
        self.assertEqual(res.returncode, 1)
        self.assertIn("No such command in rename-command", (res.stdout + res.stderr).decode())


class FileFeatures(ClosesConnections, unittest.TestCase):
    def test_include_units_and_overrides(self):
        incdir = tempfile.mkdtemp(prefix="terndb-inc-")
        try:
            with open(os.path.join(incdir, "mem.conf"), "w") as f:
                f.write("maxmemory 100mb\nclient-query-buffer-limit 2gb\n")
            os.mkdir(os.path.join(incdir, "conf.d"))
            for name, body in (("a.conf", "proto-max-bulk-len 1g\n"),
                               ("b.conf", "hash-max-listpack-value 2KB\n")):
                with open(os.path.join(incdir, "conf.d", name), "w") as f:
                    f.write(body)
            text = ("include %s/mem.conf\ninclude %s/conf.d/*.conf\n"
                    "include %s/nothing/*.conf\ntimeout 10\nsave 900 1\nsave 300 10\n"
                    "repl-backlog-size 1m\nslave-priority 5\n") % (incdir, incdir, incdir)
            srv = Terndb("--timeout", "20", "--loglevel", "warning", config_text=text)
            try:
                c = self.conn(srv)
                expected = {
                    "maxmemory": "104857600", "client-query-buffer-limit": "2147483648",
                    "proto-max-bulk-len": "1000000000", "hash-max-listpack-value": "2048",
                    "repl-backlog-size": "1000000", "replica-priority": "5",
                    "timeout": "20",  # the command line comes after the file
                    "loglevel": "warning",
                    "save": "",  # the harness's --save "" replaces the file's lines
                }
                for name, value in expected.items():
                    self.assertEqual(config_get(c, name), {name: value}, name)
            finally:
                srv.stop()
        finally:
            shutil.rmtree(incdir, ignore_errors=True)

    def test_units_match_redis(self):
        text = ("maxmemory 1gb\nrepl-backlog-size 3M\nclient-query-buffer-limit 1024mb\n"
                "proto-max-bulk-len 2097152b\nhll-sparse-max-bytes 1k\n"
                "client-output-buffer-limit pubsub 64mb 16mb 90\nsave 900 1\nsave 60 100\n")
        ours = Terndb(config_text=text)
        workdir = tempfile.mkdtemp(prefix="redis-units-")
        conf = os.path.join(workdir, "redis.conf")
        with open(conf, "w") as f:
            f.write(text)
        port = harness.free_port()
        theirs = harness._Server(["redis-server", conf, "--port", str(port), "--bind",
                                  "127.0.0.1", "--dir", workdir], port, workdir,
                                 os.path.join(workdir, "server.log"))
        try:
            for name in ("maxmemory", "repl-backlog-size", "client-query-buffer-limit",
                         "proto-max-bulk-len", "hll-sparse-max-bytes",
                         "client-output-buffer-limit"):
                self.assertEqual(self.conn(ours).call("CONFIG", "GET", name),
                                 self.conn(theirs).call("CONFIG", "GET", name), name)
            # Without the harness's --save "" on redis's side the file's lines remain.
            self.assertEqual(config_get(self.conn(theirs), "save"), {"save": "900 1 60 100"})
        finally:
            ours.stop()
            theirs.stop()
            shutil.rmtree(workdir, ignore_errors=True)

    def test_keydb_directives(self):
        flash = tempfile.mkdtemp(prefix="terndb-flash-")  # storage-provider flash opens it
        self.addCleanup(shutil.rmtree, flash, True)
        text = ("server-threads 2\nactive-replica yes\nmulti-master yes\n"
                "multi-master-no-forward yes\nreplica-quorum 1\nserver-thread-affinity true\n"
                "storage-provider flash %s\nmin-clients-per-thread 50\n"
                "replica-read-only no\nenable-motd no\nversion-override 6.3.4\n" % flash)
        srv = Terndb(config_text=text)
        try:
            c = self.conn(srv)
            self.assertEqual(config_get(c, "active-replica"), {"active-replica": "yes"})
            self.assertEqual(config_get(c, "replica-quorum"), {"replica-quorum": "1"})
            self.assertEqual(config_get(c, "storage-provider"),
                             {"storage-provider": "flash " + flash})
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
