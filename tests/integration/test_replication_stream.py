"""What the replication stream carries for writes that are not plain commands: keys that
expire on the master arrive as DELs, blocking pops as the pop that served them, and
transactions and scripts as their effects. The replica is Debian's redis-server 7.0, so the
stream is checked by the reference implementation itself."""
import threading
import time
import unittest

from harness import RedisServer, Terndb, main
from repl_util import digest, wait_caught_up, wait_link_up, wait_until


class StreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.master = Terndb("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0")
        cls.replica = RedisServer("--enable-debug-command", "yes", "--replicaof", "127.0.0.1",
                                  cls.master.port)
        cls.mc = cls.master.client()
        cls.rc = cls.replica.client()
        wait_link_up(cls.rc)

    @classmethod
    def tearDownClass(cls):
        cls.replica.stop()
        cls.master.stop()

    def setUp(self):
        self.mc.flushall()
        wait_caught_up(self.mc, self.rc)

    def test_expired_keys_arrive_as_del(self):
        self.mc.set("short", "v", px=200)
        self.mc.set("long", "v", ex=1000)
        wait_caught_up(self.mc, self.rc)
        self.assertEqual(self.rc.dbsize(), 2)
        # The master's active expiry deletes the key; a replica never does so itself, so
        # its DBSIZE (which counts logically expired keys) drops only through our DEL.
        wait_until(lambda: self.rc.dbsize() == 1, 10, what="DEL of the expired key")
        self.assertEqual(self.rc.keys("*"), [b"long"])
        self.assertEqual(digest(self.mc), digest(self.rc))

    def test_lazily_expired_key_read_on_master(self):
        self.mc.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 0)
        try:
            self.mc.set("lazy", "v", px=100)
            wait_caught_up(self.mc, self.rc)
            time.sleep(0.3)
            self.assertIsNone(self.mc.get("lazy"))  # deletes it on the master
            wait_until(lambda: self.rc.dbsize() == 0, 10, what="DEL after lazy expiry")
        finally:
            self.mc.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 1)

    def test_blocking_pop_served_by_a_push(self):
        other = self.master.client()
        got = []
        t = threading.Thread(target=lambda: got.append(other.blpop(["q"], 10)))
        t.start()
        wait_until(lambda: self.mc.info("clients")["blocked_clients"] == 1, 5, what="blocked")
        self.mc.rpush("q", "a", "b")
        t.join()
        self.assertEqual(got, [(b"q", b"a")])
        wait_caught_up(self.mc, self.rc)
        self.assertEqual(self.rc.lrange("q", 0, -1), [b"b"])
        self.assertEqual(digest(self.mc), digest(self.rc))

    def test_random_and_relative_commands(self):
        self.mc.sadd("s", *range(100))
        self.mc.execute_command("SPOP", "s", 10)
        self.mc.execute_command("INCRBYFLOAT", "f", "0.1")
        self.mc.execute_command("INCRBYFLOAT", "f", "0.2")
        self.mc.execute_command("SET", "e", "v", "EX", 500)
        self.mc.execute_command("EXPIRE", "s", 700)
        self.mc.execute_command("EVAL", "redis.call('SPOP', KEYS[1]) "
                                "redis.call('SET', KEYS[2], ARGV[1])", 2, "s", "x", "y")
        # A client of its own: SELECT inside the transaction changes its connection's db.
        other = self.master.client()
        p = other.pipeline(transaction=True)
        p.execute_command("SPOP", "s")
        p.execute_command("SELECT", 3)
        p.set("in3", "v")
        p.execute()
        other.close()
        wait_caught_up(self.mc, self.rc)
        self.assertEqual(digest(self.mc), digest(self.rc))
        self.assertEqual(self.mc.ttl("e"), self.rc.ttl("e"))


if __name__ == "__main__":
    main()
