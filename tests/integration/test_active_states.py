"""Active replication, the data side on one node: what it sends for its writes (key states
with versions), which peer states it applies (newer versions only, tombstones included),
and a peer's broadcast delivered once. Convergence over real links is
test_active_convergence.py."""
import time
import unittest

from active_util import StreamReader, parse_resp_command
from harness import Terndb, main

OTHER = "0f0e0d0c-0b0a-4909-8807-060504030201"  # a peer's uuid


def active_node(*extra):
    return Terndb("--active-replica", "yes", "--multi-master", "yes", "--enable-debug-command",
                  "yes", "--repl-diskless-sync-delay", "0", *extra)


def node_uuid(server):
    with open(server.log_path, errors="replace") as f:
        for line in f:
            if "this node's uuid is" in line:
                return line.rsplit(" ", 1)[1].strip()
    raise AssertionError("no uuid in the log")


def rreplay(client, origin, inner, mvcc, db=0):
    from harness import encode_command
    return client.execute_command("RREPLAY", origin, encode_command(*inner), db, mvcc)


class StatesSent(unittest.TestCase):
    def setUp(self):
        self.s = active_node()
        self.c = self.s.client()

    def tearDown(self):
        self.s.stop()

    def test_writes_go_out_as_versioned_states(self):
        uuid = node_uuid(self.s)
        self.assertEqual(len(uuid), 36)
        reader = StreamReader(self.s.port)
        try:
            self.c.set("k", "v1")
            self.c.append("k", "+tail")
            self.c.rpush("list", "a", "b")
            self.c.delete("k")
            self.c.publish("news", "hello")
            got = reader.commands_until(lambda c: c[0] == b"RREPLAY" and b"PUBLISH" in c[2])
        finally:
            reader.close()
        states = [c for c in got if c[0] == b"RREPLAY"]
        inner = [parse_resp_command(c[2]) for c in states]
        self.assertEqual(inner[0], [b"SET", b"k", b"v1"])
        self.assertEqual(inner[1], [b"SET", b"k", b"v1+tail"])  # the result, not APPEND
        self.assertEqual(inner[2][:2], [b"RESTORE", b"list"])
        self.assertEqual(inner[2][4:], [b"REPLACE", b"ABSTTL"])
        self.assertEqual(inner[3], [b"DEL", b"k"])
        self.assertEqual(inner[4], [b"PUBLISH", b"news", b"hello"])
        stamps = [int(c[4]) for c in states]
        self.assertEqual(stamps, sorted(stamps))
        self.assertEqual(len(set(stamps)), len(stamps))
        for c in states:
            self.assertEqual(c[1].decode(), uuid)
            self.assertEqual(c[3], b"0")
        # mvcc is milliseconds << 20 plus a counter, near now
        self.assertLess(abs((stamps[0] >> 20) - time.time() * 1000), 60000)

    def test_large_values_change_by_command_against_their_version(self):
        reader = StreamReader(self.s.port)
        try:
            self.c.rpush("big", "a", "b")  # small: the whole state
            self.c.rpush("big", *["element-%03d" % i for i in range(100)])  # now large
            self.c.lpush("big", "head")
            got = reader.commands_until(
                lambda c: c[0] == b"RREPLAY" and b"LPUSH" in c[2])
        finally:
            reader.close()
        whole, grow, change = [c for c in got if c[0] == b"RREPLAY"][-3:]
        self.assertEqual(parse_resp_command(whole[2])[0], b"RESTORE")
        self.assertEqual(len(whole), 5)
        self.assertEqual(parse_resp_command(grow[2])[:3], [b"RPUSH", b"big", b"element-000"])
        self.assertEqual(parse_resp_command(change[2]), [b"LPUSH", b"big", b"head"])
        # Each change names the version it applied to: the one before it.
        self.assertEqual((grow[5], grow[6]), (whole[4], whole[1]))
        self.assertEqual((change[5], change[6]), (grow[4], grow[1]))
        self.assertGreater(int(change[4]), int(grow[4]))

        # Applied on a node holding that version; ignored by one holding another.
        other = active_node()
        try:
            oc = other.client()
            oc.execute_command(*whole)
            oc.execute_command(*change)  # not yet: it applies to the grown list
            self.assertEqual(oc.llen("big"), 2)
            oc.execute_command(*grow)
            self.assertEqual(oc.llen("big"), 102)
            oc.execute_command(*change)
            self.assertEqual(oc.lrange("big", 0, 1), [b"head", b"a"])
            self.assertEqual(oc.execute_command("DEBUG", "DIGEST"),
                             self.c.execute_command("DEBUG", "DIGEST"))
            oc.rpush("big", "local")  # now at a version of its own
            before = oc.lrange("big", 0, -1)
            again = list(change)
            again[4] = str(int(change[4]) + 1).encode()
            oc.execute_command(*again)
            self.assertEqual(oc.lrange("big", 0, -1), before)
        finally:
            other.stop()

    def test_newer_state_wins_older_is_dropped(self):
        self.c.set("k", "mine")
        now = int(time.time() * 1000) << 20
        rreplay(self.c, OTHER, ["SET", "k", "older"], now - (10000 << 20))
        self.assertEqual(self.c.get("k"), b"mine")
        rreplay(self.c, OTHER, ["SET", "k", "newer"], now + (10000 << 20))
        self.assertEqual(self.c.get("k"), b"newer")
        # The same state again changes nothing; a local write after it is newer still.
        rreplay(self.c, OTHER, ["SET", "k", "newer-again"], now + (10000 << 20))
        self.assertEqual(self.c.get("k"), b"newer")
        self.c.set("k", "local")
        self.assertEqual(self.c.get("k"), b"local")

    def test_tombstone_stops_an_older_write(self):
        now = int(time.time() * 1000) << 20
        rreplay(self.c, OTHER, ["SET", "gone", "v"], now - (5000 << 20))
        self.assertEqual(self.c.get("gone"), b"v")
        self.c.delete("gone")
        rreplay(self.c, OTHER, ["SET", "gone", "late"], now - (4000 << 20))
        self.assertIsNone(self.c.get("gone"))
        # A peer's delete of a key we never had still leaves its tombstone.
        rreplay(self.c, OTHER, ["DEL", "never"], now + (1000 << 20))
        rreplay(self.c, OTHER, ["SET", "never", "x"], now + (500 << 20))
        self.assertIsNone(self.c.get("never"))
        self.assertEqual(self.c.info("replication")["active_tombstones"], 2)

    def test_own_writes_coming_back_are_dropped(self):
        uuid = node_uuid(self.s)
        self.c.set("k", "v")
        future = (int(time.time() * 1000) + 100000) << 20
        rreplay(self.c, uuid, ["SET", "k", "echo"], future)
        self.assertEqual(self.c.get("k"), b"v")

    def test_collections_and_expiry_travel_whole(self):
        src = active_node()
        try:
            sc = src.client()
            reader = StreamReader(src.port)
            sc.hset("h", mapping={"a": "1", "b": "2"})
            sc.zadd("z", {"x": 1.5, "y": 2})
            sc.sadd("s", 1, 2, 3)
            sc.set("t", "v", px=10 ** 8)
            got = reader.commands_until(lambda c: c[0] == b"RREPLAY" and b"PXAT" in c[2])
            reader.close()
            for c in got:
                if c[0] == b"RREPLAY":
                    self.c.execute_command(*c)
            for cmd in (("HGETALL", "h"), ("ZRANGE", "z", 0, -1, "WITHSCORES"),
                        ("SMEMBERS", "s"), ("PEXPIRETIME", "t"), ("GET", "t")):
                self.assertEqual(self.c.execute_command(*cmd), sc.execute_command(*cmd), cmd)
            self.assertEqual(self.c.execute_command("DEBUG", "DIGEST"),
                             sc.execute_command("DEBUG", "DIGEST"))
        finally:
            src.stop()

    def test_peer_publish_delivered_once(self):
        sub = self.s.client().pubsub()
        sub.subscribe("cable")
        sub.get_message(timeout=2)
        stamp = int(time.time() * 1000) << 20
        for _ in range(3):  # the same broadcast arriving by three paths
            rreplay(self.c, OTHER, ["PUBLISH", "cable", "hi"], stamp)
        rreplay(self.c, OTHER, ["PUBLISH", "cable", "second"], stamp + 1)
        got = []
        deadline = time.time() + 2
        while time.time() < deadline:
            m = sub.get_message(timeout=0.2)
            if m and m["type"] == "message":
                got.append(m["data"])
        self.assertEqual(got, [b"hi", b"second"])


if __name__ == "__main__":
    main()
