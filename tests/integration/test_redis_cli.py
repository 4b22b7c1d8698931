"""redis-cli (Debian's 7.0) works against terndb as it does against redis-server: an
interactive session fed through stdin, bulk loading with --pipe, --scan, -n and -a."""
import re
import subprocess
import unittest

from harness import RedisServer, Terndb, main

# A session a person might type; redis-cli reads it line by line from stdin.
SESSION = [
    "PING",
    'SET greeting "hello world"',
    "GET greeting",
    "APPEND greeting !",
    "STRLEN greeting",
    "INCR counter",
    "INCRBY counter 41",
    "INCR greeting",
    "GET missing",
    "MSET a 1 b 2",
    "MGET a b missing",
    "EXISTS a b missing",
    "DEL a",
    "SET tmp x EX 100",
    "TTL tmp",
    "SELECT 2",
    "SET only-in-2 yes",
    "DBSIZE",
    "SELECT 0",
    "DBSIZE",
    'ECHO "two words"',
    "NOSUCHCOMMAND x",
]

# What redis-cli prints for SESSION in its formatted (--no-raw) mode.
EXPECTED_SESSION_OUTPUT = [
    "PONG",
    "OK",
    '"hello world"',
    "(integer) 12",
    "(integer) 12",
    "(integer) 1",
    "(integer) 42",
    "(error) ERR value is not an integer or out of range",
    "(nil)",
    "OK",
    '1) "1"',
    '2) "2"',
    "3) (nil)",
    "(integer) 2",
    "(integer) 1",
    "OK",
    "(integer) 100",
    "OK",
    "OK",
    "(integer) 1",
    "OK",
    "(integer) 4",
    '"two words"',
    "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ",
]

PIPE_KEYS = 1_000_000


def run_cli(port, *args, input=None, timeout=120):
    cmd = ["redis-cli", "-p", str(port)] + [str(a) for a in args]
    return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)


def resp_set_commands(count):
    """count SET commands in RESP, as a bulk loader would produce them."""
    parts = []
    for i in range(count):
        key = b"key:%d" % i
        value = b"value:%d" % i
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    return b"".join(parts)


