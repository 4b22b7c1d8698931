"""DEBUG DIGEST / DIGEST-VALUE / OBJECT and the other DEBUG subcommands against
redis-server 7.0: the same dataset must give the same digests."""
import re
import string
import time
import unittest

from harness import RedisServer, SideBySide, Terndb, main

class ClosesConnections:
    """Connections opened with self.conn(server) close when the test ends."""

    def conn(self, server):
        c = server.raw()
        self.addCleanup(c.close)
        return c


EMPTY_DIGEST = b"+" + b"0" * 40 + b"\r\n"


def load_dataset(conn):
    """Strings with and without TTLs in several databases (one pipeline per database)."""
    for db in (0, 1, 5, 15):
        cmds = [("SELECT", db)]
        for i in range(200):
            cmds.append(("SET", "key:%d:%d" % (db, i), "value-%d-%d" % (db, i)))
        for i in range(50):
            cmds.append(("SET", "ttl:%d:%d" % (db, i), "v%d" % i, "EX", 1000 + i))
        for i in range(30):
            cmds.append(("SET", "int:%d" % i, i * 7919 - 100000))
        cmds += [("SET", "empty", ""), ("SET", "bin", b"\x00\xff\r\n\x01"),
                 ("SET", "long", "x" * 5000), ("SET", "small", "0"),
                 ("SET", "neg", "-1"), ("SET", "big", "9223372036854775807"),
                 ("SET", "float", "3.14"), ("SET", "lead0", "007"),
                 ("APPEND", "appended", "abc"), ("APPEND", "appended", "def"),
                 ("INCRBY", "counter", 41), ("INCR", "counter"),
                 ("SET", "pttl", "p", "PX", 3600000), ("SETEX", "setex", 500, "s"),
                 ("SET", "persisted", "x", "EX", 100), ("GETEX", "persisted", "PERSIST")]
        send_all(conn, cmds)
    conn.call("SELECT", 0)


def send_all(conn, cmds):
    from harness import encode_command
    conn.send(b"".join(encode_command(*c) for c in cmds))
    for _ in cmds:
        reply = conn.read_reply()
        assert not reply.startswith(b"-"), reply


