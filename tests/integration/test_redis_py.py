"""redis-py (Debian's python3-redis) against terndb: string commands, pipelines, database
selection from a URL, AUTH, and RESP3 through HELLO."""
import unittest

import redis

from harness import RedisServer, Terndb, main


class RedisPyStrings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.terndb = Terndb()

    @classmethod
    def tearDownClass(cls):
        cls.terndb.stop()

    def setUp(self):
        self.r = self.terndb.client()
        self.r.flushall()

    def tearDown(self):
        self.r.close()
        self.assertTrue(self.terndb.alive(), self.terndb.log())

    def test_string_commands(self):
        r = self.r
        self.assertTrue(r.set("name", "tern"))
        self.assertEqual(r.get("name"), b"tern")
        self.assertIsNone(r.get("nothing"))
        self.assertIsNone(r.set("name", "other", nx=True))
        self.assertTrue(r.set("name", "other", xx=True))
        self.assertEqual(r.getset("name", "third"), b"other")
        self.assertEqual(r.append("name", "!"), 6)
        self.assertEqual(r.strlen("name"), 6)
        self.assertEqual(r.getrange("name", 1, 3), b"hir")
        self.assertEqual(r.setrange("name", 0, "T"), 6)
        self.assertEqual(r.get("name"), b"Third!")
        self.assertEqual(r.incr("n"), 1)
        self.assertEqual(r.incrby("n", 41), 42)
        self.assertEqual(r.decr("n"), 41)
        self.assertEqual(r.decrby("n", 50), -9)
        self.assertAlmostEqual(r.incrbyfloat("f", 2.5), 2.5)
        self.assertEqual(r.get("f"), b"2.5")
        self.assertTrue(r.mset({"a": "1", "b": "2"}))
        self.assertEqual(r.mget("a", "b", "c"), [b"1", b"2", None])
        self.assertFalse(r.msetnx({"a": "x", "c": "3"}))
        self.assertTrue(r.msetnx({"c": "3", "d": "4"}))
        self.assertTrue(r.setnx("e", "5"))
        self.assertFalse(r.setnx("e", "6"))
        self.assertEqual(r.getdel("e"), b"5")
        self.assertIsNone(r.get("e"))
        with self.assertRaises(redis.ResponseError) as err:
            r.incr("name")
        self.assertEqual(str(err.exception), "value is not an integer or out of range")

    def test_expiry_options(self):
        r = self.r
        self.assertTrue(r.set("k", "v", ex=100))
        self.assertEqual(r.ttl("k"), 100)
        self.assertTrue(r.setex("s", 50, "v"))
        self.assertTrue(0 < r.pttl("s") <= 50000)
        self.assertTrue(r.psetex("p", 1500, "v"))
        self.assertEqual(r.getex("p", persist=True), b"v")
        self.assertEqual(r.ttl("p"), -1)
        self.assertEqual(r.ttl("absent"), -2)

    def test_binary_and_large_values(self):
        r = self.r
        blob = bytes(range(256)) * 4
        self.assertTrue(r.set(b"bin\x00key\xff", blob))
        self.assertEqual(r.get(b"bin\x00key\xff"), blob)
        big = b"x" * (3 * 1024 * 1024)
        self.assertTrue(r.set("big", big))
        self.assertEqual(r.get("big"), big)
        self.assertEqual(r.strlen("big"), len(big))
        self.assertEqual(r.set("empty", ""), True)
        self.assertEqual(r.get("empty"), b"")

    def test_pipeline_without_transaction(self):
        r = self.r
        pipe = r.pipeline(transaction=False)
        for i in range(1000):
            pipe.set("p:%d" % i, i)
        for i in range(1000):
            pipe.incr("p:%d" % i)
        pipe.get("p:999")
        pipe.incr("not-a-number-after", 1)
        pipe.dbsize()
        results = pipe.execute()
        self.assertEqual(results[:1000], [True] * 1000)
        self.assertEqual(results[1000:2000], list(range(1, 1001)))
        self.assertEqual(results[2000:], [b"1000", 1, 1001])

    def test_pipeline_reports_errors_in_place(self):
        pipe = self.r.pipeline(transaction=False)
        pipe.set("s", "text")
        pipe.incr("s")
        pipe.get("s")
        results = pipe.execute(raise_on_error=False)
        self.assertEqual(results[0], True)
        self.assertIsInstance(results[1], redis.ResponseError)
        self.assertEqual(results[2], b"text")

    def test_url_selects_database(self):
        url = "redis://127.0.0.1:%d/1" % self.terndb.port
        r1 = redis.Redis.from_url(url)
        self.assertTrue(r1.set("in-db-1", "yes"))
        self.assertEqual(r1.dbsize(), 1)
        self.assertIsNone(self.r.get("in-db-1"))
        self.assertEqual(self.r.dbsize(), 0)
        # A second, independent connection sees the key in database 1 only.
        other = self.terndb.client(db=1)
        self.assertEqual(other.get("in-db-1"), b"yes")
        raw = self.terndb.raw()
        self.assertEqual(raw.call("GET", "in-db-1"), b"$-1\r\n")
        self.assertEqual(raw.call("SELECT", "1"), b"+OK\r\n")
        self.assertEqual(raw.call("GET", "in-db-1"), b"$3\r\nyes\r\n")
        raw.close()
        other.close()
        r1.close()

    def test_hello_3_switches_to_resp3(self):
        raw = self.terndb.raw()
        self.assertEqual(raw.call("SET", "str", "v"), b"+OK\r\n")
        reply = raw.call("HELLO", "3")
        self.assertTrue(reply.startswith(b"%7\r\n"), reply)
        for field in (b"$6\r\nserver\r\n$5\r\nredis\r\n", b"$7\r\nversion\r\n$6\r\n7.0.15\r\n",
                      b"$5\r\nproto\r\n:3\r\n", b"$4\r\nmode\r\n$10\r\nstandalone\r\n",
                      b"$4\r\nrole\r\n$6\r\nmaster\r\n", b"$7\r\nmodules\r\n*0\r\n"):
            self.assertIn(field, reply)
        self.assertEqual(raw.call("GET", "missing"), b"_\r\n")
        self.assertEqual(raw.call("MGET", "str", "missing"), b"*2\r\n$1\r\nv\r\n_\r\n")
        self.assertEqual(raw.call("INCRBYFLOAT", "f", "1.5"), b"$3\r\n1.5\r\n")
        reply = raw.call("HELLO", "2")
        self.assertTrue(reply.startswith(b"*14\r\n"), reply)
        self.assertIn(b"$5\r\nproto\r\n:2\r\n", reply)
        self.assertEqual(raw.call("GET", "missing"), b"$-1\r\n")
        self.assertEqual(raw.call("MGET", "str", "missing"), b"*2\r\n$1\r\nv\r\n$-1\r\n")
        raw.close()

    def test_hello_errors(self):
        raw = self.terndb.raw()
        self.assertEqual(raw.call("HELLO", "4"), b"-NOPROTO unsupported protocol version\r\n")
        self.assertEqual(raw.call("HELLO", "three"),
                         b"-ERR Protocol version is not an integer or out of range\r\n")
        raw.close()


