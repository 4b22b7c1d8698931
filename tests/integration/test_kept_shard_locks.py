"""Pipelined sorted-set writes keep their shard lock for the next command of the same
input (storage/shard_lock_carry.h, server/dispatch.cc): what follows them (other keys,
multi-key commands, MULTI/EXEC, scripts, blocking commands, half a command) answers as
redis-server 7.0 does, clients on the other io thread are neither lost nor held up, and
counts stay exact when several clients pipeline writes to one key from both io threads."""
import threading
import time

from harness import (SharedTerndb, SideBySide, blpops_served_by, encode_command, main, pipeline,
                     run_until_workers_finish)


class KeptLocksAsRedis(SideBySide):
    def test_hot_key_commands_followed_by_every_kind_of_command(self):
        commands = [
            ("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "b"), ("ZINCRBY", "z", "3", "a"),
            ("ZRANK", "z", "a"), ("ZREVRANK", "z", "a"), ("ZSCORE", "z", "a"), ("ZCARD", "z"),
            ("ZADD", "other", "1", "x"),  # another key, likely another shard
            ("ZINCRBY", "z", "1", "b"),
            ("MSET", "a", "1", "b", "2"),
            ("ZINCRBY", "z", "1", "b"),
            ("WATCH", "z"),
            ("ZADD", "z", "5", "c"),
            ("MULTI",), ("ZINCRBY", "z", "1", "c"), ("EXEC",),  # aborted: z changed
            ("MULTI",), ("ZINCRBY", "z", "1", "c"), ("ZADD", "z", "9", "d"), ("EXEC",),
            ("ZREM", "z", "d"),
            ("EVAL", "return redis.call('zincrby', KEYS[1], 1, 'a')", "1", "z"),
            ("ZADD", "z", "XX", "CH", "0", "a"),
            ("RPUSH", "l", "x", "y"), ("ZADD", "z", "7", "e"), ("LPOP", "l"),
            ("BLPOP", "l", "0.01"), ("ZREM", "z", "e"),
            ("BLPOP", "l", "0.01"),  # times out: empty now
            ("SET", "s", "text"), ("ZADD", "s", "1", "x"),  # WRONGTYPE
            ("ZINCRBY", "z", "nan", "a"), ("ZRANK", "z", "missing"),
            ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
            ("ZREM", "z", "a", "b", "c"), ("ZCARD", "z"), ("EXISTS", "z"),
            ("DBSIZE",),
        ]
        self.assertEqual(pipeline(self.t, commands), pipeline(self.r, commands))


class KeptLocks(SharedTerndb):
    def test_pipelines_on_one_key_from_both_threads_stay_exact(self):
        """Four clients (spread over both io threads) pipeline ZINCRBYs and ZADDs on one
        key; others run transactions over several shards, MSET/MGET and BGSAVE meanwhile.
        Nothing deadlocks, and every increment is counted."""
        errors = []
        stop = threading.Event()
        batches, per_batch = 100, 16

        def hammer(i):
            try:
                conn = self.terndb.raw()
                for b in range(batches):
                    cmds = [("ZINCRBY", "hotz", "1", "count")] * per_batch
                    cmds += [("ZADD", "hotz", str(b), "m%d:%d" % (i, b))]
                    replies = pipeline(conn, cmds)
                    if any(r.startswith(b"-") for r in replies) or replies[-1] != b":1\r\n":
                        errors.append(replies)
                conn.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        def mixer():
            try:
                conn = self.terndb.raw()
                n = 0
                while not stop.is_set():
                    n += 1
                    replies = pipeline(conn, [
                        ("MULTI",), ("INCR", "t1"), ("INCR", "t2"), ("INCR", "hot2"),
                        ("EXEC",),
                        ("MSET", "x", str(n), "y", str(n)), ("MGET", "x", "y"),
                        ("INCR", "hot2"),
                    ])
                    if replies[4] != b"*3\r\n:%d\r\n:%d\r\n:%d\r\n" % (n, n, 2 * n - 1):
                        errors.append(replies[4])
                    if n % 50 == 0:
                        conn.call("BGSAVE")
                conn.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        hammers = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
        mixers = [threading.Thread(target=mixer)]
        self.assertFalse(run_until_workers_finish(hammers, mixers, stop), "a client is stuck")
        self.assertEqual(errors, [])
        c = self.terndb.raw()
        self.assertEqual(c.call("ZSCORE", "hotz", "count"),
                         b"$4\r\n%d\r\n" % (4 * batches * per_batch))
        self.assertEqual(c.call("ZCARD", "hotz"), b":%d\r\n" % (4 * batches + 1))
        c.close()

    def test_blocked_client_on_the_other_thread_is_served(self):
        replies, got = blpops_served_by(self.terndb, [
            ("ZADD", "q:z", "1", "a"), ("RPUSH", "q", "one"), ("ZADD", "q:z", "2", "b"),
            ("RPUSH", "q", "two"), ("LLEN", "q")])
        self.assertEqual(replies[4], b":0\r\n")
        self.assertEqual(got, [b"*2\r\n$1\r\nq\r\n$3\r\none\r\n",
                               b"*2\r\n$1\r\nq\r\n$3\r\ntwo\r\n"])

    def test_unfinished_pipeline_does_not_keep_the_lock(self):
        """ZINCRBYs followed by half a command: the lock is released while the server
        waits for the rest, so other clients on both threads are not held up."""
        c = self.terndb.raw()
        c.send(encode_command("ZINCRBY", "k", "1", "m") * 3 + b"*3\r\n$6\r\nZSCORE\r\n")
        self.assertEqual([c.read_reply() for _ in range(3)],
                         [b"$1\r\n1\r\n", b"$1\r\n2\r\n", b"$1\r\n3\r\n"])
        others = [self.terndb.raw() for _ in range(2)]
        for i, o in enumerate(others):
            o.sock.settimeout(5)
            self.assertEqual(o.call("ZINCRBY", "k", "1", "m"), b"$1\r\n%d\r\n" % (4 + i))
            o.close()
        c.send(b"$1\r\nk\r\n$1\r\nm\r\n")
        self.assertEqual(c.read_reply(), b"$1\r\n5\r\n")
        c.close()

    def test_long_pipeline_on_one_key_lets_others_in(self):
        """A client pipelining 20,000 ZINCRBYs on one key: a client of the other thread
        gets its answer meanwhile, and the total is exact."""
        c = self.terndb.raw()
        c.send(encode_command("ZINCRBY", "long", "1", "m") * 20000)
        other = self.terndb.raw()
        other.sock.settimeout(10)
        self.assertTrue(other.call("ZINCRBY", "long", "1", "m").startswith(b"$"))
        for _ in range(20000):
            c.read_reply()
        self.assertEqual(other.call("ZSCORE", "long", "m"), b"$5\r\n20001\r\n")
        for conn in (c, other):
            conn.close()


if __name__ == "__main__":
    main()
