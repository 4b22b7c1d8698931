"""Pub/sub, keyspace notifications, MONITOR and CLIENT PAUSE.

Replies and pushed frames are compared byte for byte with redis-server 7.0 (the subscribed
context, RESP3 pushes, PUBSUB introspection, keyspace events, MONITOR lines with the time
and address masked). The rest runs against terndb alone and checks what only a threaded
server can get wrong: messages that cross io threads arrive complete and in order at 500
subscribers, a RESP3 client runs commands while pushes stream in, a subscriber that stops
reading is cut off at its output buffer limit without slowing anyone else, MONITOR sees
every thread's commands, and CLIENT PAUSE WRITE holds writes but not reads.
"""
# ctest-label: slow
import os
import re
import selectors
import socket
import threading
import time
import unittest

from harness import SharedTerndb, SideBySide, Terndb, encode_command, main, terndb_binary


def sanitized_build():
    """Sanitizer builds run the heavy tests smaller (and skip RSS and latency bounds)."""
    with open(terndb_binary(), "rb") as f:
        data = f.read()
    return b"__tsan_init" in data or b"__asan_init" in data


SANITIZED = sanitized_build()


def read_n(conn, n):
    return [conn.read_reply() for _ in range(n)]


def drain(conn, wait=0.1):
    """Everything the server sent within `wait` seconds, as raw bytes."""
    conn.sock.settimeout(wait)
    data = conn.buf
    conn.buf = b""
    try:
        while True:
            chunk = conn.sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    conn.sock.settimeout(10)
    return data


def frames(conn, n):
    """Reads n complete replies/pushes."""
    return b"".join(conn.read_reply() for _ in range(n))


