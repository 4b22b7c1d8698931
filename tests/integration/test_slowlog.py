"""SLOWLOG and LATENCY side by side with redis-server 7.0: reply shapes, error texts, which
commands are logged and how their arguments are kept."""
import re
import time

from harness import SideBySide, main


def decode(raw):
    """A RESP2 reply as nested Python values (bytes, int, lists)."""
    pos = 0

    def parse():
        nonlocal pos
        end = raw.index(b"\r\n", pos)
        kind, body = raw[pos:pos + 1], raw[pos + 1:end]
        pos = end + 2
        if kind == b":":
            return int(body)
        if kind in (b"+", b"-"):
            return body
        if kind == b"$":
            n = int(body)
            if n < 0:
                return None
            value = raw[pos:pos + n]
            pos += n + 2
            return value
        if kind == b"*":
            return [parse() for _ in range(int(body))]
        raise ValueError(raw)

    return parse()


class Slowlog(SideBySide):
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def setUp(self):
        super().setUp()
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            c.call("CONFIG", "SET", "slowlog-max-len", "128")
            c.call("CONFIG", "SET", "latency-monitor-threshold", "0")
            c.call("SLOWLOG", "RESET")
            c.call("LATENCY", "RESET")
            c.call("CLIENT", "SETNAME", "")

    def own_addr(self, conn):
        info = conn.call("CLIENT", "INFO").decode()
        return re.search(r"addr=(\S+)", info).group(1).encode()

    def entries(self, conn, *args):
        """SLOWLOG GET as [id, argv, addr, name], checking each time and duration."""
        out = []
        for e in decode(conn.call("SLOWLOG", "GET", *args)):
            self.assertEqual(len(e), 6)
            entry_id, when, duration, argv, addr, name = e
            self.assertLessEqual(abs(when - time.time()), 5)
            self.assertGreaterEqual(duration, 0)
            out.append([entry_id, argv, addr, name, duration])
        return out

    def test_help_len_reset_and_errors(self):
        self.same("SLOWLOG", "HELP")
        self.same("SLOWLOG", "LEN")
        self.same("SLOWLOG", "RESET")
        self.same("SLOWLOG", "GET")
        for args in (["GET", "-2"], ["GET", "abc"], ["GET", "1", "2"], ["get", "1", "2"],
                     ["NOPE"], ["LEN", "x"], ["RESET", "x"], ["HELP", "x"]):
            self.same("SLOWLOG", *args)
        self.same("SLOWLOG")

    def test_every_command_logged_at_threshold_zero(self):
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
            c.call("SLOWLOG", "RESET")
            c.call("CLIENT", "SETNAME", "worker-1")
            c.call("SET", "k", "x" * 200)
            c.call("DEL", *["k%d" % i for i in range(40)])
            c.call("AUTH", "secret")  # fails (no password): logged, arguments redacted
            c.call("MULTI")
            c.call("SET", "a", "1")
            c.call("GET", "a")
            c.call("EXEC")  # skip_slowlog: its commands are logged, not EXEC itself
            c.call("EVAL", "redis.call('set','b','2') return 1", "0")
        ours, theirs = self.entries(self.t, "-1"), self.entries(self.r, "-1")
        self.assertEqual([e[:2] + [e[3]] for e in ours], [e[:2] + [e[3]] for e in theirs])
        # Addresses: the client's own, and "?:0" for what the script ran.
        for conn, entries in ((self.t, ours), (self.r, theirs)):
            addr = self.own_addr(conn)
            for entry_id, argv, entry_addr, name, _ in entries:
                expected = b"?:0" if argv[0] == b"set" and argv[1] == b"b" else addr
                self.assertEqual(entry_addr, expected, argv)
        argvs = [e[1] for e in ours]
        self.assertIn([b"SET", b"k", b"x" * 128 + b"... (72 more bytes)"], argvs)
        self.assertIn([b"DEL"] + [b"k%d" % i for i in range(30)] + [b"... (10 more arguments)"],
                      argvs)
        self.assertIn([b"AUTH", b"(redacted)"], argvs)
        self.assertNotIn([b"EXEC"], argvs)
        # Since the GET above: itself and the CLIENT INFO of own_addr().
        self.assertEqual(self.same("SLOWLOG", "LEN"), b":%d\r\n" % (len(ours) + 2))
        # GET's count: default 10, a number, all.
        self.assertEqual(len(self.entries(self.t)), 10)
        self.assertEqual(len(self.entries(self.r)), 10)
        self.assertEqual([e[1] for e in self.entries(self.t, "2")],
                         [e[1] for e in self.entries(self.r, "2")])
        self.assertEqual(self.entries(self.t, "0"), [])
        self.assertEqual(self.entries(self.r, "0"), [])  # both logs stay in step

    def test_threshold_and_max_len(self):
        for c in (self.t, self.r):
            c.call("DEBUG", "SLEEP", "0.03")  # 30 ms >= 10 ms: logged
            c.call("PING")                    # fast: not logged
        ours, theirs = self.entries(self.t), self.entries(self.r)
        self.assertEqual([e[1] for e in ours], [[b"DEBUG", b"SLEEP", b"0.03"]])
        self.assertEqual([e[1] for e in ours], [e[1] for e in theirs])
        self.assertGreaterEqual(ours[0][4], 30000)
        # Disabled with -1; a shorter max-len applies at the next entry.
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1")
            c.call("DEBUG", "SLEEP", "0.02")
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
            for i in range(5):
                c.call("SET", "x", i)
            c.call("CONFIG", "SET", "slowlog-max-len", "3")
        self.same("SLOWLOG", "LEN")
        for c in (self.t, self.r):
            c.call("PING")
        self.assertEqual(self.same("SLOWLOG", "LEN"), b":3\r\n")
        self.assertEqual([e[:2] for e in self.entries(self.t, "-1")],
                         [e[:2] for e in self.entries(self.r, "-1")])


