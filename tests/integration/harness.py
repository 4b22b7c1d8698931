"""Starts real servers for integration tests and talks to them over raw sockets.

Every server listens on 127.0.0.1 on a port chosen free at run time and is stopped by PID
when the test ends (also on failure). `Terndb()` starts build/terndb-server (path from the
TERNDB_SERVER environment variable that ctest sets); `RedisServer()` starts Debian's
redis-server for side-by-side comparisons.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def terndb_binary():
    path = os.environ.get("TERNDB_SERVER") or os.path.join(ROOT, "build", "terndb-server")
    if not os.path.exists(path):
        raise RuntimeError("terndb-server not found at %s (build first)" % path)
    return path


_sanitizer_build = None


def sanitizer_build():
    """True when terndb-server is built with ASan or TSan: it starts and runs several times
    slower, so waits for it stretch (a flash store's first open takes seconds there)."""
    global _sanitizer_build
    if _sanitizer_build is None:
        libs = subprocess.run(["ldd", terndb_binary()], capture_output=True, text=True).stdout
        _sanitizer_build = "libasan" in libs or "libtsan" in libs
    return _sanitizer_build


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_running = []


def _cleanup():
    for srv in list(_running):
        srv.stop()


atexit.register(_cleanup)


class _Server:
    """A server process on a free loopback port, stopped by PID."""

    def __init__(self, argv, port, workdir, log_path, ready_while_loading=True):
        # ready_while_loading: -LOADING counts as up (a test that starts over a big dataset
        # waits for the load itself); otherwise the server must answer PING with +PONG.
        self.ready_while_loading = ready_while_loading
        self.port = port
        self.workdir = workdir
        self.log_path = log_path
        self._log = open(log_path, "wb")
        env = dict(os.environ)
        # Sanitizer builds: stop at the first report so a test cannot pass over it. A snapshot
        # child with flash opens RocksDB, which starts threads: TSan must let a forked child do so.
        # tests/tsan.supp says why RocksDB's own accesses are not checked.
        env.setdefault("TSAN_OPTIONS", "halt_on_error=1 second_deadlock_stack=1 die_after_fork=0 "
                       "suppressions=" + os.path.join(ROOT, "tests", "tsan.supp"))
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0 abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1 halt_on_error=1")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir,
                                     env=env)
        _running.append(self)
        self.wait_ready()

    def wait_ready(self, timeout=None):
        if timeout is None:
            timeout = 60.0 if sanitizer_build() else 10.0
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early (%s):\n%s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    data = s.recv(64)
                    if data.startswith(b"+PONG") or data.startswith(b"-NOAUTH"):
                        return
                    if data.startswith(b"-LOADING") and self.ready_while_loading:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not answer within %ss:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self in _running:
            _running.remove(self)
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        text = self.log()
        if "Sanitizer" in text or "runtime error:" in text:
            raise AssertionError("sanitizer report in server log:\n" + text[-20000:])
        return self.proc.returncode

    def client(self, **kw):
        """A redis-py client (Debian's python3-redis)."""
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self):
        return RawConnection(self.port)

    def cli(self, *args, input=None, timeout=60):
        """Runs redis-cli against the server and returns its stdout (bytes)."""
        cmd = ["redis-cli", "-p", str(self.port)] + [str(a) for a in args]
        res = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
        return res.stdout


class Terndb(_Server):
    def __init__(self, *options, config_text=None, threads=2, extra_args=None, file_save=False):
        workdir = tempfile.mkdtemp(prefix="terndb-test-")
        port = free_port()
        argv = [terndb_binary()]
        if config_text is not None:
            conf = os.path.join(workdir, "terndb.conf")
            with open(conf, "w") as f:
                f.write(config_text)
            argv.append(conf)
        argv += ["--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
                 "--server-threads", str(threads)]
        if not file_save:  # file_save: keep the config file's save rules
            argv += ["--save", ""]
        argv += [str(o) for o in options]
        if extra_args:
            argv += extra_args
        # A fresh directory holds nothing to load: clients must never see -LOADING (sanitizer
        # builds start slowly enough for a test's first command to arrive before the load).
        super().__init__(argv, port, workdir, os.path.join(workdir, "server.log"),
                         ready_while_loading=False)

    def stop(self, *a, **kw):
        try:
            return super().stop(*a, **kw)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


