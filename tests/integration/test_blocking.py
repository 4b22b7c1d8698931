"""Blocking list commands (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH) with real clients on the
server's two io threads: timeouts, wake-ups by pushes from other connections, first-come
first-served order across threads, BLMOVE atomicity between shards, MULTI/EXEC, CLIENT
UNBLOCK, disconnection while blocked, and reply formats side by side with redis-server."""
import socket
import threading
import time
import unittest

from harness import RawConnection, SideBySide, Terndb, encode_command, main


def info_field(conn, field):
    text = conn.call("INFO", "clients").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO" % field)


def wait_until(predicate, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError("timed out waiting for " + what)


def wait_blocked(admin, n):
    wait_until(lambda: info_field(admin, "blocked_clients") == n, what="%d blocked clients" % n)


def bulk(s):
    s = s.encode() if isinstance(s, str) else s
    return b"$%d\r\n%s\r\n" % (len(s), s)


def pair(key, value):
    return b"*2\r\n" + bulk(key) + bulk(value)


def nothing_more(conn, wait=0.2):
    """True when the connection has no further bytes to read within `wait` seconds."""
    if conn.buf:
        return False
    conn.sock.settimeout(wait)
    try:
        return not conn.sock.recv(1, socket.MSG_PEEK)  # EOF counts as nothing more too
    except (socket.timeout, BlockingIOError):
        return True
    finally:
        conn.sock.settimeout(10.0)


class Blocking(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Terndb(threads=2)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.admin = self.server.raw()
        self.admin.call("FLUSHALL")
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()
        wait_blocked(self.admin, 0)
        self.admin.close()

    def conn(self):
        c = self.server.raw()
        self.conns.append(c)
        return c

    def block(self, *args):
        """A new connection that sends a blocking command and is seen blocked."""
        c = self.conn()
        before = info_field(self.admin, "blocked_clients")
        c.send(encode_command(*args))
        wait_blocked(self.admin, before + 1)
        return c

    def test_fractional_timeout_returns_nil(self):
        c = self.conn()
        for timeout in ("0.1", "0.25"):
            start = time.time()
            self.assertEqual(c.call("BLPOP", "nothing", timeout), b"*-1\r\n")
            elapsed = time.time() - start
            self.assertGreaterEqual(elapsed, float(timeout) - 0.01)
            self.assertLess(elapsed, float(timeout) + 1.0)
        start = time.time()
        self.assertEqual(c.call("BLMOVE", "nothing", "dst", "LEFT", "LEFT", "0.1"), b"*-1\r\n")
        self.assertLess(time.time() - start, 1.1)
        self.assertEqual(info_field(self.admin, "blocked_clients"), 0)

    def test_woken_by_push_from_another_connection(self):
        c = self.block("BLPOP", "k1", "k2", "0")
        line = self.admin.call("CLIENT", "LIST")
        self.assertIn(b"flags=b ", line)
        self.assertIn(b"cmd=blpop ", line)
        self.assertEqual(self.admin.call("RPUSH", "k2", "a", "b"), b":2\r\n")
        self.assertEqual(c.read_reply(), pair("k2", "a"))
        self.assertEqual(self.admin.call("LRANGE", "k2", "0", "-1"), b"*1\r\n" + bulk("b"))
        # Commands pipelined behind a blocked one wait for it, then run in order.
        c.send(encode_command("BRPOP", "k3", "0") + encode_command("PING"))
        wait_blocked(self.admin, 1)
        self.assertTrue(nothing_more(c))
        self.admin.call("LPUSH", "k3", "x")
        self.assertEqual(c.read_reply(), pair("k3", "x"))
        self.assertEqual(c.read_reply(), b"+PONG\r\n")
        self.assertEqual(self.admin.call("EXISTS", "k3"), b":0\r\n")

    def test_hundred_clients_served_in_blocking_order(self):
        # Connections are dealt round-robin to the two io threads, so consecutive waiters
        # live on different threads; each blocks only after the previous one is seen blocked.
        waiters = [self.block("BLPOP", "queue", "0") for _ in range(100)]
        pushers = [self.conn() for _ in range(5)]
        for i in range(100):
            cmd = "LPUSH" if i % 2 else "RPUSH"
            # Each push creates the list and the first waiter in line takes the value.
            self.assertEqual(pushers[i % 5].call(cmd, "queue", "v%d" % i), b":1\r\n")
        for i, w in enumerate(waiters):
            self.assertEqual(w.read_reply(), pair("queue", "v%d" % i), "waiter %d" % i)
        for w in waiters:
            self.assertTrue(nothing_more(w, 0.02))
        self.assertEqual(self.admin.call("EXISTS", "queue"), b":0\r\n")
        self.assertEqual(info_field(self.admin, "blocked_clients"), 0)

    def test_one_push_of_many_values_serves_many_waiters(self):
        waiters = [self.block("BRPOP", "q", "0") for _ in range(3)]
        self.assertEqual(self.admin.call("RPUSH", "q", "a", "b", "c", "d"), b":4\r\n")
        self.assertEqual([w.read_reply() for w in waiters],
                         [pair("q", "d"), pair("q", "c"), pair("q", "b")])
        self.assertEqual(self.admin.call("LRANGE", "q", "0", "-1"), b"*1\r\n" + bulk("a"))

    def test_blmove_between_shards_is_atomic(self):
        # Key pairs land in all combinations of shard order (same, lower, higher); each move
        # is all or nothing as seen by a transaction, and ends with the value in dst only.
        pusher = self.conn()
        for i in range(60):
            src, dst = "src:%d" % i, "dst:%d" % i
            side = "LEFT" if i % 2 else "RIGHT"
            cmd = ("BLMOVE", src, dst, "LEFT", side, "0") if i % 3 else ("BRPOPLPUSH", src, dst, "0")
            w = self.block(*cmd)
            self.assertEqual(pusher.call("LPUSH", src, "val%d" % i), b":1\r\n")
            pusher.send(encode_command("MULTI") + encode_command("LLEN", src) +
                        encode_command("LLEN", dst) + encode_command("EXEC"))
            for _ in range(3):
                pusher.read_reply()
            lens = pusher.read_reply()
            self.assertIn(lens, (b"*2\r\n:1\r\n:0\r\n", b"*2\r\n:0\r\n:1\r\n"))
            self.assertEqual(w.read_reply(), bulk("val%d" % i))
            self.assertEqual(pusher.call("LRANGE", dst, "0", "-1"), b"*1\r\n" + bulk("val%d" % i))
            self.assertEqual(pusher.call("EXISTS", src), b":0\r\n")

    def test_two_blmove_waiters_share_one_push(self):
        # Whether a waiter is served by the pushing thread or reruns on its own thread (its
        # destination's shard is below the source's), the second value reaches the second
        # waiter without another push.
        for i in range(30):
            src = "two:%d" % i
            w1 = self.block("BLMOVE", src, "first:%d" % i, "LEFT", "LEFT", "0")
            w2 = self.block("BRPOPLPUSH", src, "second:%d" % i, "0")
            self.assertEqual(self.admin.call("RPUSH", src, "a", "b"), b":2\r\n")
            self.assertEqual(w1.read_reply(), bulk("a"))
            self.assertEqual(w2.read_reply(), bulk("b"))
            self.assertEqual(self.admin.call("EXISTS", src), b":0\r\n")

    def test_blmove_ring_under_load_loses_nothing(self):
        # Clients on both threads move tokens around a ring of keys with BLMOVE while others
        # push and pop; nothing is lost or duplicated and nobody deadlocks.
        keys = ["ring:%d" % i for i in range(8)]
        tokens = 40
        seed = self.conn()
        for t in range(tokens):
            seed.call("RPUSH", keys[t % len(keys)], "t%d" % t)
        stop = threading.Event()
        errors = []

        def mover(i):
            try:
                c = RawConnection(self.server.port)
                src, dst = keys[i % len(keys)], keys[(i * 3 + 1) % len(keys)]
                while not stop.is_set():
                    reply = c.call("BLMOVE", src, dst, "LEFT", "RIGHT", "0.05")
                    if not (reply.startswith(b"$") or reply == b"*-1\r\n"):
                        errors.append(reply)
                c.close()
            except Exception as e:  # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=mover, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(30)
            self.assertFalse(t.is_alive(), "a mover is stuck")
        self.assertEqual(errors, [])
        wait_blocked(self.admin, 0)
        total = 0
        seen = []
        for k in keys:
            items = seed.call("LRANGE", k, "0", "-1").split(b"\r\n")
            seen += [x for x in items if x.startswith(b"t")]
            total += int(seed.call("LLEN", k)[1:-2])
        self.assertEqual(total, tokens)
        self.assertEqual(sorted(seen), sorted(b"t%d" % t for t in range(tokens)))

    def test_chained_wakeups(self):
        # A push to `a` moves into `b`, which wakes a BLMOVE back to `a`, which wakes a BLPOP
        # on `a`: each waiter is served once and the value ends with the last one.
        for i in range(20):
            a, b = "chain-a:%d" % i, "chain-b:%d" % i
            w1 = self.block("BLMOVE", a, b, "LEFT", "LEFT", "0")
            w2 = self.block("BLMOVE", b, a, "LEFT", "LEFT", "0")
            w3 = self.block("BLPOP", a, "0")
            self.admin.call("LPUSH", a, "x%d" % i)
            self.assertEqual(w1.read_reply(), bulk("x%d" % i))
            self.assertEqual(w2.read_reply(), bulk("x%d" % i))
            self.assertEqual(w3.read_reply(), pair(a, "x%d" % i))
            wait_blocked(self.admin, 0)
            self.assertEqual(self.admin.call("EXISTS", a, b), b":0\r\n")

    def test_multi_does_not_block(self):
        c = self.conn()
        c.send(b"".join(encode_command(*cmd) for cmd in [
            ("MULTI",), ("BLPOP", "nothing", "0"), ("BLMOVE", "nothing", "d", "LEFT", "LEFT", "0"),
            ("BLMPOP", "0", "1", "nothing", "LEFT"), ("EXEC",)]))
        for _ in range(4):
            c.read_reply()
        self.assertEqual(c.read_reply(), b"*3\r\n*-1\r\n$-1\r\n*-1\r\n")
        self.assertEqual(info_field(self.admin, "blocked_clients"), 0)

    def test_push_inside_transaction_serves_after_exec(self):
        w1 = self.block("BLPOP", "tx", "0")
        w2 = self.block("BLPOP", "tx", "0")
        c = self.conn()
        c.send(b"".join(encode_command(*cmd) for cmd in [
            ("MULTI",), ("RPUSH", "tx", "a"), ("RPUSH", "tx", "b"), ("LLEN", "tx"), ("EXEC",)]))
        for _ in range(4):
            c.read_reply()
        self.assertEqual(c.read_reply(), b"*3\r\n:1\r\n:2\r\n:2\r\n")
        self.assertEqual(w1.read_reply(), pair("tx", "a"))
        self.assertEqual(w2.read_reply(), pair("tx", "b"))

    def test_wrong_type_key_does_not_wake(self):
        w = self.block("BLPOP", "typed", "0")
        self.admin.call("SET", "typed", "string")
        self.assertTrue(nothing_more(w))
        self.admin.call("DEL", "typed")
        self.admin.call("RPUSH", "typed", "v")
        self.assertEqual(w.read_reply(), pair("typed", "v"))

    def test_client_unblock(self):
        admin = self.admin
        w = self.conn()
        wid = int(w.call("CLIENT", "ID")[1:-2])
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", str(wid)), b":0\r\n")  # not blocked
        w.send(encode_command("BLPOP", "u", "0"))
        wait_blocked(admin, 1)
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", str(wid)), b":1\r\n")
        self.assertEqual(w.read_reply(), b"*-1\r\n")
        wait_blocked(admin, 0)
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", str(wid)), b":0\r\n")
        # ERROR, on a BLMOVE; the client then runs its next command normally.
        w.send(encode_command("BLMOVE", "u", "v", "LEFT", "LEFT", "0"))
        wait_blocked(admin, 1)
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", str(wid), "error"), b":1\r\n")
        self.assertEqual(w.read_reply(), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        self.assertEqual(w.call("PING"), b"+PONG\r\n")
        # TIMEOUT spelled out, on a BLMOVE: the timeout reply of Redis 7.0 (a null array).
        w.send(encode_command("BRPOPLPUSH", "u", "v", "0"))
        wait_blocked(admin, 1)
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", str(wid), "TIMEOUT"), b":1\r\n")
        self.assertEqual(w.read_reply(), b"*-1\r\n")
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", str(wid), "foo"),
                         b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n")
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", "999999"), b":0\r\n")
        self.assertEqual(admin.call("CLIENT", "UNBLOCK", "x"),
                         b"-ERR value is not an integer or out of range\r\n")
        # An unblocked client no longer waits: a later push stays in the list.
        admin.call("RPUSH", "u", "kept")
        self.assertEqual(admin.call("LLEN", "u"), b":1\r\n")

    def test_disconnected_client_does_not_eat_a_push(self):
        gone = self.block("BLPOP", "d", "0")
        stays = self.block("BLPOP", "d", "0")
        gone.close()
        wait_blocked(self.admin, 1)
        self.admin.call("RPUSH", "d", "first")
        self.assertEqual(stays.read_reply(), pair("d", "first"))
        gone2 = self.block("BLMOVE", "d", "e", "LEFT", "LEFT", "0")
        gone2.close()
        wait_blocked(self.admin, 0)
        self.admin.call("RPUSH", "d", "second")
        self.assertEqual(self.admin.call("LRANGE", "d", "0", "-1"), b"*1\r\n" + bulk("second"))
        self.assertEqual(self.admin.call("EXISTS", "e"), b":0\r\n")

    def test_timeout_and_push_race(self):
        # Waiters whose timeouts expire while pushes arrive get either a value or nil, never
        # both, and no value is lost.
        pusher = self.conn()
        waiters = []
        for i in range(30):
            c = self.conn()
            c.send(encode_command("BLPOP", "race", "0.05"))
            waiters.append(c)
        pushed = 0
        deadline = time.time() + 0.15
        while time.time() < deadline:
            pusher.call("RPUSH", "race", "p%d" % pushed)
            pushed += 1
        got = 0
        for c in waiters:
            reply = c.read_reply()
            if reply != b"*-1\r\n":
                self.assertTrue(reply.startswith(b"*2\r\n"))
                got += 1
            self.assertTrue(nothing_more(c, 0.01))
        self.assertEqual(got + int(pusher.call("LLEN", "race")[1:-2]), pushed)


class BlockingRepliesSideBySide(SideBySide):
    """Replies of served blocked clients, byte for byte as Redis 7.0 sends them."""

    def blocked_pair(self, blocking, *pushes, resp3=False):
        replies = []
        for server in (self.terndb, self.redis):
            admin = server.raw()
            admin.call("FLUSHALL")
            w = server.raw()
            if resp3:
                w.call("HELLO", "3")
            w.send(encode_command(*blocking))
            wait_until(lambda: info_field(admin, "blocked_clients") == 1, what="blocked")
            for p in pushes:
                admin.call(*p)
            replies.append(w.read_reply())
            w.close()
            admin.close()
        self.assertEqual(replies[0], replies[1], blocking)
        return replies[0]

    def test_served_replies(self):
        for resp3 in (False, True):
            self.blocked_pair(("BLPOP", "a", "b", "0"), ("RPUSH", "b", "x", "y"), resp3=resp3)
            self.blocked_pair(("BRPOP", "a", "0"), ("RPUSH", "a", "x", "y"), resp3=resp3)
            self.blocked_pair(("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"),
                              ("RPUSH", "b", "x", "y", "z"), resp3=resp3)
            self.blocked_pair(("BLMPOP", "0", "1", "a", "LEFT"), ("RPUSH", "a", "x", "y"),
                              resp3=resp3)
            self.blocked_pair(("BLMOVE", "a", "b", "RIGHT", "LEFT", "0"),
                              ("RPUSH", "a", "x", "y"), resp3=resp3)
            self.blocked_pair(("BRPOPLPUSH", "a", "a", "0"), ("RPUSH", "a", "x"), resp3=resp3)

    def test_destination_of_wrong_type(self):
        # The blocked BLMOVE gets WRONGTYPE when its destination turned into a string.
        self.blocked_pair(("BLMOVE", "a", "b", "LEFT", "LEFT", "0"), ("SET", "b", "s"),
                          ("RPUSH", "a", "x"))
        self.same("LRANGE", "a", "0", "-1")

    def test_swapdb_serves_clients_blocked_on_keys_it_fills(self):
        self.blocked_pair(("BLPOP", "a", "0"), ("SELECT", "1"), ("RPUSH", "a", "x", "y"),
                          ("SWAPDB", "0", "1"))
        self.same("LRANGE", "a", "0", "-1")
        self.blocked_pair(("BZPOPMIN", "z", "0"), ("SELECT", "2"), ("ZADD", "z", "1", "m"),
                          ("SWAPDB", "2", "0"))
        self.blocked_pair(("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"), ("SELECT", "1"),
                          ("RPUSH", "src", "v"), ("MULTI",), ("SWAPDB", "1", "0"), ("EXEC",))
        self.same("LRANGE", "dst", "0", "-1")
        self.blocked_pair(("BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "5"), ("SELECT", "3"),
                          ("RPUSH", "y", "1", "2"), ("SWAPDB", "0", "3"))

    def test_flush_and_swap_without_data_wake_no_one(self):
        replies = []
        for server in (self.terndb, self.redis):
            admin = server.raw()
            admin.call("FLUSHALL")
            w = server.raw()
            w.send(encode_command("BLPOP", "a", "0"))
            wait_until(lambda: info_field(admin, "blocked_clients") == 1, what="blocked")
            for cmd in (("FLUSHDB",), ("FLUSHALL",), ("SELECT", "1"), ("SET", "a", "string"),
                        ("SWAPDB", "0", "1"), ("FLUSHALL", "ASYNC"), ("SWAPDB", "0", "5")):
                admin.call(*cmd)
            self.assertTrue(nothing_more(w), server)
            self.assertEqual(info_field(admin, "blocked_clients"), 1)
            admin.call("SELECT", "0")
            admin.call("RPUSH", "a", "v")
            replies.append(w.read_reply())
            w.close()
            admin.close()
        self.assertEqual(replies[0], replies[1])
        self.assertEqual(replies[0], pair("a", "v"))

    def test_timeout_replies_resp3(self):
        for conn in (self.t, self.r):
            conn.call("HELLO", "3")
        self.same("BLPOP", "nothing", "0.05")
        self.same("BRPOPLPUSH", "nothing", "x", "0.05")


if __name__ == "__main__":
    main()
