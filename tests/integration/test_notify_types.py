"""Keyspace notifications of the list, hash, set, sorted-set, SORT and blocking commands.

The same commands run on terndb and on redis-server 7.0 while a third connection listens
with PSUBSCRIBE __key*__:*; the replies and the whole stream of pmessage frames must be
byte-identical: which events, in which class, on which key, in which order ("new" before
the command's own event, "del" after it when a value was emptied, pushes before pops in
list moves, pops of blocked clients after the push that served them).
"""
import re
import time

from harness import SideBySide, encode_command, main

END_CHANNEL = "__keyspace@0__:~end~"
PMESSAGE = re.compile(rb"\*4\r\n\$8\r\npmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n"
                      rb"\$\d+\r\n([^\r]*)\r\n")


def blocked_clients(conn):
    info = conn.call("INFO", "clients").decode()
    return int(re.search(r"blocked_clients:(\d+)", info).group(1))


class Session:
    """One server's side: a command connection, a subscriber, and parked clients."""

    def __init__(self, server, flags):
        self.server = server
        self.c = server.raw()
        self.c.call("CONFIG", "SET", "notify-keyspace-events", flags)
        self.sub = server.raw()
        self.sub.send(encode_command("PSUBSCRIBE", "__key*__:*"))
        self.sub.read_reply()
        self.parked = {}

    def run(self, step):
        """Runs one step; returns the reply to compare (None for a step without one)."""
        if isinstance(step, str):
            step = step.split()
        op, args = step[0], step[1:]
        if op == "park":  # park NAME command...: send a blocking command, wait until it blocks
            name, cmd = args[0], args[1:]
            conn = self.parked[name] = self.server.raw()
            before = blocked_clients(self.c)
            conn.send(encode_command(*cmd))
            deadline = time.time() + 5
            while blocked_clients(self.c) <= before:
                if time.time() > deadline:
                    raise AssertionError("%r did not block" % (cmd,))
                time.sleep(0.002)
            return None
        if op == "served":  # served NAME: the parked client's reply
            conn = self.parked.pop(args[0])
            reply = conn.read_reply()
            conn.close()
            return reply
        if op == "~":  # a command whose reply is random: compared only for its type
            return self.c.call(*args)[:1]
        return self.c.call(*step)

    def events(self):
        """Every event published so far, as the raw pmessage frames, in order."""
        self.c.call("PUBLISH", END_CHANNEL, "end")
        data = b""
        while not data.endswith(b"\r\n$3\r\nend\r\n"):
            data += self.sub.read_reply()
        frames = data[:data.rindex(b"*4\r\n$8\r\npmessage")]
        return frames

    def close(self):
        self.c.call("CONFIG", "SET", "notify-keyspace-events", "")
        for conn in [self.c, self.sub] + list(self.parked.values()):
            conn.close()