class RedisPyAuth(unittest.TestCase):
    PASSWORD = "correct horse"

    @classmethod
    def setUpClass(cls):
        cls.terndb = Terndb("--requirepass", cls.PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.terndb.stop()

    def tearDown(self):
        self.assertTrue(self.terndb.alive(), self.terndb.log())

    def test_correct_password(self):
        r = self.terndb.client(password=self.PASSWORD)
        self.assertTrue(r.ping())
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.get("k"), b"v")
        r.close()
        url = "redis://:%s@127.0.0.1:%d/4" % (self.PASSWORD.replace(" ", "%20"), self.terndb.port)
        r4 = redis.Redis.from_url(url)
        self.assertTrue(r4.set("in-four", "1"))
        self.assertEqual(r4.dbsize(), 1)
        r4.close()

    def test_wrong_password(self):
        # redis-py 4.3 maps Redis 7's WRONGPASS to a plain ResponseError.
        r = self.terndb.client(password="wrong")
        with self.assertRaises(redis.ResponseError) as err:
            r.ping()
        self.assertEqual(str(err.exception),
                         "WRONGPASS invalid username-password pair or user is disabled.")
        r.close()

    def test_no_password(self):
        r = self.terndb.client()
        with self.assertRaises(redis.AuthenticationError) as err:
            r.get("k")
        self.assertEqual(str(err.exception), "Authentication required.")
        r.close()

    def test_noauth_on_raw_socket(self):
        raw = self.terndb.raw()
        self.assertEqual(raw.call("PING"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(raw.call("GET", "k"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(raw.call("AUTH", "nope"),
                         b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        self.assertEqual(raw.call("AUTH", self.PASSWORD), b"+OK\r\n")
        self.assertEqual(raw.call("PING"), b"+PONG\r\n")
        raw.close()

    def test_auth_replies_match_redis(self):
        redis_server = RedisServer("--requirepass", self.PASSWORD)
        try:
            ours, theirs = self.terndb.raw(), redis_server.raw()
            for cmd in (["PING"], ["AUTH"], ["AUTH", "a", "b", "c"], ["AUTH", "wrong"],
                        ["AUTH", "default", "wrong"], ["HELLO", "3"], ["SELECT", "1"],
                        ["AUTH", "default", self.PASSWORD], ["DBSIZE"]):
                self.assertEqual(ours.call(*cmd), theirs.call(*cmd), cmd)
            ours.close()
            theirs.close()
        finally:
            redis_server.stop()


if __name__ == "__main__":
    main()
