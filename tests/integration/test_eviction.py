"""maxmemory and eviction: the eight policies, -OOM as redis-server 7.0 answers it, OBJECT
FREQ / IDLETIME, MEMORY USAGE / STATS / DOCTOR, INFO's memory and eviction fields, and
active expiry reclaiming a million keys that are never read again."""
# ctest-label: slow
import socket
import time
import unittest

import harness
from harness import SideBySide, Terndb, RedisServer

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def info_field(client, section, name):
    return client.info(section)[name]


def used(client):
    return int(info_field(client, "memory", "used_memory"))


def snapshot(client):
    """Every key with its type and value."""
    out = {}
    for k in client.keys("*"):
        t = client.type(k)
        if t == b"string":
            out[k] = client.get(k)
        elif t == b"list":
            out[k] = client.lrange(k, 0, -1)
        elif t == b"set":
            out[k] = sorted(client.smembers(k))
        elif t == b"hash":
            out[k] = client.hgetall(k)
        else:
            out[k] = client.zrange(k, 0, -1, withscores=True)
    return out


def fill(client, prefix, count, size, ex=None):
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.set("%s:%d" % (prefix, i), b"v" * size, ex=ex)
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()


class OutOfMemoryReplies(SideBySide):
    """Over the limit with nothing evictable, both servers answer alike."""

    def fill_both(self):
        for c in (self.t, self.r):
            for i in range(50):
                c.call("SET", "k%d" % i, "value%d" % i)
            c.call("RPUSH", "list", "a", "b")
            c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
            c.call("CONFIG", "SET", "maxmemory", "1")

    def tearDown(self):
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "maxmemory", "0")
        super().tearDown()

    def test_writes_refused_reads_and_deletes_work(self):
        self.fill_both()
        self.assertEqual(self.same("SET", "x", "1"), OOM)
        self.assertEqual(self.same("INCR", "k1"), OOM)
        self.assertEqual(self.same("LPUSH", "list", "c"), OOM)
        self.assertEqual(self.same("APPEND", "k2", "more"), OOM)
        self.script(["DBSIZE", "GET k1", "GET k2", "LRANGE list 0 -1", "EXISTS x",
                     "DEL k3", "UNLINK k4", "DBSIZE", "EXPIRE k5 100", "TTL k5", "PING"])

    def test_transactions_and_scripts(self):
        self.fill_both()
        self.script(["MULTI", "GET k1", "SET y 1", "EXEC", "EXISTS y",
                     "MULTI", "DISCARD", "DBSIZE"])
        self.same("EVAL", "return redis.call('get', 'k1')", "0")
        self.same("EVAL", "return redis.pcall('set', 'y', '1')", "0")
        self.same("EXISTS", "y")

    def test_volatile_policy_without_volatile_keys(self):
        self.fill_both()
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
        self.assertEqual(self.same("SET", "x", "1"), OOM)
        self.script(["DBSIZE", "GET k10"])


class ObjectFreqAndIdletime(SideBySide):
    def test_errors_under_non_lfu_policies(self):
        for policy in ("noeviction", "allkeys-lru", "volatile-ttl", "allkeys-random"):
            for c in (self.t, self.r):
                c.call("CONFIG", "SET", "maxmemory-policy", policy)
            self.script(["SET k v", "OBJECT FREQ k", "OBJECT FREQ missing", "OBJECT IDLETIME k"])

    def test_lfu_counts_accesses(self):
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        self.script(["SET k v", "OBJECT FREQ k", "OBJECT IDLETIME k", "SET k w",
                     "OBJECT FREQ k"])
        for c in (self.t, self.r):
            for _ in range(200):
                c.call("GET", "k")
        ours = int(self.t.call("OBJECT", "FREQ", "k")[1:])
        theirs = int(self.r.call("OBJECT", "FREQ", "k")[1:])
        # The counter grows by chance (probability 1/((counter-5)*lfu-log-factor+1) per
        # access): after 200 accesses from 5 it ends between 7 and 19 in 100,000 trials
        # of that rule, for both servers alike; two draws may differ by more than 5.
        self.assertTrue(7 <= theirs <= 20, theirs)
        self.assertTrue(7 <= ours <= 20, ours)
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")