class NotifyTypes(SideBySide):
    def compare(self, steps, flags="KEAn"):
        """Runs `steps` on both servers; asserts equal replies and equal event streams.
        Returns the events as (channel, message) pairs."""
        results = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            session = Session(server, flags)
            try:
                replies = [session.run(step) for step in steps]
                results[name] = (replies, session.events())
            finally:
                session.close()
        for i, step in enumerate(steps):
            self.assertEqual(results["t"][0][i], results["r"][0][i], "step %r" % (step,))
        self.assertEqual(PMESSAGE.findall(results["t"][1]), PMESSAGE.findall(results["r"][1]))
        self.assertEqual(results["t"][1], results["r"][1])
        return PMESSAGE.findall(results["t"][1])

    def test_lists(self):
        events = self.compare([
            "LPUSH l a b c", "RPUSH l d", "LPUSHX l e", "RPUSHX l f", "LPUSHX nol a",
            "RPUSHX nol a", "LINSERT l BEFORE a x", "LINSERT l AFTER nosuch y",
            "LINSERT nol BEFORE a b", "LSET l 0 z", "LSET nol 0 z", "LSET l 100 z",
            "LREM l 0 nosuch", "LREM l 1 z", "LTRIM l 0 100", "LTRIM l 1 -2", "LTRIM nol 0 1",
            "LPOP l", "RPOP l", "LPOP l 0", "LPOP l 2", "RPOP l 1", "LPOP nol", "RPOP nol 2",
            "RPUSH m 1 2 3", "LMOVE m m2 LEFT RIGHT", "LMOVE m m2 RIGHT LEFT",
            "RPOPLPUSH m m2", "LMOVE m2 m2 LEFT RIGHT", "RPOPLPUSH m2 m2", "LMOVE m2 m2 LEFT LEFT",
            "RPUSH one x", "LMOVE one one LEFT RIGHT", "LMOVE nol m2 LEFT LEFT",
            "LMPOP 2 nol m2 LEFT COUNT 2", "LMPOP 1 m2 RIGHT COUNT 10", "LMPOP 1 nol LEFT",
            "RPUSH t 1 2 3 4", "LTRIM t 5 10", "RPUSH r a a b a", "LREM r -2 a", "LREM r 0 a",
            "LREM r 0 b", "SET s str", "LPUSH s x", "LMOVE s x LEFT LEFT", "RPUSH w 1",
            "LMOVE w s LEFT LEFT", "BLPOP w 0", "RPUSH w 1 2", "BRPOP nol w 0",
            "BLMPOP 0 1 w LEFT COUNT 3", "RPUSH w 1", "BLMOVE w w2 RIGHT LEFT 0",
            "BRPOPLPUSH w2 w 0", "SELECT 3", "RPUSH l3 a", "RPOP l3", "SELECT 0",
            "LINDEX w 0", "LRANGE w 0 -1", "LLEN w", "LPOS w 1",
        ])
        self.assertIn((b"__keyevent@3__:rpop", b"l3"), events)
        self.assertIn((b"__keyspace@0__:m", b"del"), events)

    def test_hashes(self):
        self.compare([
            "HSET h a 1 b 2", "HSET h a 1", "HMSET h c 3", "HSETNX h a 5", "HSETNX h d 4",
            "HSETNX h2 a 1", "HINCRBY h n 5", "HINCRBY h a x", "HSET h big 9223372036854775807",
            "HINCRBY h big 1", "HINCRBYFLOAT h f 1.5", "HINCRBYFLOAT h2 g 2",
            "HINCRBYFLOAT h a nan", "HDEL h nosuch", "HDEL h a b", "HDEL h2 a g", "HDEL nosuch a",
            "HGET h c", "HGETALL h2", "SET str x", "HSET str a 1", "HDEL str a",
            "HINCRBY newh x 1", "HINCRBYFLOAT newh2 x 1",
        ])

    def test_sets(self):
        self.compare([
            "SADD s1 a b c", "SADD s1 a", "SADD s2 1 2 3", "SREM s1 nosuch", "SREM s1 a",
            "SREM s2 1 2 3", "SREM nosuch a", "SPOP nosuch", "SADD s3 x", "SPOP s3",
            "SADD s4 a b c", "SPOP s4 0", "~ SPOP s4 1", "~ SPOP s4", "~ SPOP s4 5",
            "SADD s5 1 2 3", "SPOP s5 10", "SPOP nosuch 3", "SMOVE s1 s6 b",
            "SMOVE s1 s6 nosuch", "SMOVE s1 s6 c", "SADD s7 c", "SMOVE s6 s7 c", "SADD s7 d",
            "SMOVE s7 s7 c", "SMOVE nosuch s7 c", "SADD a1 1 2 3", "SADD a2 2 3 4",
            "SINTERSTORE d1 a1 a2", "SINTERSTORE d1 a1 nosuch", "SINTERSTORE d1 a1 nosuch",
            "SUNIONSTORE d2 a1 a2", "SUNIONSTORE d2 nosuch", "SUNIONSTORE d2 nosuch",
            "SDIFFSTORE d3 a1 a2", "SDIFFSTORE d3 a1 a1", "SDIFFSTORE d3 a1 a1",
            "SINTERSTORE a1 a1 a2", "SET str x", "SADD str a", "SUNIONSTORE str a1",
            "SINTERSTORE d4 a1 a2 str", "SMEMBERS a1", "SCARD a1",
        ])

    def test_sorted_sets(self):
        self.compare([
            "ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z NX 5 a", "ZADD z XX 5 a",
            "ZADD z XX CH 6 nosuch", "ZADD nz XX 1 a", "ZADD z GT 1 a", "ZADD z LT 1 a",
            "ZADD z INCR 2 a", "ZADD z INCR NX 2 a", "ZINCRBY z 1 b", "ZINCRBY nz2 1 b",
            "ZADD z INCR 1 x", "ZADD z CH 1 x 7 y", "ZADD inf 1 a", "ZADD inf INCR inf a",
            "ZADD inf INCR -inf a", "ZREM z nosuch", "ZREM z x", "ZADD w 1 a", "ZREM w a b",
            "ZREM nosuch a", "ZADD r 1 a 2 b 3 c 4 d 5 e", "ZREMRANGEBYSCORE r 10 20",
            "ZREMRANGEBYSCORE r 1 1", "ZREMRANGEBYRANK r 0 0", "ZREMRANGEBYRANK r 10 20",
            "ZREMRANGEBYLEX r [c [c", "ZREMRANGEBYLEX r [x [y", "ZREMRANGEBYRANK r 0 -1",
            "ZREMRANGEBYSCORE nosuch 0 1", "ZADD p 1 a 2 b 3 c 4 d", "ZPOPMIN p", "ZPOPMAX p",
            "ZPOPMIN p 0", "ZPOPMIN nosuch", "ZPOPMAX nosuch 2", "ZPOPMAX p 5", "ZADD q 1 a 2 b",
            "ZMPOP 2 nosuch q MIN COUNT 1", "ZMPOP 1 q MAX COUNT 5", "ZMPOP 1 q MAX",
            "ZADD u1 1 a 2 b", "ZADD u2 3 b 4 c", "ZUNIONSTORE d 2 u1 u2",
            "ZINTERSTORE d 2 u1 u2", "ZDIFFSTORE d 2 u1 u2", "ZINTERSTORE d 2 u1 nosuch",
            "ZINTERSTORE d 2 u1 nosuch", "ZDIFFSTORE d 2 u1 u1", "ZUNIONSTORE d 1 nosuch",
            "ZRANGESTORE d u1 0 -1", "ZRANGESTORE d u1 5 10", "ZRANGESTORE d u1 5 10",
            "ZRANGESTORE d2 u2 0 0 REV", "ZRANGESTORE d3 u2 (0 +inf BYSCORE",
            "BZPOPMIN u1 0", "BZMPOP 0 2 nosuch u2 MAX COUNT 3", "BZPOPMAX nosuch u1 0",
            "SET str x", "ZADD str 1 a", "ZUNIONSTORE str 1 d2", "ZRANGESTORE d4 str 0 -1",
            "ZSCORE d2 c", "ZRANGE d3 0 -1 WITHSCORES", "ZCARD d3",
        ])

    def test_sort_store(self):
        self.compare([
            "RPUSH sl 3 1 2", "SORT sl STORE so", "SORT sl STORE so", "SORT nosuch STORE so",
            "SORT nosuch STORE so", "SADD ss 3 1 2", "SORT ss STORE so2",
            "ZADD sz 1 c 2 b", "SORT sz ALPHA STORE so3", "SORT sl LIMIT 5 10 STORE so3",
            "SET str x", "SORT sl STORE str", "SORT_RO sl",
        ])

    def test_event_classes(self):
        steps = [
            "RPUSH l a b", "LPOP l", "HSET h a 1", "HDEL h a", "SADD s a", "SREM s a",
            "ZADD z 1 a", "ZREM z a", "RPUSH sl 2 1", "SORT sl STORE so", "SORT no STORE so",
            "SINTERSTORE d s", "ZADD z 1 a", "ZUNIONSTORE d2 1 z", "ZUNIONSTORE d2 1 no",
            "SET x 1", "RPOP l",
        ]
        for flags in ("Kl", "El", "Kh", "Es", "Kz", "Eg", "K$", "En", "KEA", "Kgn"):
            self.compare(steps, flags)
            self.t.call("FLUSHALL")
            self.r.call("FLUSHALL")

    def test_blocked_clients_served(self):
        events = self.compare([
            "park a BLPOP bk 0", "RPUSH bk x", "served a",
            "park a BLPOP bk 0", "RPUSH bk x y", "served a",
            "park a BRPOP bk2 bk3 0", "LPUSH bk3 a", "served a",
            "park a BLMOVE src dst LEFT RIGHT 0", "RPUSH src v", "served a",
            "park a BRPOPLPUSH src2 src2 0", "RPUSH src2 v", "served a",
            "park a BLMPOP 0 1 bk4 RIGHT COUNT 5", "RPUSH bk4 1 2 3", "served a",
            "park a BZPOPMIN zk 0", "ZADD zk 1 a", "served a",
            "park a BZMPOP 0 1 zk2 MAX COUNT 2", "ZADD zk2 1 a 2 b 3 c", "served a",
            "park a BZPOPMAX zk3 0", "ZINCRBY zk3 1 a", "served a",
            "park a BLPOP two 0", "park b BLPOP two 0", "RPUSH two a b", "served a", "served b",
            "park a BLPOP tx 0", "MULTI", "LPUSH tx a", "LPUSH tx b", "EXEC", "served a",
            "park a BLPOP mv 0", "RPUSH srck v", "LMOVE srck mv LEFT LEFT", "served a",
            "park a BLPOP so 0", "RPUSH sl 3 1 2", "SORT sl STORE so", "served a",
            "park a BLMOVE src3 dst3 LEFT LEFT 0", "SET dst3 x", "RPUSH src3 v", "served a",
            "park a BZPOPMIN zs 0", "SADD a1 1", "SADD a2 1", "ZUNIONSTORE zs 2 a1 a2",
            "served a",
        ])
        self.assertIn((b"__keyevent@0__:lpop", b"bk"), events)
        self.assertIn((b"__keyevent@0__:zpopmin", b"zk"), events)


if __name__ == "__main__":
    main()