class Latency(SideBySide):
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def setUp(self):
        super().setUp()
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "latency-monitor-threshold", "0")
            c.call("LATENCY", "RESET")

    def test_empty_and_errors(self):
        self.same("LATENCY", "LATEST")
        self.same("LATENCY", "HISTORY", "command")
        self.same("LATENCY", "RESET")
        self.same("LATENCY", "RESET", "command", "nosuch")
        self.same("LATENCY", "GRAPH", "command")
        for args in (["HISTORY"], ["LATEST", "x"], ["NOPE"], ["GRAPH"], ["DOCTOR", "x"]):
            self.same("LATENCY", *args)
        self.same("LATENCY")
        help_lines = decode(self.t.call("LATENCY", "HELP"))
        self.assertEqual(help_lines[0],
                         b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        for sub in (b"LATEST", b"HISTORY <event>", b"RESET [<event> ...]", b"DOCTOR", b"HELP"):
            self.assertIn(sub, help_lines)
        self.assertIn(b"disabled", self.t.call("LATENCY", "DOCTOR"))

    def test_samples_past_the_threshold(self):
        for c in (self.t, self.r):
            c.call("CONFIG", "SET", "latency-monitor-threshold", "10")
            c.call("PING")                    # under the threshold: no sample
            c.call("DEBUG", "SLEEP", "0.05")  # 50 ms: a "command" sample
        ours = decode(self.t.call("LATENCY", "LATEST"))
        theirs = decode(self.r.call("LATENCY", "LATEST"))
        # On a busy machine a fast command may pass 10 ms too: look at "command" only.
        ours = {e[0]: e for e in ours}
        self.assertIn(b"command", {e[0] for e in theirs})
        self.assertIn(b"command", ours)
        self.assertTrue(all(len(e) == 4 for e in ours.values()))
        event, when, latest, worst = ours[b"command"]
        self.assertLessEqual(abs(when - time.time()), 5)
        self.assertGreaterEqual(latest, 50)
        self.assertGreaterEqual(worst, latest)
        history = decode(self.t.call("LATENCY", "HISTORY", "command"))
        self.assertEqual(history[-1], [when, latest])
        self.assertTrue(all(len(s) == 2 for s in decode(
            self.r.call("LATENCY", "HISTORY", "command"))))
        self.assertIn(b"command", self.t.call("LATENCY", "GRAPH", "command"))
        self.assertIn(b"command", self.t.call("LATENCY", "DOCTOR"))
        self.assertEqual(self.same("LATENCY", "RESET", "command"), b":1\r\n")
        self.assertNotIn(b"command", [e[0] for e in decode(self.t.call("LATENCY", "LATEST"))])
        self.assertEqual(self.t.call("LATENCY", "HISTORY", "command"), b"*0\r\n")


if __name__ == "__main__":
    main()
