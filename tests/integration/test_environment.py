"""Settings from the environment (TERNDB_PASSWORD / KEYDB_PASSWORD, MAXMEMORY,
MAXMEMORY_POLICY, TERNDB_PEERS): applied after the config file and before the command
line, validated like config lines, errors naming the variable; and a container-style start
(the image's config, a password, a policy and a peer name from the environment) that stops
cleanly on SIGINT as on SIGTERM, as Fly stops it."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import ROOT, Terndb, free_port, main, terndb_binary

VARIABLES = ("TERNDB_PASSWORD", "KEYDB_PASSWORD", "MAXMEMORY", "MAXMEMORY_POLICY",
             "TERNDB_PEERS")


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def config_get(conn, name):
    reply = conn.call("CONFIG", "GET", name)
    lines = reply.split(b"\r\n")
    return lines[4].decode() if len(lines) > 4 else None


class Environment(unittest.TestCase):
    def start(self, env, *options, config_text=None):
        """A server started with `env` (only these of VARIABLES set)."""
        saved = dict(os.environ)
        for name in VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(env)
        try:
            srv = Terndb(*options, config_text=config_text)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.addCleanup(srv.stop)
        return srv

    def refused(self, env, *options):
        """Runs the binary with `env`; returns (exit status, output) of a refused start."""
        full = {k: v for k, v in os.environ.items() if k not in VARIABLES}
        full.update(env)
        res = subprocess.run([terndb_binary(), "--port", str(free_port()), "--bind", "127.0.0.1",
                              "--save", ""] + list(options),
                             env=full, capture_output=True, text=True, timeout=20)
        return res.returncode, res.stdout + res.stderr

    def test_password_policy_memory_and_peers(self):
        srv = self.start({"TERNDB_PASSWORD": "s3cret pass", "MAXMEMORY_POLICY": "allkeys-lru",
                          "MAXMEMORY": "100mb", "TERNDB_PEERS": "my-app-terndb-cache.internal"})
        conn = srv.raw()
        self.addCleanup(conn.close)
        self.assertEqual(conn.call("PING"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(conn.call("AUTH", "s3cret pass"), b"+OK\r\n")
        self.assertEqual(config_get(conn, "requirepass"), "s3cret pass")
        self.assertEqual(config_get(conn, "masterauth"), "s3cret pass")
        self.assertEqual(config_get(conn, "maxmemory-policy"), "allkeys-lru")
        self.assertEqual(config_get(conn, "maxmemory"), str(100 * 1024 * 1024))
        self.assertEqual(config_get(conn, "active-replica-peers-dns"),
                         "my-app-terndb-cache.internal")
        log = srv.log()
        self.assertIn("TERNDB_PASSWORD -> requirepass masterauth", log)
        self.assertNotIn("s3cret", log)

    def test_peers_from_the_environment_link_and_share_writes(self):
        """Two regions as the container starts them: the same secret, and TERNDB_PEERS
        naming the other one (`localhost`, which this machine resolves to 127.0.0.1)."""
        import harness
        ports = [free_port(), free_port()]
        nodes = []
        saved = harness.free_port
        try:
            for mine, other in ((0, 1), (1, 0)):
                harness.free_port = lambda p=ports[mine]: p  # each node on its planned port
                nodes.append(self.start({"TERNDB_PASSWORD": "shared secret",
                                         "TERNDB_PEERS": "localhost %d" % ports[other]},
                                        "--active-replica", "yes", "--multi-master", "yes",
                                        "--active-replica-peers-dns-interval", "1"))
        finally:
            harness.free_port = saved
        clients = [n.client(password="shared secret") for n in nodes]
        for c, other in zip(clients, reversed(ports)):
            self.assertEqual(c.config_get("active-replica-peers-dns")["active-replica-peers-dns"],
                             "localhost %d" % other)
        deadline = time.time() + 20
        while time.time() < deadline and not all(
                c.info("replication").get("connected_masters") == 1 for c in clients):
            time.sleep(0.1)
        for c, other in zip(clients, reversed(ports)):
            info = c.info("replication")
            self.assertEqual(info["connected_masters"], 1)
            self.assertEqual(info["master_port"], other)
            self.assertEqual(info["master_discovered"], 1)
        clients[0].set("from-region-a", "1")
        clients[1].set("from-region-b", "2")
        deadline = time.time() + 10
        while time.time() < deadline and not (clients[1].get("from-region-a") and
                                              clients[0].get("from-region-b")):
            time.sleep(0.05)
        self.assertEqual(clients[1].get("from-region-a"), b"1")
        self.assertEqual(clients[0].get("from-region-b"), b"2")

    def test_keydb_password_and_precedence(self):
        conn = self.start({"KEYDB_PASSWORD": "from-keydb"}).raw()
        self.addCleanup(conn.close)
        conn.call("AUTH", "from-keydb")
        self.assertEqual(config_get(conn, "requirepass"), "from-keydb")
        self.assertEqual(config_get(conn, "masterauth"), "from-keydb")
        # Both set: TERNDB_PASSWORD wins. Empty: no setting at all.
        conn = self.start({"KEYDB_PASSWORD": "k", "TERNDB_PASSWORD": "t",
                           "MAXMEMORY_POLICY": ""}).raw()
        self.addCleanup(conn.close)
        self.assertEqual(conn.call("AUTH", "t"), b"+OK\r\n")
        self.assertEqual(config_get(conn, "maxmemory-policy"), "noeviction")

    def test_file_then_environment_then_command_line(self):
        text = "maxmemory 1mb\nmaxmemory-policy volatile-lru\nrequirepass from-file\n"
        conn = self.start({"MAXMEMORY": "2mb", "TERNDB_PASSWORD": "from-env"},
                          config_text=text).raw()
        self.addCleanup(conn.close)
        conn.call("AUTH", "from-env")
        self.assertEqual(config_get(conn, "maxmemory"), "2097152")
        self.assertEqual(config_get(conn, "maxmemory-policy"), "volatile-lru")
        conn = self.start({"MAXMEMORY": "2mb", "MAXMEMORY_POLICY": "allkeys-lfu"},
                          "--maxmemory", "3mb", config_text=text).raw()
        self.addCleanup(conn.close)
        conn.call("AUTH", "from-file")
        self.assertEqual(config_get(conn, "maxmemory"), "3145728")
        self.assertEqual(config_get(conn, "maxmemory-policy"), "allkeys-lfu")

    def test_invalid_values_name_the_variable(self):
        rc, out = self.refused({"MAXMEMORY_POLICY": "sometimes"})
        self.assertEqual(rc, 1)
        self.assertIn("environment variable MAXMEMORY_POLICY='sometimes'", out)
        self.assertIn("maxmemory-policy", out)
        rc, out = self.refused({"MAXMEMORY": "lots"})
        self.assertEqual(rc, 1)
        self.assertIn("environment variable MAXMEMORY='lots'", out)
        # A command-line value does not rescue a bad environment: it is checked first.
        rc, out = self.refused({"MAXMEMORY": "-5"}, "--maxmemory", "1mb")
        self.assertEqual(rc, 1)
        self.assertIn("MAXMEMORY", out)


class ContainerStart(unittest.TestCase):
    """The image's config (conf/terndb.conf + conf/docker.conf) started as the container
    starts it, with settings from the environment."""

    def start(self, env):
        workdir = tempfile.mkdtemp(prefix="terndb-container-")
        self.addCleanup(shutil.rmtree, workdir, True)
        conf = os.path.join(workdir, "terndb.conf")
        with open(conf, "w") as f:
            # The container's dir /data does not exist here: the server changes into
            # `dir` while it reads the file, so it points at the scratch directory.
            docker = read("conf/docker.conf")
            self.assertIn("\ndir /data\n", docker)
            f.write(read("conf/terndb.conf") + docker.replace("\ndir /data\n",
                                                               "\ndir %s\n" % workdir))
        port = free_port()
        full = {k: v for k, v in os.environ.items() if k not in VARIABLES}
        full.update(env)
        log = open(os.path.join(workdir, "server.log"), "w+")
        self.addCleanup(log.close)
        proc = subprocess.Popen([terndb_binary(), conf, "--port", str(port), "--bind",
                                 "127.0.0.1", "--dir", workdir, "--save", ""],
                                env=full, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        from harness import RawConnection
        deadline = time.time() + 10
        while True:
            try:
                return proc, RawConnection(port), log
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)

    def test_env_settings_and_stop_on_sigint_and_sigterm(self):
        for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
            proc, conn, log = self.start({"TERNDB_PASSWORD": "pw",
                                          "MAXMEMORY_POLICY": "allkeys-lru",
                                          "TERNDB_PEERS": "my-app.internal"})
            self.assertEqual(conn.call("AUTH", "pw"), b"+OK\r\n")
            self.assertEqual(config_get(conn, "maxmemory-policy"), "allkeys-lru")
            self.assertEqual(config_get(conn, "active-replica-peers-dns"), "my-app.internal")
            self.assertEqual(config_get(conn, "protected-mode"), "no")
            conn.call("SET", "k", "v")
            start = time.time()
            proc.send_signal(sig)
            self.assertEqual(proc.wait(5), 0)  # within Fly's default kill_timeout
            self.assertLess(time.time() - start, 5)
            conn.close()
            log.seek(0)
            text = log.read()
            self.assertIn("Received %s scheduling shutdown" % name, text)
            self.assertIn("ready to exit, bye bye", text)


if __name__ == "__main__":
    main()