class RedisServer(_Server):
    """Debian's redis-server 7.0, for answers to compare against."""

    def __init__(self, *options):
        workdir = tempfile.mkdtemp(prefix="redis-ref-")
        port = free_port()
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
                "--save", "", "--appendonly", "no", "--daemonize", "no"] + [str(o) for o in options]
        # A fresh directory holds nothing to load: clients must never see -LOADING (sanitizer
        # builds start slowly enough for a test's first command to arrive before the load).
        super().__init__(argv, port, workdir, os.path.join(workdir, "server.log"),
                         ready_while_loading=False)

    def stop(self, *a, **kw):
        try:
            return super().stop(*a, **kw)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawConnection:
    """A socket that sends RESP commands and reads back one raw reply at a time."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_reply(self):
        """Returns the exact bytes of one complete reply (nested aggregates included)."""
        line = self._line()
        kind = line[:1]
        if kind in (b"+", b"-", b":", b",", b"#", b"_", b"("):
            return line
        if kind in (b"$", b"=", b"!"):
            n = int(line[1:-2])
            if n < 0:
                return line
            while len(self.buf) < n + 2:
                self._fill()
            body, self.buf = self.buf[:n + 2], self.buf[n + 2:]
            return line + body
        if kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(line[1:-2])
            if n < 0:
                return line
            if kind in (b"%", b"|"):
                n *= 2
            return line + b"".join(self.read_reply() for _ in range(n))
        raise ValueError("bad reply line %r" % line)

    def call(self, *args):
        self.send(encode_command(*args))
        return self.read_reply()

    def closed_by_peer(self, timeout=5.0):
        """True once the server closes the connection (reads until EOF)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def main():
    unittest.main(verbosity=2)


class SideBySide(unittest.TestCase):
    """Base for tests that send the same commands to terndb and redis-server 7.0 and
    require byte-identical replies."""

    terndb_options = ()
    redis_options = ()

    @classmethod
    def setUpClass(cls):
        cls.terndb = Terndb(*cls.terndb_options)
        cls.redis = RedisServer(*cls.redis_options)

    @classmethod
    def tearDownClass(cls):
        cls.terndb.stop()
        cls.redis.stop()

    def setUp(self):
        self.t = self.terndb.raw()
        self.r = self.redis.raw()
        for c in (self.t, self.r):
            c.call("FLUSHALL")

    def tearDown(self):
        self.t.close()
        self.r.close()

    def same(self, *args):
        """Sends one command to both servers; asserts equal replies; returns terndb's."""
        ours = self.t.call(*args)
        theirs = self.r.call(*args)
        self.assertEqual(ours, theirs, "command %r" % (args,))
        return ours

    def script(self, commands):
        """Runs a list of commands (each a list or a whitespace-separated string)."""
        for cmd in commands:
            if isinstance(cmd, str):
                cmd = cmd.split()
            self.same(*cmd)


def pipeline(conn, commands):
    """Sends `commands` (argument tuples) at once on a RawConnection; returns the replies."""
    conn.send(b"".join(encode_command(*cmd) for cmd in commands))
    return [conn.read_reply() for _ in commands]


class SharedTerndb(unittest.TestCase):
    """The test class's one terndb-server with two io threads, emptied before each test."""

    @classmethod
    def setUpClass(cls):
        cls.terndb = Terndb(threads=2)

    @classmethod
    def tearDownClass(cls):
        cls.terndb.stop()

    def setUp(self):
        c = self.terndb.raw()
        c.call("FLUSHALL")
        c.close()


def run_until_workers_finish(workers, watchers, stop, timeout=120, watcher_timeout=60):
    """Starts every thread; once `workers` have finished (or `timeout` passed) sets `stop`
    and waits for `watchers`. Returns the threads still running."""
    for th in workers + watchers:
        th.start()
    for th in workers:
        th.join(timeout)
    stop.set()
    for th in watchers:
        th.join(watcher_timeout)
    return [th for th in workers + watchers if th.is_alive()]


def blpops_served_by(server, commands):
    """Two clients (one per io thread, as connections are dealt in turn) block in
    BLPOP q 10; then a third pipelines `commands`. Returns the third's replies and the
    two BLPOP replies, sorted."""
    waiters = [server.raw() for _ in range(2)]
    for w in waiters:
        w.send(encode_command("BLPOP", "q", "10"))
    c = server.raw()
    deadline = time.monotonic() + 10
    while b"blocked_clients:2\r\n" not in c.call("INFO", "clients"):
        if time.monotonic() > deadline:
            raise AssertionError("the BLPOPs did not arrive")
        time.sleep(0.01)
    replies = pipeline(c, commands)
    got = sorted(w.read_reply() for w in waiters)
    for conn in waiters + [c]:
        conn.close()
    return replies, got


class StartsServers(unittest.TestCase):
    """A test case that stops, at its end, every server it passed to start()."""

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()

    def start(self, srv):
        self.servers.append(srv)
        return srv
