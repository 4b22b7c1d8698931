"""maxmemory-clients (client eviction): past the limit the clients holding the most memory
are disconnected, a CLIENT NO-EVICT one is not, and INFO stats counts evicted_clients.

Every scenario runs against terndb and against redis-server 7.0 with the same assertions,
so the test describes Redis's behaviour and not only ours."""
import time
import unittest

import redis

import harness
from harness import RedisServer, Terndb

LIMIT = 2 * 1024 * 1024
BIG = 8 * 1024 * 1024  # one value; three unread GETs of it are 24 MB of replies


def wait_for(predicate, what, timeout=30.0):
    """Polls until predicate() is true; fails with `what` after a generous time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def client_fields(ctl, name):
    """CLIENT LIST's fields of the client called `name`, or None when it is not connected."""
    for c in ctl.client_list():
        if c.get("name") == name:
            return c
    return None


def evicted_clients(ctl):
    return int(ctl.info("stats")["evicted_clients"])


class ClientEvictionMixin:
    """Scenarios; subclasses say which server they run on."""

    def start_server(self):
        raise NotImplementedError

    def setUp(self):
        self.server = self.start_server()
        self.ctl = self.server.client()
        self.ctl.client_no_evict("on")
        # The big value is built from small appends: a control connection that sent one
        # 8 MB SET would keep a large query buffer of its own.
        chunk = b"x" * 65536
        pipe = self.ctl.pipeline(transaction=False)
        for _ in range(BIG // len(chunk)):
            pipe.append("big", chunk)
        pipe.execute()
        self.assertEqual(self.ctl.strlen("big"), BIG)
        self.ctl.config_set("maxmemory-clients", LIMIT)
        self.ctl.config_resetstat()
        self.connections = []

    def tearDown(self):
        for c in self.connections:
            c.disconnect()
        self.ctl.close()
        self.server.stop()

    def connect(self, name):
        conn = redis.Connection(host="127.0.0.1", port=self.server.port)
        conn.connect()
        conn.send_command("CLIENT", "SETNAME", name)
        self.assertEqual(conn.read_response(), b"OK")
        self.connections.append(conn)
        return conn

    def assert_disconnected(self, conn):
        with self.assertRaises((redis.ConnectionError, ConnectionError, OSError)):
            conn._sock.settimeout(30)
            while conn._sock.recv(1 << 20):
                pass
            raise ConnectionError("closed by the server")

    def wait_gone(self, name):
        wait_for(lambda: client_fields(self.ctl, name) is None, "%s to be evicted" % name)

    def test_big_pending_query_is_evicted(self):
        conn = self.connect("bigquery")
        # A 4 MB argument of which half has arrived: the query buffer holds its frame.
        sent = True
        try:
            conn.send_packed_command([b"*3\r\n$3\r\nSET\r\n$8\r\nnew-key1\r\n$4000000\r\n" +
                                      b"q" * 2000000])
        except (redis.ConnectionError, ConnectionError, OSError):
            sent = False  # evicted, and reset, while the half-query was still being sent
        self.wait_gone("bigquery")
        self.assertEqual(evicted_clients(self.ctl), 1)
        self.assertFalse(self.ctl.exists("new-key1"))
        if sent:
            self.assert_disconnected(conn)

    def test_big_unread_reply_is_evicted(self):
        small = self.connect("small")
        conn = self.connect("bigreply")
        conn.send_packed_command([b"GET big\r\nGET big\r\nGET big\r\n"])
        self.wait_gone("bigreply")
        self.assertEqual(evicted_clients(self.ctl), 1)
        self.assert_disconnected(conn)
        # Only as many clients as needed go: the small one is still served.
        small.send_command("PING")
        self.assertEqual(small.read_response(), b"PONG")
        self.assertIsNotNone(client_fields(self.ctl, "small"))

    def test_no_evict_client_stays(self):
        keeper = self.connect("keeper")
        keeper.send_command("CLIENT", "NO-EVICT", "on")
        self.assertEqual(keeper.read_response(), b"OK")
        keeper.send_packed_command([b"GET big\r\nGET big\r\nGET big\r\n"])
        # Its unread replies alone are over the limit...
        wait_for(lambda: int(client_fields(self.ctl, "keeper")["tot-mem"]) > LIMIT,
                 "the keeper's output to be counted")
        # ...so any evictable client now goes, and the keeper does not. The other client may
        # be evicted as soon as it is connected (redis-server checks after every command),
        # before its name is set: the same outcome.
        other = redis.Connection(host="127.0.0.1", port=self.server.port)
        self.connections.append(other)
        try:
            other.connect()
            other.send_command("CLIENT", "SETNAME", "other")
            self.assertEqual(other.read_response(), b"OK")
            other.send_packed_command([b"*3\r\n$3\r\nSET\r\n$8\r\nnew-key2\r\n$400000\r\n" +
                                       b"o" * 200000])
            self.wait_gone("other")
        except (redis.ConnectionError, ConnectionError, OSError):
            pass
        wait_for(lambda: evicted_clients(self.ctl) == 1, "the other client's eviction")
        self.assertFalse(self.ctl.exists("new-key2"))
        self.assertIn("e", client_fields(self.ctl, "keeper")["flags"])
        for _ in range(3):
            self.assertEqual(keeper.read_response(), b"x" * BIG)
        keeper.send_command("PING")
        self.assertEqual(keeper.read_response(), b"PONG")

    def test_percent_of_maxmemory_and_resetstat(self):
        self.ctl.config_set("maxmemory", 100 * 1024 * 1024)
        self.ctl.config_set("maxmemory-policy", "allkeys-lru")
        self.ctl.config_set("maxmemory-clients", "2%")  # 2 MB of 100 MB
        conn = self.connect("bigreply")
        conn.send_packed_command([b"GET big\r\nGET big\r\nGET big\r\n"])
        self.wait_gone("bigreply")
        self.assertEqual(evicted_clients(self.ctl), 1)
        self.ctl.config_resetstat()
        self.assertEqual(evicted_clients(self.ctl), 0)

    def test_no_limit_evicts_nobody(self):
        self.ctl.config_set("maxmemory-clients", 0)
        conn = self.connect("bigreply")
        conn.send_packed_command([b"GET big\r\nGET big\r\nGET big\r\n"])
        wait_for(lambda: int(client_fields(self.ctl, "bigreply")["tot-mem"]) > LIMIT,
                 "the reply to be counted")
        # It stays connected and gets every reply.
        conn2 = self.connect("later")
        conn2.send_command("PING")
        self.assertEqual(conn2.read_response(), b"PONG")
        for _ in range(3):
            self.assertEqual(conn.read_response(), b"x" * BIG)
        self.assertEqual(evicted_clients(self.ctl), 0)


class OnTerndb(ClientEvictionMixin, unittest.TestCase):
    def start_server(self):
        return Terndb()


class OnRedis(ClientEvictionMixin, unittest.TestCase):
    def start_server(self):
        return RedisServer()


if __name__ == "__main__":
    harness.main()