class PubsubSideBySide(SideBySide):
    def both(self):
        return (self.t, self.r)

    def same_n(self, n, *args):
        """One command answered with n frames (SUBSCRIBE a b c...), on both servers."""
        ours, theirs = [], []
        for conn, out in ((self.t, ours), (self.r, theirs)):
            conn.send(encode_command(*args))
            out.extend(read_n(conn, n))
        self.assertEqual(ours, theirs, "command %r" % (args,))
        return ours

    def test_subscribe_counts_and_replies(self):
        self.same_n(3, "SUBSCRIBE", "a", "b", "a")
        self.same_n(2, "PSUBSCRIBE", "p*", "a")
        self.same_n(2, "SSUBSCRIBE", "s1", "s2")
        self.same_n(1, "UNSUBSCRIBE", "a")
        self.same_n(2, "UNSUBSCRIBE", "nosuch", "b")
        # Patterns leave in subscription order.
        self.same_n(2, "PUNSUBSCRIBE")
        self.same_n(1, "SUNSUBSCRIBE", "s2")
        self.same_n(1, "SUNSUBSCRIBE")
        self.same_n(1, "SUNSUBSCRIBE")
        self.same_n(1, "UNSUBSCRIBE")
        self.same_n(1, "PUNSUBSCRIBE")
        self.same("GET", "x")

    def test_confirmations_under_client_reply_off_and_skip(self):
        # Confirmations are pushes, not replies: CLIENT REPLY OFF/SKIP drop the replies of
        # the commands around them (PING, errors) but not the confirmations or messages.
        for mode in ("OFF", "SKIP"):
            for resp in ("2", "3"):
                got = {}
                for name, server in (("t", self.terndb), ("r", self.redis)):
                    s, p = server.raw(), server.raw()
                    if resp == "3":
                        s.call("HELLO", "3")
                    s.send(b"".join(encode_command(*cmd) for cmd in [
                        ("CLIENT", "REPLY", mode), ("SUBSCRIBE", "ch1", "ch2"),
                        ("PSUBSCRIBE", "p*"), ("SSUBSCRIBE", "sh")]))
                    first = frames(s, 4)
                    p.call("PUBLISH", "ch1", "m1")
                    p.call("SPUBLISH", "sh", "m2")
                    p.call("PUBLISH", "pq", "m3")
                    messages = frames(s, 3)
                    s.send(b"".join(encode_command(*cmd) for cmd in [
                        ("CLIENT", "REPLY", mode), ("UNSUBSCRIBE", "ch1"), ("GET", "x"),
                        ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE", "nosuch"), ("UNSUBSCRIBE",),
                        ("UNSUBSCRIBE",), ("CLIENT", "REPLY", "ON"), ("PING",)]))
                    got[name] = (first, messages, drain(s, 0.3))
                    s.close()
                    p.close()
                self.assertEqual(got["t"], got["r"], (mode, resp))
                self.assertIn(b"subscribe\r\n$3\r\nch1", got["t"][0])

    def test_subscribed_context_resp2(self):
        self.same_n(1, "SUBSCRIBE", "a")
        for cmd in ("GET x", "SET a b", "CONFIG GET port", "MULTI", "MONITOR", "HELLO 3",
                    "CLIENT LIST", "PUBLISH a b", "PING a b", "FOO bar", "CLIENT FOO",
                    "PUBSUB NUMPAT", "PING", "PING hello"):
            self.same(*cmd.split())
        self.same("PING", "")
        # The refusal counts as a rejected call of that command, as in Redis.
        for conn in self.both():
            conn.call("RESET")
        stats = {}
        for name, conn in (("t", self.t), ("r", self.r)):
            info = conn.call("INFO", "commandstats").decode()
            stats[name] = re.search(r"cmdstat_get:.*rejected_calls=(\d+)", info).group(1)
        self.assertEqual(stats["t"], stats["r"])
        self.same("GET", "x")

    def test_quit_and_reset_while_subscribed(self):
        self.same_n(2, "SUBSCRIBE", "a", "b")
        self.same_n(1, "PSUBSCRIBE", "x*")
        self.same("RESET")
        self.same("GET", "x")
        self.same("PUBSUB", "NUMSUB", "a", "b")
        self.same("PUBSUB", "NUMPAT")
        self.same_n(1, "SUBSCRIBE", "a")
        self.same("QUIT", "extra")
        for conn in self.both():
            self.assertTrue(conn.closed_by_peer())

    def test_subscribe_inside_multi(self):
        self.same("MULTI")
        self.same("SUBSCRIBE", "x")
        self.same("SSUBSCRIBE", "y")
        self.same("PSUBSCRIBE", "z*")
        self.same("EXEC")
        self.same("PING")
        self.same_n(1, "UNSUBSCRIBE")
        self.same_n(1, "PUNSUBSCRIBE")
        self.same("GET", "x")

    def test_publish_and_messages(self):
        subs = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            a, b = server.raw(), server.raw()
            a.send(encode_command("SUBSCRIBE", "news", "sport"))
            read_n(a, 2)
            # One pattern per channel: Redis sends a channel's pattern messages in its
            # hash table's order.
            b.send(encode_command("PSUBSCRIBE", "n*", "sp*"))
            read_n(b, 2)
            s = server.raw()
            s.send(encode_command("SSUBSCRIBE", "news"))
            read_n(s, 1)
            subs[name] = (a, b, s)
        self.same("PUBLISH", "news", "hello")
        self.same("PUBLISH", "sport", "x" * 5000)
        self.same("PUBLISH", "nothing", "y")
        self.same("PUBLISH", "", "")
        self.same("SPUBLISH", "news", "shard")
        self.same("SPUBLISH", "sport", "none")
        got = {}
        for name, (a, b, s) in subs.items():
            got[name] = (frames(a, 2), frames(b, 3), frames(s, 1))
        self.assertEqual(got["t"], got["r"])
        self.assertIn(b"$8\r\npmessage\r\n$3\r\nsp*\r\n$5\r\nsport\r\n", got["t"][1])
        for name, (a, b, s) in subs.items():
            for c in (a, b, s):
                self.assertEqual(drain(c, 0.05), b"", name)
                c.close()

    def test_pubsub_introspection(self):
        others = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            a, b = server.raw(), server.raw()
            a.send(encode_command("SUBSCRIBE", "chan:1", "other"))
            read_n(a, 2)
            b.send(encode_command("SUBSCRIBE", "chan:1"))
            read_n(b, 1)
            b.send(encode_command("PSUBSCRIBE", "chan:*", "chan:*", "x"))
            read_n(b, 3)
            a.send(encode_command("PSUBSCRIBE", "x"))
            read_n(a, 1)
            a.send(encode_command("SSUBSCRIBE", "shard:1"))
            read_n(a, 1)
            others[name] = (a, b)
        self.script([
            "PUBSUB CHANNELS chan:*", "PUBSUB CHANNELS nomatch*", "PUBSUB NUMSUB chan:1 other x",
            "PUBSUB NUMSUB", "PUBSUB NUMPAT", "PUBSUB SHARDCHANNELS", "PUBSUB SHARDCHANNELS s*",
            "PUBSUB SHARDCHANNELS x*", "PUBSUB SHARDNUMSUB shard:1 chan:1", "PUBSUB SHARDNUMSUB",
            "PUBSUB HELP", "PUBSUB help", "PUBSUB", "PUBSUB FOO", "PUBSUB CHANNELS a b",
            "PUBSUB SHARDCHANNELS a b", "PUBSUB NUMPAT x", "PUBSUB HELP x", "PUBLISH a",
            "PUBLISH a b c", "SPUBLISH a", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
        ])
        # Channel lists come in hash order: compare them as sets.
        ours = sorted(self.t.call("PUBSUB", "CHANNELS").split(b"\r\n"))
        theirs = sorted(self.r.call("PUBSUB", "CHANNELS").split(b"\r\n"))
        self.assertEqual(ours, theirs)
        for name in ("t", "r"):
            info = (self.t if name == "t" else self.r).call("INFO", "stats").decode()
            self.assertIn("pubsub_channels:2\r\n", info, name)
            self.assertIn("pubsub_patterns:2\r\n", info, name)
            self.assertIn("pubsubshard_channels:1\r\n", info, name)
        for a, b in others.values():
            a.close()
            b.close()

    def test_resp3_pushes(self):
        for conn in self.both():
            conn.call("HELLO", "3")
        self.same_n(2, "SUBSCRIBE", "a", "b")
        self.same_n(1, "PSUBSCRIBE", "a*")
        self.same_n(1, "SSUBSCRIBE", "a")
        self.script(["GET x", "SET x 1", "GET x", "PING", "PING hi", "CLIENT INFO x"])
        # Messages for the publishing client itself come before PUBLISH's reply.
        self.same_n(3, "PUBLISH", "a", "hi")
        self.same_n(2, "SPUBLISH", "a", "shard")
        self.same_n(2, "UNSUBSCRIBE", "a", "b")
        self.same_n(1, "UNSUBSCRIBE")
        self.same_n(1, "PUNSUBSCRIBE")
        self.same_n(1, "SUNSUBSCRIBE")
        self.same_n(1, "SUNSUBSCRIBE")

    def test_resp3_messages_from_other_clients(self):
        subs = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            s = server.raw()
            s.call("HELLO", "3")
            s.send(encode_command("SUBSCRIBE", "c"))
            s.read_reply()
            subs[name] = s
        self.same("PUBLISH", "c", "one")
        self.same("SET", "k", "v")
        self.same("PUBLISH", "c", "two")
        got = {name: (frames(s, 2), s.call("GET", "k")) for name, s in subs.items()}
        for s in subs.values():
            s.close()
        self.assertEqual(got["t"], got["r"])
        self.assertTrue(got["t"][0].startswith(b">3\r\n$7\r\nmessage\r\n"))

    def test_client_list_and_kill_pubsub_type(self):
        fields = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            s = server.raw()
            s.send(encode_command("SUBSCRIBE", "a", "b"))
            read_n(s, 2)
            s.send(encode_command("PSUBSCRIBE", "p*"))
            read_n(s, 1)
            s.send(encode_command("SSUBSCRIBE", "q"))
            read_n(s, 1)
            c = server.raw()
            listing = c.call("CLIENT", "LIST", "TYPE", "pubsub").decode()
            lines = [l for l in listing.split("\n") if l.startswith("id=")]
            self.assertEqual(len(lines), 1, listing)
            f = dict(kv.split("=", 1) for kv in lines[0].split(" "))
            fields[name] = (f["flags"], f["sub"], f["psub"], f["ssub"], f["cmd"],
                            c.call("CLIENT", "KILL", "TYPE", "pubsub"))
            self.assertTrue(s.closed_by_peer())
            s.close()
            c.close()
        self.assertEqual(fields["t"], fields["r"])
        self.assertEqual(fields["t"][:4], ("P", "2", "1", "1"))

    def test_keyspace_events(self):
        script = [
            "SET a 1", "SET a 2", "SET a 3 NX", "SET b 1 EX 100", "SET c 1 KEEPTTL", "SETNX c 2",
            "SETNX d 1", "SETEX e 100 v", "PSETEX f 100000 v", "GETSET a 9", "GETDEL d", "GETEX e PERSIST",
            "GETEX e PERSIST", "GETEX e EX 50", "GETEX e EXAT 1", "MSET m1 1 m2 2", "MSETNX m1 1 m3 3",
            "MSETNX m3 3 m4 4", "APPEND ap x", "APPEND ap y", "SETRANGE sr 2 x", "SETRANGE sr 0 y",
            "INCR n", "INCRBY n 5", "DECR n", "DECRBY n 2", "INCRBYFLOAT n 1.5", "INCR a",
            "GET missing", "MGET missing a", "EXISTS missing", "STRLEN missing",
            "DEL a missing m1", "UNLINK m2", "EXPIRE m3 100", "PEXPIRE m3 100000", "EXPIRE m3 100 NX",
            "PERSIST m3", "PERSIST m3", "EXPIRE m3 -1", "SET r1 1", "RENAME r1 r2", "SET r3 1",
            "RENAMENX r2 r3", "RENAMENX r2 r4", "RENAME r4 r3", "COPY r3 r5", "COPY r3 r5",
            "COPY r3 r5 REPLACE", "COPY r3 r5 DB 3", "MOVE r5 2", "MOVE nosuch 2", "SELECT 2",
            "SET x 1", "DEL x r5", "SELECT 0", "SET px 1 PX 1",
        ]
        events = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            c = server.raw()
            c.call("CONFIG", "SET", "notify-keyspace-events", "AKEmn")
            s = server.raw()
            s.send(encode_command("PSUBSCRIBE", "__key*"))
            s.read_reply()
            replies = []
            for cmd in script:
                replies.append(c.call(*cmd.split()))
                if cmd.startswith("SET px"):
                    time.sleep(0.01)
            replies.append(c.call("GET", "px"))  # lazy expiry
            c.call("SET", "act", "1", "PX", "20")
            # Active expiry: the cron finds it without anyone touching the key.
            deadline = time.time() + 5
            got = b""
            while time.time() < deadline and b"expired\r\n$3\r\nact\r\n" not in got:
                got += drain(s, 0.1)
            events[name] = (replies, got)
            c.call("CONFIG", "SET", "notify-keyspace-events", "")
            c.close()
            s.close()
        self.assertEqual(events["t"][0], events["r"][0])
        ours = re.findall(rb"pmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n([^\r]*)",
                          events["t"][1])
        theirs = re.findall(rb"pmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n([^\r]*)",
                            events["r"][1])
        self.assertEqual(ours, theirs)
        self.assertIn((b"__keyevent@0__:expired", b"px"), ours)
        self.assertIn((b"__keyevent@0__:expired", b"act"), ours)
        self.assertIn((b"__keyspace@0__:a", b"set"), ours)
        self.assertIn((b"__keyevent@0__:del", b"a"), ours)

    def test_keyspace_event_classes(self):
        for flags in ("K$", "Eg", "Kx", "KEA", "E", "Agn"):
            events = {}
            for name, server in (("t", self.terndb), ("r", self.redis)):
                c = server.raw()
                c.call("CONFIG", "SET", "notify-keyspace-events", flags)
                s = server.raw()
                s.send(encode_command("PSUBSCRIBE", "*"))
                s.read_reply()
                for cmd in ("SET a 1", "EXPIRE a 100", "INCR b", "DEL a b", "SET c 1 PX 1"):
                    c.call(*cmd.split())
                time.sleep(0.01)
                c.call("GET", "c")
                events[name] = (c.call("CONFIG", "GET", "notify-keyspace-events"), drain(s, 0.2))
                c.call("CONFIG", "SET", "notify-keyspace-events", "")
                c.close()
                s.close()
            self.assertEqual(events["t"], events["r"], flags)

    def test_monitor_lines(self):
        lines = {}
        for name, server in (("t", self.terndb), ("r", self.redis)):
            m = server.raw()
            self.assertEqual(m.call("MONITOR"), b"+OK\r\n")
            c = server.raw()
            for cmd in (["SET", "k", "a b\n\"\\\x01\x7f"], ["GET", "k"], ["CONFIG", "GET", "port"],
                        ["AUTH", "pw"], ["AUTH", "user", "pw"], ["NOSUCH"], ["SELECT", "4"],
                        ["PING"], ["MULTI"], ["SET", "c", "2"], ["EXEC"], ["CLIENT", "LIST"],
                        ["CLIENT", "ID"], ["HELLO", "3", "AUTH", "default", "pw"], ["HELLO", "2"],
                        ["GET"], ["SUBSCRIBE", "q"]):
                c.call(*cmd)
            time.sleep(0.1)
            got = drain(m, 0.2)
            # The monitor's own commands: reply first, then its line; keyspace refused.
            own = m.call("PING") + m.read_reply()
            refused = m.call("GET", "k")
            m.send(encode_command("MONITOR"))
            silent = drain(m, 0.1)
            reset = m.call("RESET")
            c.call("SET", "after", "1")
            after = drain(m, 0.1)
            norm = lambda b: re.sub(rb"\+\d+\.\d{6} \[(\d+) [^\]]*\]", rb"+T [\1 ADDR]", b)
            lines[name] = (norm(got), norm(own), refused, silent, reset, after)
            m.close()
            c.close()
        self.assertEqual(lines["t"], lines["r"])
        self.assertIn(b'"SET" "k" "a b\\n\\"\\\\\\x01\\x7f"', lines["t"][0])

    def test_monitor_inside_multi_and_subscribed(self):
        self.script(["MULTI", "MONITOR", "EXEC"])
        self.same_n(1, "SUBSCRIBE", "x")
        self.same("MONITOR")

    def test_client_pause_errors(self):
        self.script([
            "CLIENT PAUSE", "CLIENT PAUSE abc", "CLIENT PAUSE -1", "CLIENT PAUSE 10 foo",
            "CLIENT PAUSE 10 write extra", "CLIENT PAUSE 99999999999999999999",
            "CLIENT PAUSE 9223372036854775807", "CLIENT PAUSE 10 WRITE", "CLIENT PAUSE 0 all",
            "CLIENT UNPAUSE", "CLIENT UNPAUSE x", "CLIENT UNPAUSE",
        ])
        time.sleep(0.05)
        self.same("SET", "k", "v")