class DigestSideBySide(ClosesConnections, SideBySide):
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def test_empty_dataset_digest_is_zeros(self):
        self.assertEqual(self.same("DEBUG", "DIGEST"), EMPTY_DIGEST)

    def test_same_dataset_same_digest(self):
        for c in (self.t, self.r):
            load_dataset(c)
        digest = self.same("DEBUG", "DIGEST")
        self.assertNotEqual(digest, EMPTY_DIGEST)
        self.assertRegex(digest, rb"^\+[0-9a-f]{40}\r\n$")
        # A change anywhere changes it, on both alike.
        for cmds in (["SET", "key:0:1", "changed"], ["GETEX", "key:0:2", "EX", "1000"],
                     ["GETEX", "ttl:0:3", "PERSIST"], ["GETDEL", "int:4"], ["SELECT", "15"],
                     ["SET", "int:4", "1"], ["SELECT", "0"]):
            self.same(*cmds)
            self.assertNotEqual(self.same("DEBUG", "DIGEST"), digest)

    def test_database_number_is_part_of_the_digest(self):
        for c in (self.t, self.r):
            c.call("SET", "a", "1")
        in_db0 = self.same("DEBUG", "DIGEST")
        self.same("SWAPDB", "0", "1")
        in_db1 = self.same("DEBUG", "DIGEST")
        self.assertNotEqual(in_db0, in_db1)
        self.same("SWAPDB", "1", "0")
        self.assertEqual(self.same("DEBUG", "DIGEST"), in_db0)

    def test_digest_value(self):
        for c in (self.t, self.r):
            load_dataset(c)
        keys = ["key:0:1", "ttl:0:1", "int:3", "empty", "bin", "long", "small", "neg",
                "big", "appended", "counter", "pttl", "setex", "persisted", "missing"]
        reply = self.same("DEBUG", "DIGEST-VALUE", *keys)
        self.assertTrue(reply.startswith(b"*%d\r\n" % len(keys)))
        self.assertTrue(reply.endswith(EMPTY_DIGEST))  # the missing key
        self.same("DEBUG", "DIGEST-VALUE")
        self.same("SELECT", "5")
        self.same("DEBUG", "DIGEST-VALUE", "key:5:7", "key:0:7", "ttl:5:9")
        # The value's digest does not depend on the key's name, only on value and expiry.
        self.same("SET", "copy", "value-5-7")
        a = self.same("DEBUG", "DIGEST-VALUE", "key:5:7", "copy")
        self.assertEqual(len(set(a.split(b"\r\n")[1:3])), 1)

    def test_object(self):
        values = {"small": "7", "shared_edge": "9999", "unshared": "10000", "neg": "-5",
                  "i16": "30000", "i32": "2000000000", "i64": "9999999999999",
                  "embstr": "hello", "empty": "",
                  # Longer strings without repeats: Redis's LZF cannot shrink them, so
                  # their RDB size is the plain one terndb reports.
                  "embstr44": string.ascii_letters[:44], "raw45": string.ascii_letters[:45],
                  "distinct": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                  "lead0": "0123"}
        for c in (self.t, self.r):
            for k, v in values.items():
                c.call("SET", k, v)
            c.call("SETRANGE", "ranged", "0", "abc")
        for key in list(values) + ["ranged"]:
            ours = self.t.call("DEBUG", "OBJECT", key)
            theirs = self.r.call("DEBUG", "OBJECT", key)
            pattern = (rb"^\+Value at:0x[0-9a-f]+ (refcount:\d+ encoding:\w+ "
                       rb"serializedlength:\d+) lru:\d+ lru_seconds_idle:\d+\r\n$")
            self.assertRegex(ours, pattern)
            self.assertEqual(re.match(pattern, ours).group(1), re.match(pattern, theirs).group(1),
                             key)
        self.same("DEBUG", "OBJECT", "missing")

    def test_errors_and_simple_subcommands(self):
        self.script([
            "DEBUG", "DEBUG nosuch", "DEBUG digest extra", "DEBUG object",
            "DEBUG object a b", "DEBUG sleep", "DEBUG sleep 0", "DEBUG sleep abc",
            "DEBUG SLEEP 0.01", "DEBUG set-active-expire", "DEBUG set-active-expire 1",
            "DEBUG set-active-expire x", "DEBUG set-active-expire 1", "DEBUG Digest",
        ])

    def test_sleep_blocks_the_connection(self):
        start = time.time()
        self.assertEqual(self.t.call("DEBUG", "SLEEP", "0.3"), b"+OK\r\n")
        self.assertGreaterEqual(time.time() - start, 0.29)

    def test_set_active_expire(self):
        self.assertEqual(self.t.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), b"+OK\r\n")
        try:
            self.t.call("SET", "gone", "v", "PX", "50")
            time.sleep(0.4)
            # Not deleted in the background; the next access still expires it.
            self.assertEqual(self.t.call("DBSIZE"), b":1\r\n")
            self.assertEqual(self.t.call("GET", "gone"), b"$-1\r\n")
            self.assertEqual(self.t.call("DBSIZE"), b":0\r\n")
            self.assertEqual(self.t.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), b"+OK\r\n")
            self.t.call("SET", "gone", "v", "PX", "50")
            deadline = time.time() + 5
            while self.t.call("DBSIZE") != b":0\r\n" and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.t.call("DBSIZE"), b":0\r\n")
        finally:
            self.t.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")

    def test_help_lists_the_subcommands(self):
        reply = self.t.call("DEBUG", "HELP")
        self.assertTrue(reply.startswith(
            b"*15\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"))
        for sub in (b"DIGEST", b"DIGEST-VALUE <key>", b"OBJECT <key>", b"SLEEP <seconds>",
                    b"SET-ACTIVE-EXPIRE <0|1>"):
            self.assertIn(b"+" + sub, reply)
        self.assertTrue(reply.endswith(b"+HELP\r\n+    Prints this help.\r\n"))


class DebugDisabledByDefault(ClosesConnections, unittest.TestCase):
    def test_refused_as_redis_refuses(self):
        ours, theirs = Terndb(), RedisServer()
        try:
            for args in (("DEBUG", "DIGEST"), ("DEBUG", "HELP"), ("DEBUG", "SLEEP", "0")):
                self.assertEqual(self.conn(ours).call(*args), self.conn(theirs).call(*args))
            self.assertTrue(self.conn(ours).call("DEBUG", "DIGEST").startswith(
                b"-ERR DEBUG command not allowed."))
        finally:
            ours.stop()
            theirs.stop()

    def test_local_allows_loopback_clients(self):
        srv = Terndb("--enable-debug-command", "local")
        try:
            self.assertEqual(self.conn(srv).call("DEBUG", "DIGEST"), EMPTY_DIGEST)
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