class MemoryCommands(SideBySide):
    def test_usage_arguments(self):
        self.script(["SET a 1", "MEMORY USAGE missing", "MEMORY USAGE a SAMPLES x",
                     "MEMORY USAGE a SAMPLES -1", "MEMORY USAGE a FOO 1",
                     "MEMORY USAGE a SAMPLES", "MEMORY USAGE", "MEMORY PURGE", "MEMORY FOO",
                     "MEMORY STATS extra", "MEMORY HELP"])

    def test_usage_same_order_of_magnitude_as_redis(self):
        for c in (self.t, self.r):
            c.call("SET", "int", "12345")
            c.call("SET", "short", "hello")
            c.call("SET", "long", "x" * 1000)
            c.call("RPUSH", "list", *["e%d" % i for i in range(100)])
            c.call("HSET", "hash", *[x for i in range(1000) for x in ("f%d" % i, "v%d" % i)])
            c.call("SADD", "set", *["m%d" % i for i in range(1000)])
            c.call("ZADD", "zset", *[x for i in range(200) for x in (str(i), "m%d" % i)])
        for key in ("int", "short", "long", "list", "hash", "set", "zset"):
            ours = int(self.t.call("MEMORY", "USAGE", key, "SAMPLES", "0")[1:])
            theirs = int(self.r.call("MEMORY", "USAGE", key, "SAMPLES", "0")[1:])
            self.assertGreater(ours, theirs / 4, key)
            self.assertLess(ours, theirs * 2, key)

    def test_stats_fields_and_doctor(self):
        self.t.call("SET", "a", "1")
        c = self.terndb.client()
        stats = c.memory_stats()
        theirs = self.redis.client().memory_stats()
        self.assertEqual([k for k in stats if not k.startswith("db.")],
                         [k for k in theirs if not k.startswith("db.")])
        self.assertEqual(stats["keys.count"], 1)
        self.assertIn("db.0", stats)
        self.assertIn(b"Sam", c.execute_command("MEMORY", "DOCTOR"))


