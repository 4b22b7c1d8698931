"""Scripts pipelined by one client run under one hold of every shard lock (see
server/script_batch.h): whatever follows them in the same input (plain commands, MULTI,
WATCH, blocking commands, a protocol error) still runs and answers as redis-server 7.0
does, clients on the other io thread never see a script half done, and the locks are
given back once the input is used up."""
import threading
import time

from harness import (SharedTerndb, SideBySide, blpops_served_by, encode_command, main, pipeline,
                     run_until_workers_finish)

INCR = "return redis.call('incr', KEYS[1])"
MOVE = "redis.call('decr', KEYS[1]) redis.call('incr', KEYS[2]) return 1"


class PipelinedScriptsAsRedis(SideBySide):
    def test_scripts_followed_by_every_kind_of_command(self):
        sha = self.same("SCRIPT", "LOAD", INCR)[len(b"$40\r\n"):-2].decode()
        commands = [
            ("EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "s"),
            ("EVALSHA", sha, "1", "n"),
            ("EVALSHA", sha, "1", "n"),
            ("evalsha", sha, "1", "n"),
            ("GET", "n"),
            ("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "n"),
            ("EVALSHA", sha, "1", "s"),  # a script error, then more scripts
            ("EVALSHA", "0" * 40, "1", "n"),  # NOSCRIPT
            ("EVALSHA", sha, "1", "n"),
            ("WATCH", "n"),
            ("EVALSHA", sha, "1", "n"),
            ("MULTI",),
            ("EVALSHA", sha, "1", "n"),
            ("GET", "n"),
            ("EXEC",),  # aborted: the watched key changed
            ("MULTI",),
            ("EVALSHA", sha, "1", "n"),
            ("EVALSHA", sha, "1", "n"),
            ("EXEC",),
            ("EVALSHA", sha, "1", "n"),
            ("DEL", "n"),
            ("EVALSHA", sha, "1", "n"),
            ("RPUSH", "l", "a"),
            ("EVAL", "return redis.call('lpop', KEYS[1])", "1", "l"),
            ("BLPOP", "l", "0.01"),  # times out: the script took the only element
            ("EVAL", "return redis.call('rpush', KEYS[1], 'b')", "1", "l"),
            ("BLPOP", "l", "0"),
            ("DBSIZE",),
        ]
        self.assertEqual(pipeline(self.t, commands), pipeline(self.r, commands))


class ScriptBatches(SharedTerndb):
    def test_pipelined_scripts_stay_atomic_against_other_threads(self):
        """Movers pipeline 50 scripts at a time from connections spread over both io
        threads; readers (MGET) and plain writers in between never see a + b broken."""
        c = self.terndb.raw()
        c.call("MSET", "a", "100000", "b", "0")
        stop = threading.Event()
        broken, errors = [], []

        def mover():
            try:
                m = self.terndb.raw()
                for _ in range(20):
                    replies = pipeline(m, [("EVAL", MOVE, "2", "a", "b")] * 50)
                    if replies != [b":1\r\n"] * 50:
                        errors.append(replies[0])
                m.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        def reader():
            r = self.terndb.raw()
            while not stop.is_set():
                reply = r.call("MGET", "a", "b").split(b"\r\n")
                total = int(reply[2]) + int(reply[4])
                if total != 100000:
                    broken.append(total)
                r.call("INCR", "other")
            r.close()

        readers = [threading.Thread(target=reader) for _ in range(2)]
        movers = [threading.Thread(target=mover) for _ in range(3)]
        run_until_workers_finish(movers, readers, stop, watcher_timeout=30)
        self.assertEqual(errors, [])
        self.assertEqual(broken, [])
        self.assertEqual(c.call("MGET", "a", "b"), b"*2\r\n$5\r\n97000\r\n$4\r\n3000\r\n")
        c.close()

    def test_blocked_client_on_the_other_thread_is_served(self):
        push = ("EVAL", "return redis.call('rpush', KEYS[1], ARGV[1])", "1", "q")
        replies, got = blpops_served_by(
            self.terndb, [push + ("one",), push + ("two",), ("LLEN", "q")])
        self.assertEqual(replies[2], b":0\r\n")
        self.assertEqual(got, [b"*2\r\n$1\r\nq\r\n$3\r\none\r\n",
                               b"*2\r\n$1\r\nq\r\n$3\r\ntwo\r\n"])

    def test_other_thread_is_answered_when_a_batch_of_slow_scripts_ends(self):
        """25 scripts of 40 ms each pipelined on one io thread; a GET from the other thread
        waits for the batch (without waking at each script's end) and is answered when the
        batch ends, not at lua-time-limit's 5 s deadline."""
        slow = ("local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
                "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - s > 40000 "
                "return redis.call('incr', KEYS[1])")
        a, b = self.terndb.raw(), self.terndb.raw()  # connections are dealt to the threads in turn
        a.send(encode_command("EVAL", slow, "1", "n") * 25)
        time.sleep(0.2)
        start = time.monotonic()
        self.assertEqual(b.call("GET", "n"), b"$2\r\n25\r\n")  # after the whole batch
        waited = time.monotonic() - start
        self.assertLess(waited, 3.0)
        self.assertEqual([a.read_reply() for _ in range(25)], [b":%d\r\n" % i for i in range(1, 26)])
        a.close()
        b.close()

    def test_protocol_error_after_scripts_releases_the_locks(self):
        """The connection closes (dropping its WATCH, which takes a shard lock) right after
        scripts that left every lock held; the server goes on serving everyone."""
        c = self.terndb.raw()
        c.call("WATCH", "w")
        c.send(encode_command("EVAL", INCR, "1", "w") * 5 + b"*1\r\n$x\r\n")
        replies = [c.read_reply() for _ in range(5)]
        self.assertEqual(replies, [b":%d\r\n" % i for i in range(1, 6)])
        self.assertTrue(c.read_reply().startswith(b"-ERR Protocol error"))
        self.assertTrue(c.closed_by_peer())
        others = [self.terndb.raw() for _ in range(2)]
        for i, o in enumerate(others):
            self.assertEqual(o.call("GET", "w"), b"$1\r\n%d\r\n" % (5 + i))
            self.assertEqual(o.call("EVAL", INCR, "1", "w"), b":%d\r\n" % (6 + i))
            o.close()

    def test_unfinished_pipeline_does_not_keep_the_locks(self):
        """Scripts followed by half a command: the locks are released while the server
        waits for the rest, so other clients are not held up."""
        c = self.terndb.raw()
        c.send(encode_command("EVAL", INCR, "1", "k") * 3 + b"*2\r\n$3\r\nGET\r\n")
        self.assertEqual([c.read_reply() for _ in range(3)], [b":1\r\n", b":2\r\n", b":3\r\n"])
        others = [self.terndb.raw() for _ in range(2)]
        for i, o in enumerate(others):
            o.sock.settimeout(5)
            self.assertEqual(o.call("INCR", "k"), b":%d\r\n" % (4 + i))
            o.close()
        c.send(b"$1\r\nk\r\n")
        self.assertEqual(c.read_reply(), b"$1\r\n5\r\n")
        c.close()


if __name__ == "__main__":
    main()
