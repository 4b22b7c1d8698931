"""conf/terndb.conf (and the container variant, terndb.conf + docker.conf) start the
server, and every directive in them means to terndb what it means to redis-server 7.0."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import ROOT, _Server, free_port, main, terndb_binary

CONF_DIR = os.path.join(ROOT, "conf")
DEFAULT_CONF = os.path.join(CONF_DIR, "terndb.conf")
DOCKER_CONF = os.path.join(CONF_DIR, "docker.conf")

# Both servers get these on the command line so that tests listen on a free loopback
# port and write into a scratch directory.
LOCAL_OVERRIDES = ["--bind", "127.0.0.1"]


def directives(path):
    """Directive names of a config file, in order (comments and blank lines skipped)."""
    names = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                names.append(line.split()[0].lower())
    return names


class ConfiguredServer(_Server):
    """A server binary started with a config file plus the local overrides. @WORKDIR@ in
    the text becomes the server's scratch directory."""

    def __init__(self, binary, conf_text, extra=()):
        workdir = tempfile.mkdtemp(prefix="terndb-conf-")
        conf = os.path.join(workdir, "server.conf")
        with open(conf, "w") as f:
            f.write(conf_text.replace("@WORKDIR@", workdir))
        port = free_port()
        argv = [binary, conf, "--port", str(port), "--dir", workdir] + LOCAL_OVERRIDES + list(extra)
        super().__init__(argv, port, workdir, os.path.join(workdir, "server.log"))

    def stop(self, *a, **kw):
        rc = super().stop(*a, **kw)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return rc


def read(path):
    with open(path) as f:
        return f.read()


class DefaultConfig(unittest.TestCase):
    def start_pair(self, text):
        terndb = ConfiguredServer(terndb_binary(), text, ["--server-threads", "2"])
        self.addCleanup(terndb.stop)
        redis = ConfiguredServer("redis-server", text, ["--daemonize", "no"])
        self.addCleanup(redis.stop)
        return terndb, redis

    def compare_directives(self, terndb, redis, names, skip):
        ours, theirs = terndb.raw(), redis.raw()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        for name in dict.fromkeys(names):
            if name in skip:
                continue
            reply = ours.call("CONFIG", "GET", name)
            self.assertEqual(reply, theirs.call("CONFIG", "GET", name), name)
            self.assertTrue(reply.startswith(b"*2\r\n"), (name, reply))

    def test_default_file_starts_and_matches_redis(self):
        names = directives(DEFAULT_CONF)
        self.assertIn("port", names)
        terndb, redis = self.start_pair(read(DEFAULT_CONF))
        conn = terndb.raw()
        self.addCleanup(conn.close)
        self.assertEqual(conn.call("PING"), b"+PONG\r\n")
        # port and dir differ by design (free port, scratch directory).
        self.compare_directives(terndb, redis, names, skip={"port", "dir"})
        self.assertEqual(conn.call("CONFIG", "GET", "save"),
                         b"*2\r\n$4\r\nsave\r\n$23\r\n3600 1 300 100 60 10000\r\n")
        self.assertEqual(conn.call("CONFIG", "GET", "databases"),
                         b"*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n")
        self.assertEqual(conn.call("SELECT", "15"), b"+OK\r\n")
        self.assertTrue(terndb.alive(), terndb.log())

    def test_container_file_starts(self):
        docker = read(DOCKER_CONF)
        names = directives(DOCKER_CONF)
        self.assertEqual(names, ["bind", "protected-mode", "dir"])
        # redis-server changes into `dir` while reading the file: point it at a directory
        # that exists here instead of the container's volume.
        self.assertIn("\ndir /data\n", docker)
        text = read(DEFAULT_CONF) + "\n" + docker.replace("\ndir /data\n", "\ndir @WORKDIR@\n")
        terndb, redis = self.start_pair(text)
        self.compare_directives(terndb, redis, directives(DEFAULT_CONF) + names,
                                skip={"port", "dir"})
        conn = terndb.raw()
        self.addCleanup(conn.close)
        self.assertEqual(conn.call("CONFIG", "GET", "protected-mode"),
                         b"*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n")

    def test_bad_directive_is_refused(self):
        # The start checks above would be meaningless if a wrong file started the server.
        workdir = tempfile.mkdtemp(prefix="terndb-conf-")
        self.addCleanup(shutil.rmtree, workdir, True)
        conf = os.path.join(workdir, "bad.conf")
        with open(conf, "w") as f:
            f.write(read(DEFAULT_CONF) + "\nno-such-directive yes\n")
        res = subprocess.run([terndb_binary(), conf, "--port", str(free_port()),
                              "--dir", workdir] + LOCAL_OVERRIDES,
                             capture_output=True, timeout=30)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn(b"no-such-directive", res.stdout + res.stderr)


if __name__ == "__main__":
    main()