class Eviction(unittest.TestCase):
    def setUp(self):
        self.srv = Terndb()
        self.c = self.srv.client()

    def tearDown(self):
        self.srv.stop()

    def limit_at(self, extra):
        """Sets maxmemory `extra` bytes above what is used now; returns it."""
        limit = used(self.c) + extra
        self.c.config_set("maxmemory", limit)
        return limit

    def test_allkeys_lru_keeps_recently_used_keys(self):
        self.c.config_set("maxmemory-policy", "allkeys-lru")
        self.c.config_set("maxmemory-samples", 10)
        fill(self.c, "hot", 300, 1000)
        fill(self.c, "cold", 300, 1000)
        limit = self.limit_at(3 * 1024 * 1024)
        time.sleep(2.2)  # the LRU clock counts seconds
        pipe = self.c.pipeline(transaction=False)
        for i in range(300):
            pipe.get("hot:%d" % i)
        pipe.execute()
        # Write new keys until about 150 were evicted: fewer than the cold ones.
        evicted = 0
        batch = 0
        while evicted < 150:
            fill(self.c, "new%d" % batch, 50, 1000)
            batch += 1
            evicted = int(info_field(self.c, "stats", "evicted_keys"))
        self.assertLessEqual(used(self.c), limit + 64 * 1024)
        self.assertLess(evicted, 250)
        hot = sum(self.c.exists("hot:%d" % i) for i in range(300))
        cold = sum(self.c.exists("cold:%d" % i) for i in range(300))
        self.assertGreater(hot, 280)
        self.assertLess(cold, 300 - evicted * 0.6)

    def test_allkeys_lfu_keeps_frequently_used_keys(self):
        self.c.config_set("maxmemory-policy", "allkeys-lfu")
        fill(self.c, "hot", 200, 1000)
        fill(self.c, "cold", 200, 1000)
        pipe = self.c.pipeline(transaction=False)
        for _ in range(100):
            for i in range(200):
                pipe.get("hot:%d" % i)
        pipe.execute()
        self.assertGreater(self.c.object("freq", "hot:1"), 7)
        self.limit_at(2 * 1024 * 1024)
        fill(self.c, "new", 3000, 1000)
        hot = sum(self.c.exists("hot:%d" % i) for i in range(200))
        cold = sum(self.c.exists("cold:%d" % i) for i in range(200))
        self.assertEqual(hot, 200)
        # Cold and new keys tie on the counter (never read), so which of them go is a
        # draw: about a third of the cold ones, and never too few (151 seen under ASan).
        self.assertLess(cold, 180)

    def test_allkeys_random_and_volatile_random(self):
        self.c.config_set("maxmemory-policy", "allkeys-random")
        self.limit_at(1024 * 1024)
        fill(self.c, "k", 3000, 1000)
        self.assertGreater(int(info_field(self.c, "stats", "evicted_keys")), 1000)
        self.c.flushall()
        self.c.config_set("maxmemory", 0)
        self.c.config_set("maxmemory-policy", "volatile-random")
        fill(self.c, "keep", 200, 1000)
        fill(self.c, "vol", 1000, 1000, ex=1000)
        self.c.config_set("maxmemory", used(self.c) - 300 * 1024)
        self.assertEqual(sum(self.c.exists("keep:%d" % i) for i in range(200)), 200)
        self.assertLess(self.c.dbsize(), 1200)

    def test_volatile_ttl_evicts_soonest_expiring_first(self):
        self.c.config_set("maxmemory-policy", "volatile-ttl")
        self.c.config_set("maxmemory-samples", 10)
        fill(self.c, "keep", 100, 100)
        pipe = self.c.pipeline(transaction=False)
        for i in range(200):
            pipe.set("vol:%d" % i, b"x" * 8000, ex=1000 + i * 100)
        pipe.execute()
        # Lower the limit by about 40 of the 200 volatile values: CONFIG SET evicts down.
        self.c.config_set("maxmemory", used(self.c) - 40 * 8192)
        gone = [i for i in range(200) if not self.c.exists("vol:%d" % i)]
        self.assertGreaterEqual(len(gone), 35)
        self.assertLess(len(gone), 80)
        # Sampling is approximate, as in Redis, but what went is the soonest to expire.
        self.assertLess(sum(gone) / len(gone), 50)
        self.assertLess(max(gone), 120)
        self.assertEqual(sum(self.c.exists("keep:%d" % i) for i in range(100)), 100)

    def test_volatile_lru_never_evicts_keys_without_ttl(self):
        self.c.config_set("maxmemory-policy", "volatile-lru")
        fill(self.c, "keep", 500, 1000)
        fill(self.c, "vol", 500, 1000, ex=1000)
        self.limit_at(0)
        fill(self.c, "vol2", 300, 1000, ex=1000)
        self.assertEqual(sum(self.c.exists("keep:%d" % i) for i in range(500)), 500)
        self.assertGreater(int(info_field(self.c, "stats", "evicted_keys")), 200)
        # Once every volatile key is gone, writes are refused and the rest stays.
        self.c.config_set("maxmemory", used(self.c) - 600 * 1024)
        self.c.config_set("maxmemory", 1)
        self.assertEqual(self.c.dbsize(), 500)
        with self.assertRaises(Exception) as ctx:
            self.c.set("another", "v")
        self.assertIn("OOM command not allowed", str(ctx.exception))
        self.assertEqual(self.c.get("keep:7"), b"v" * 1000)

    def test_noeviction_changes_nothing(self):
        fill(self.c, "k", 2000, 500)
        self.c.rpush("list", *range(100))
        self.c.config_set("maxmemory", used(self.c) - 100 * 1024)
        before = snapshot(self.c)
        for cmd in (("SET", "new", "v"), ("SET", "k:1", "w"), ("RPUSH", "list", "x"),
                    ("INCR", "counter"), ("HSET", "h", "f", "v")):
            with self.assertRaises(Exception) as ctx:
                self.c.execute_command(*cmd)
            self.assertEqual(str(ctx.exception),
                             "OOM command not allowed when used memory > 'maxmemory'.")
        self.assertEqual(snapshot(self.c), before)
        self.assertEqual(self.c.get("k:5"), b"v" * 500)
        self.assertEqual(self.c.delete("k:5"), 1)
        self.assertEqual(int(info_field(self.c, "stats", "evicted_keys")), 0)

    def test_config_set_maxmemory_lower_evicts_down(self):
        self.c.config_set("maxmemory-policy", "allkeys-lru")
        fill(self.c, "k", 5000, 1000)
        start = used(self.c)
        target = start - 3 * 1024 * 1024
        self.c.config_set("maxmemory", target)
        self.assertLessEqual(used(self.c), target + 128 * 1024)
        self.assertLess(self.c.dbsize(), 2800)
        self.assertGreater(int(info_field(self.c, "stats", "evicted_keys")), 2200)

    def test_evicted_keyspace_events(self):
        self.c.config_set("notify-keyspace-events", "Ee")
        sub = self.srv.client().pubsub()
        sub.subscribe("__keyevent@0__:evicted")
        self.assertEqual(sub.get_message(timeout=2)["type"], "subscribe")
        self.c.config_set("maxmemory-policy", "allkeys-random")
        fill(self.c, "k", 100, 1000)
        self.c.config_set("maxmemory", used(self.c) - 20 * 1024)
        msg = sub.get_message(timeout=2)
        self.assertIsNotNone(msg)
        self.assertEqual(msg["type"], "message")
        self.assertFalse(self.c.exists(msg["data"]))
        sub.close()

    def test_eviction_inside_exec(self):
        self.c.config_set("maxmemory-policy", "allkeys-lru")
        fill(self.c, "k", 2000, 1000)
        # The LRU clock counts seconds: what comes next must be newer than the filler, or
        # the evictions after the check below may pick "after" among equals.
        time.sleep(1.1)
        limit = self.limit_at(64 * 1024)
        pipe = self.c.pipeline(transaction=True)
        for i in range(300):
            pipe.set("tx:%d" % i, b"t" * 1000)
        pipe.execute()
        # The next command evicts what EXEC added beyond the limit.
        self.c.set("after", "1")
        # With jemalloc the check before a command sees every allocation of the io threads;
        # sanitizer builds run on the sanitizer's allocator, where it sees the dataset and
        # refreshes the rest every 10 ms, so their bound is looser. They also run several
        # times slower, so the command's eviction time budget may end first and leave the
        # rest to the timer, as Redis does when its eviction time limit is reached.
        if self.c.info("memory")["mem_allocator"].startswith("jemalloc"):
            self.assertLessEqual(used(self.c), limit + 64 * 1024)
        else:
            deadline = time.monotonic() + 5
            while used(self.c) > limit + 256 * 1024 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertLessEqual(used(self.c), limit + 256 * 1024)
        self.assertTrue(self.c.exists("after"))

    def test_info_fields(self):
        mem = self.c.info("memory")
        for field in ("used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak",
                      "used_memory_dataset", "maxmemory", "maxmemory_human", "maxmemory_policy",
                      "mem_fragmentation_ratio", "allocator_allocated", "allocator_active",
                      "allocator_resident", "mem_allocator"):
            self.assertIn(field, mem)
        stats = self.c.info("stats")
        for field in ("evicted_keys", "expired_keys", "expired_stale_perc", "keyspace_hits",
                      "keyspace_misses"):
            self.assertIn(field, stats)
        self.c.set("a", "1")
        self.c.get("a")
        self.c.get("b")
        stats = self.c.info("stats")
        self.assertEqual((stats["keyspace_hits"], stats["keyspace_misses"]), (1, 1))