class PubsubThreads(SharedTerndb):
    """terndb alone, with 2 io threads: delivery across threads."""

    def test_resp3_commands_between_pushes(self):
        sub = self.terndb.raw()
        sub.call("HELLO", "3")
        sub.send(encode_command("SUBSCRIBE", "stream"))
        self.assertEqual(sub.read_reply(), b">3\r\n$9\r\nsubscribe\r\n$6\r\nstream\r\n:1\r\n")
        count = 3000
        stop = threading.Event()

        def publish():
            pub = self.terndb.raw()
            for i in range(count):
                pub.call("PUBLISH", "stream", str(i))
            pub.close()
            stop.set()

        t = threading.Thread(target=publish)
        t.start()
        seen = []
        n = 0
        # Commands on the subscribed connection keep answering while pushes arrive.
        while not stop.is_set() or len(seen) < count:
            n += 1
            sub.send(encode_command("INCR", "counter"))
            while True:
                frame = sub.read_reply()
                if frame.startswith(b">"):
                    m = re.match(rb">3\r\n\$7\r\nmessage\r\n\$6\r\nstream\r\n\$\d+\r\n(\d+)\r\n$",
                                 frame)
                    self.assertIsNotNone(m, frame)
                    seen.append(int(m.group(1)))
                    continue
                self.assertEqual(frame, b":%d\r\n" % n)
                break
            if n > 200000:
                break
        t.join()
        self.assertEqual(seen, list(range(count)))
        self.assertEqual(sub.call("GET", "counter"), b"$%d\r\n%d\r\n" % (len(str(n)), n))
        sub.close()

    def test_fanout_500_subscribers_100k_messages(self):
        subscribers = 500
        messages = 5000 if SANITIZED else 100000
        socks = []
        for _ in range(subscribers):
            s = socket.create_connection(("127.0.0.1", self.terndb.port))
            s.sendall(encode_command("SUBSCRIBE", "fan"))
            socks.append(s)
        confirm = b"*3\r\n$9\r\nsubscribe\r\n$3\r\nfan\r\n:1\r\n"
        for s in socks:
            got = b""
            while len(got) < len(confirm):
                got += s.recv(len(confirm) - len(got))
            self.assertEqual(got, confirm)
        check = self.terndb.raw()
        self.assertEqual(check.call("PUBSUB", "NUMSUB", "fan"),
                         b"*2\r\n$3\r\nfan\r\n:%d\r\n" % subscribers)
        payloads = [b"%d" % i for i in range(messages)]
        expected = b"".join(b"*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$%d\r\n%s\r\n" % (len(p), p)
                            for p in payloads)
        # Every subscriber must receive exactly this byte stream: nothing lost, nothing
        # reordered, nothing torn. Reader threads compare as the bytes arrive.
        offsets = [0] * subscribers
        errors = []
        buf_size = 1 << 18

        def reader(indexes):
            sel = selectors.DefaultSelector()
            bufs = {}
            for i in indexes:
                socks[i].setblocking(False)
                sel.register(socks[i], selectors.EVENT_READ, i)
                bufs[i] = bytearray(buf_size)
            remaining = set(indexes)
            deadline = time.time() + 300
            while remaining and time.time() < deadline and not errors:
                for key, _ in sel.select(timeout=1):
                    i = key.data
                    n = socks[i].recv_into(bufs[i])
                    if n == 0:
                        errors.append("subscriber %d disconnected at %d" % (i, offsets[i]))
                        remaining.discard(i)
                        sel.unregister(socks[i])
                        continue
                    o = offsets[i]
                    if memoryview(bufs[i])[:n] != expected[o:o + n]:
                        errors.append("subscriber %d: wrong bytes at offset %d" % (i, o))
                    offsets[i] = o + n
                    if offsets[i] >= len(expected):
                        remaining.discard(i)
                        sel.unregister(socks[i])
            if remaining and not errors:
                errors.append("timed out with %d subscribers incomplete" % len(remaining))

        groups = [list(range(k, subscribers, 4)) for k in range(4)]
        readers = [threading.Thread(target=reader, args=(g,)) for g in groups]
        for r in readers:
            r.start()
        pub = socket.create_connection(("127.0.0.1", self.terndb.port))
        batch = 1000
        reply = b":%d\r\n" % subscribers
        start = time.time()
        for b in range(0, messages, batch):
            pub.sendall(b"".join(encode_command("PUBLISH", "fan", p) for p in payloads[b:b + batch]))
            want = len(reply) * batch
            got = b""
            while len(got) < want:
                chunk = pub.recv(want - len(got))
                self.assertTrue(chunk)
                got += chunk
            self.assertEqual(got, reply * batch)
        for r in readers:
            r.join()
        elapsed = time.time() - start
        self.assertEqual(errors, [])
        self.assertEqual(offsets, [len(expected)] * subscribers)
        print("\n  fan-out: %d deliveries in %.1fs" % (subscribers * messages, elapsed))
        # No frames beyond the expected stream.
        for s in socks:
            s.setblocking(True)
            s.settimeout(0.01)
            try:
                self.assertEqual(s.recv(1), b"")
            except socket.timeout:
                pass
            s.close()
        pub.close()
        check.close()

    def test_monitor_sees_every_thread(self):
        m = self.terndb.raw()
        self.assertEqual(m.call("MONITOR"), b"+OK\r\n")
        clients = [self.terndb.raw() for _ in range(6)]  # dealt over both threads
        ids = []
        for i, c in enumerate(clients):
            ids.append(int(c.call("CLIENT", "ID")[1:-2]))
            c.call("SET", "mon:%d" % i, "v%d" % i)
        got = b""
        deadline = time.time() + 5
        while time.time() < deadline and got.count(b'"SET"') < len(clients):
            got += drain(m, 0.1)
        lines = got.decode().split("\r\n")
        sets = [l for l in lines if '"SET"' in l]
        self.assertEqual(len(sets), len(clients), got)
        for i, c in enumerate(clients):
            port = c.sock.getsockname()[1]
            pattern = r'^\+\d+\.\d{6} \[0 127\.0\.0\.1:%d\] "SET" "mon:%d" "v%d"$' % (port, i, i)
            self.assertTrue(any(re.match(pattern, l) for l in sets), (pattern, sets))
            c.close()
        self.assertEqual(m.call("RESET"), b"+RESET\r\n")
        m.close()

    def test_client_pause_write_holds_set_not_get(self):
        c = self.terndb.raw()
        other = self.terndb.raw()
        c.call("SET", "p", "before")
        self.assertEqual(other.call("CLIENT", "PAUSE", "400", "WRITE"), b"+OK\r\n")
        t0 = time.time()
        self.assertEqual(c.call("GET", "p"), b"$6\r\nbefore\r\n")
        self.assertLess(time.time() - t0, 0.2)
        # SET waits for the end of the pause; the commands pipelined behind it wait too
        # and keep their order.
        t0 = time.time()
        c.send(encode_command("SET", "p", "after") + encode_command("GET", "p"))
        self.assertEqual(c.read_reply(), b"+OK\r\n")
        held = time.time() - t0
        self.assertEqual(c.read_reply(), b"$5\r\nafter\r\n")
        self.assertGreater(held, 0.25)
        # While paused, a reader on another connection still gets answers at once.
        other.call("CLIENT", "PAUSE", "5000", "WRITE")
        c.send(encode_command("INCR", "held"))
        t0 = time.time()
        self.assertEqual(other.call("GET", "p"), b"$5\r\nafter\r\n")
        self.assertLess(time.time() - t0, 0.2)
        time.sleep(0.2)
        self.assertEqual(drain(c, 0.05), b"")
        # CLIENT UNPAUSE releases the held client at once.
        self.assertEqual(other.call("CLIENT", "UNPAUSE"), b"+OK\r\n")
        self.assertEqual(c.read_reply(), b":1\r\n")
        self.assertLess(time.time() - t0, 2)
        # ALL holds reads too.
        other.call("CLIENT", "PAUSE", "300", "ALL")
        t0 = time.time()
        self.assertEqual(c.call("GET", "p"), b"$5\r\nafter\r\n")
        self.assertGreater(time.time() - t0, 0.2)
        c.close()
        other.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class OutputBufferLimit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Terndb("--client-output-buffer-limit", "pubsub", "32mb", "8mb", "60", threads=2)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_stalled_subscriber_is_disconnected(self):
        config = self.server.raw()
        self.assertIn(b"pubsub 33554432 8388608 60\r\n",
                      config.call("CONFIG", "GET", "client-output-buffer-limit"))
        # A subscriber that never reads (small receive buffer: the kernel holds little).
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", self.server.port))
        stalled.sendall(encode_command("CLIENT", "ID") + encode_command("SUBSCRIBE", "big"))
        stalled_id = int(stalled.recv(64).split(b"\r\n")[0][1:])
        # A healthy subscriber on the same channel reads everything.
        healthy = self.server.raw()
        healthy.send(encode_command("SUBSCRIBE", "big"))
        healthy.read_reply()
        received = [0]

        def read_all():
            healthy.sock.settimeout(30)
            data = bytearray(1 << 20)
            total = 0
            while total < expected_bytes:
                n = healthy.sock.recv_into(data)
                if not n:
                    break
                total += n
            received[0] = total

        payload = b"m" * (1 << 20)
        count = 80
        frame = b"*3\r\n$7\r\nmessage\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" % (len(payload), payload)
        expected_bytes = len(frame) * count
        reader = threading.Thread(target=read_all)
        reader.start()
        baseline = rss_kb(self.server.proc.pid)
        peak = baseline
        pub = self.server.raw()
        getter = self.server.raw()
        getter.call("SET", "probe", "ok")
        latencies = []
        receivers = []
        for i in range(count):
            receivers.append(int(pub.call("PUBLISH", "big", payload)[1:-2]))
            t0 = time.time()
            self.assertEqual(getter.call("GET", "probe"), b"$2\r\nok\r\n")
            latencies.append(time.time() - t0)
            peak = max(peak, rss_kb(self.server.proc.pid))
        reader.join()
        # The stalled client was cut off once it held 32 MB, long before the end.
        self.assertEqual(receivers[0], 2)
        self.assertEqual(receivers[-1], 1)
        self.assertLess(receivers.index(1), 40)
        listing = config.call("CLIENT", "LIST").decode()
        self.assertNotIn("id=%d " % stalled_id, listing)
        log = self.server.log()
        self.assertRegex(log, r"Client id=%d addr=\S+ .*flags=P .*sub=1 .* scheduled to be closed "
                              r"ASAP for overcoming of output buffer limits\." % stalled_id)
        # Nobody else was slowed: the healthy subscriber got every message, GETs answered.
        self.assertEqual(received[0], expected_bytes)
        latencies.sort()
        print("\n  cut off after %d messages; GET median %.2f ms, max %.2f ms; RSS +%d kB"
              % (receivers.index(1), latencies[len(latencies) // 2] * 1000,
                 latencies[-1] * 1000, peak - baseline))
        if not SANITIZED:
            self.assertLess(latencies[len(latencies) // 2], 0.010, latencies)
            self.assertLess(latencies[int(len(latencies) * 0.9)], 0.010, latencies)
            self.assertLess(peak - baseline, 100 * 1024, (baseline, peak))
        info = config.call("INFO", "clients").decode()
        recent = int(re.search(r"client_recent_max_output_buffer:(\d+)", info).group(1))
        self.assertGreaterEqual(recent, 8 * 1024 * 1024)
        stalled.close()
        for c in (healthy, pub, getter, config):
            c.close()


if __name__ == "__main__":
    main()