class RedisCliSession(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.terndb = Terndb()

    @classmethod
    def tearDownClass(cls):
        cls.terndb.stop()

    def setUp(self):
        conn = self.terndb.raw()
        self.assertEqual(conn.call("FLUSHALL"), b"+OK\r\n")
        conn.close()

    def tearDown(self):
        self.assertTrue(self.terndb.alive(), self.terndb.log())

    def test_interactive_session_through_stdin(self):
        script = ("\n".join(SESSION) + "\n").encode()
        ours = run_cli(self.terndb.port, "--no-raw", input=script)
        self.assertEqual(ours.returncode, 0, ours.stderr)
        self.assertEqual(ours.stdout.decode().splitlines(), EXPECTED_SESSION_OUTPUT)

        redis = RedisServer()
        try:
            theirs = run_cli(redis.port, "--no-raw", input=script)
        finally:
            redis.stop()
        self.assertEqual(ours.stdout, theirs.stdout)

    def test_raw_output_mode(self):
        # Without a terminal redis-cli prints replies raw: nil is an empty line.
        out = run_cli(self.terndb.port, input=b"SET k v\nGET k\nGET nothing\nINCR n\n").stdout
        self.assertEqual(out, b"OK\nv\n\n1\n")

    def test_pipe_loads_a_million_keys(self):
        data = resp_set_commands(PIPE_KEYS)
        res = run_cli(self.terndb.port, "--pipe", "--pipe-timeout", "300", input=data, timeout=600)
        report = (res.stdout + res.stderr).decode()
        self.assertEqual(res.returncode, 0, report)
        self.assertIn("All data transferred", report)
        match = re.search(r"errors: (\d+), replies: (\d+)", report)
        self.assertIsNotNone(match, report)
        self.assertEqual((int(match.group(1)), int(match.group(2))), (0, PIPE_KEYS), report)

        conn = self.terndb.raw()
        self.assertEqual(conn.call("DBSIZE"), b":%d\r\n" % PIPE_KEYS)
        self.assertEqual(conn.call("GET", "key:0"), b"$7\r\nvalue:0\r\n")
        self.assertEqual(conn.call("GET", "key:765432"), b"$12\r\nvalue:765432\r\n")
        self.assertEqual(conn.call("GET", "key:%d" % PIPE_KEYS), b"$-1\r\n")
        conn.close()
        self.assertEqual(run_cli(self.terndb.port, "DBSIZE").stdout, b"%d\n" % PIPE_KEYS)

    def test_scan_returns_exactly_the_keys(self):
        users = {"user:%d" % i for i in range(1500)}
        sessions = {"session:%d" % i for i in range(700)}
        odd = {"k", "with-dash_and.dot", "{tag}x", "9"}
        expected = users | sessions | odd
        conn = self.terndb.raw()
        keys = sorted(expected)
        for start in range(0, len(keys), 200):
            batch = keys[start:start + 200]
            args = []
            for k in batch:
                args += [k, "v"]
            self.assertEqual(conn.call("MSET", *args), b"+OK\r\n")
        conn.close()

        lines = run_cli(self.terndb.port, "--scan").stdout.decode().splitlines()
        self.assertEqual(len(lines), len(expected), "duplicates or missing keys")
        self.assertEqual(set(lines), expected)

        lines = run_cli(self.terndb.port, "--scan", "--pattern", "session:*").stdout.decode().splitlines()
        self.assertEqual(sorted(lines), sorted(sessions))

        lines = run_cli(self.terndb.port, "--scan", "--pattern", "user:1?").stdout
        self.assertEqual(sorted(lines.decode().splitlines()), sorted("user:1%d" % d for d in range(10)))

        self.assertEqual(run_cli(self.terndb.port, "--scan", "--pattern", "nomatch*").stdout, b"")

    def test_db_selection_with_n(self):
        self.assertEqual(run_cli(self.terndb.port, "-n", 1, "SET", "in-one", "yes").stdout, b"OK\n")
        self.assertEqual(run_cli(self.terndb.port, "-n", 1, "GET", "in-one").stdout, b"yes\n")
        self.assertEqual(run_cli(self.terndb.port, "-n", 1, "DBSIZE").stdout, b"1\n")
        self.assertEqual(run_cli(self.terndb.port, "DBSIZE").stdout, b"0\n")
        self.assertEqual(run_cli(self.terndb.port, "GET", "in-one").stdout, b"\n")
        self.assertEqual(run_cli(self.terndb.port, "-n", 1, "--scan").stdout, b"in-one\n")

        conn = self.terndb.raw()
        self.assertEqual(conn.call("SELECT", "1"), b"+OK\r\n")
        self.assertEqual(conn.call("GET", "in-one"), b"$3\r\nyes\r\n")
        conn.close()

        # A database that does not exist: redis-cli reports the failed SELECT.
        res = run_cli(self.terndb.port, "-n", 16, "PING")
        self.assertIn(b"ERR DB index is out of range", res.stdout + res.stderr)


class RedisCliAuth(unittest.TestCase):
    PASSWORD = "s3cret-pass"

    @classmethod
    def setUpClass(cls):
        cls.terndb = Terndb("--requirepass", cls.PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.terndb.stop()

    def tearDown(self):
        self.assertTrue(self.terndb.alive(), self.terndb.log())

    def test_password_option(self):
        res = run_cli(self.terndb.port, "-a", self.PASSWORD, "PING")
        self.assertEqual(res.stdout, b"PONG\n")
        # redis-cli warns about a password on the command line unless told not to.
        self.assertIn(b"Using a password", res.stderr)
        res = run_cli(self.terndb.port, "-a", self.PASSWORD, "--no-auth-warning", "-n", 3,
                      "SET", "secret-key", "1")
        self.assertEqual((res.stdout, res.stderr), (b"OK\n", b""))
        res = run_cli(self.terndb.port, "-a", self.PASSWORD, "--no-auth-warning", "-n", 3, "--scan")
        self.assertEqual(res.stdout, b"secret-key\n")

    def test_missing_or_wrong_password(self):
        # redis-cli ends an error reply with an empty line when its output is not a terminal.
        self.assertEqual(run_cli(self.terndb.port, "PING").stdout,
                         b"NOAUTH Authentication required.\n\n")
        res = run_cli(self.terndb.port, "-a", "wrong", "--no-auth-warning", "PING")
        self.assertIn(b"AUTH failed: WRONGPASS invalid username-password pair or user is disabled.",
                      res.stderr)
        self.assertEqual(res.stdout, b"NOAUTH Authentication required.\n\n")

    def test_interactive_auth(self):
        script = b"GET k\nAUTH wrong\nAUTH " + self.PASSWORD.encode() + b"\nSET k v\nGET k\n"
        res = run_cli(self.terndb.port, "--no-raw", input=script)
        self.assertEqual(res.stdout.decode().splitlines(), [
            "(error) NOAUTH Authentication required.",
            "(error) WRONGPASS invalid username-password pair or user is disabled.",
            "OK",
            "OK",
            '"v"',
        ])


if __name__ == "__main__":
    main()