class ActiveExpiry(unittest.TestCase):
    def test_million_keys_with_one_second_ttl_are_reclaimed(self):
        srv = Terndb()
        try:
            c = srv.client()
            time.sleep(0.5)
            baseline = used(c)
            # Load a million SET ... PX 1000 as fast as the socket takes them.
            sock = socket.create_connection(("127.0.0.1", srv.port))
            chunk = 20000
            sent = 0
            oks = 0
            for start in range(0, 1000000, chunk):
                buf = b"".join(harness.encode_command("SET", "ttl:%d" % i, "value", "PX", "1000")
                               for i in range(start, start + chunk))
                sock.sendall(buf)
                sent += chunk
                # Read replies as they come so that neither side's buffers back up.
                while oks < sent - chunk:
                    oks += sock.recv(1 << 20).count(b"\n")
            while oks < sent:
                oks += sock.recv(1 << 20).count(b"\n")
            self.assertEqual(oks, 1000000)
            sock.close()
            deadline = time.time() + 30
            expired = 0
            while time.time() < deadline:
                expired = int(info_field(c, "stats", "expired_keys"))
                if expired >= 1000000 and used(c) <= baseline * 1.1:
                    break
                time.sleep(0.5)
            self.assertEqual(expired, 1000000)
            self.assertEqual(c.dbsize(), 0)
            self.assertLessEqual(used(c), baseline * 1.1, "baseline %d" % baseline)
            self.assertGreater(float(info_field(c, "stats", "expired_stale_perc")), 0)
        finally:
            srv.stop()


if __name__ == "__main__":
    harness.main()
