"""Active replication end to end, over real peer links: nodes in a full mesh, a ring and a
star take random concurrent writes of every type and end with equal DEBUG DIGESTs; a node
cut off for 30 seconds catches up by partial resync without bringing deleted keys back; a
node restarted from its RDB merges without losing newer data; a broadcast published on
one node reaches subscribers on every other node exactly once.

Every directed link goes through a TCP proxy of the test's own, so links can be cut.
ACTIVE_TEST_SECONDS sets how long the random writes run (60 for the full acceptance run;
ctest uses less to keep the suite short)."""
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from active_util import random_writes, wait_equal_digests
from harness import Terndb, main, terndb_binary
from repl_util import Proxy, wait_until

WRITE_SECONDS = float(os.environ.get("ACTIVE_TEST_SECONDS", "15"))


def sanitizer_build():
    libs = subprocess.run(["ldd", terndb_binary()], capture_output=True, text=True).stdout
    return "libasan" in libs or "libtsan" in libs


# Sanitizer builds run several times slower: their time bounds stretch by this much (the
# Release build is held to the bounds).
SLOWDOWN = 10.0 if sanitizer_build() else 1.0


def active_node(*extra):
    return Terndb("--active-replica", "yes", "--multi-master", "yes", "--enable-debug-command",
                  "yes", "--repl-backlog-size", "256mb", "--repl-timeout", "60",
                  "--repl-diskless-sync-delay", "0", *extra)


class Cluster:
    """Nodes and the proxied links between them: links[(a, b)] carries a's stream to b
    (b is a's replica)."""

    def __init__(self, n, pairs, per_node=None):
        per_node = per_node or [()] * n
        self.nodes = [active_node(*per_node[i]) for i in range(n)]
        self.links = {}
        for a, b in pairs:
            self.add_link(a, b)
        self.wait_links()

    def add_link(self, a, b):
        proxy = Proxy(self.nodes[a].port)
        self.links[(a, b)] = proxy
        self.nodes[b].client().execute_command("REPLICAOF", "127.0.0.1", proxy.port)

    def masters_of(self, b):
        return sum(1 for (_, dst) in self.links if dst == b)

    def wait_links(self, timeout=60):
        for i, node in enumerate(self.nodes):
            want = self.masters_of(i)
            if want == 0:
                continue
            try:
                wait_until(
                    lambda: node.client().info("replication").get("connected_masters") == want,
                    timeout, what="node %d to link to its %d masters" % (i, want))
            except AssertionError as e:
                logs = "".join("\n--- node %d (port %d) ---\n%s" % (k, n.port, n.log()[-6000:])
                               for k, n in enumerate(self.nodes))
                raise AssertionError(str(e) + logs) from None

    def clients(self):
        return [s.client() for s in self.nodes]

    def isolate(self, i):
        for (a, b), p in self.links.items():
            if i in (a, b):
                p.cut()

    def heal(self, i):
        for (a, b), p in self.links.items():
            if i in (a, b):
                p.heal()

    def stop(self):
        for p in self.links.values():
            p.close()
        for s in self.nodes:
            s.stop()


def write_concurrently(clients, seconds, seed_base=0, keys=300, rate=None):
    """Random writes from every client at once, as fast as they go or `rate` per second
    per client."""
    start = time.time()
    stop = start + seconds
    errors = []

    def work(c, seed):
        done = 0
        try:
            while time.time() < stop:
                random_writes(c, 200, seed, keys=keys)
                done += 200
                seed += 7919
                if rate:
                    ahead = start + done / rate - time.time()
                    if ahead > 0:
                        time.sleep(ahead)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(c, seed_base + i * 100003))
               for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def full_mesh(n):
    return [(a, b) for a in range(n) for b in range(n) if a != b]


class Topologies(unittest.TestCase):
    def converge(self, n, pairs, bound):
        cluster = Cluster(n, pairs)
        try:
            clients = cluster.clients()
            write_concurrently(clients, WRITE_SECONDS)
            took = wait_equal_digests(clients, timeout=30 * SLOWDOWN)
            self.assertGreater(clients[0].dbsize(), 100)
            # Every node took part: each one's writes reached the others.
            for c in clients:
                self.assertGreater(c.info("stats")["total_commands_processed"], 200)
            self.assertLessEqual(took, bound * SLOWDOWN, "converged in %.2f s" % took)
            print("%d nodes: equal digests %.2f s after the writes stopped" % (n, took))
        finally:
            cluster.stop()

    def test_three_nodes_full_mesh(self):
        self.converge(3, full_mesh(3), bound=2.0)

    def test_five_nodes_ring(self):
        self.converge(5, [(i, (i + 1) % 5) for i in range(5)], bound=5.0)

    def test_five_nodes_star(self):
        hub = [(0, i) for i in range(1, 5)] + [(i, 0) for i in range(1, 5)]
        self.converge(5, hub, bound=5.0)


class Partition(unittest.TestCase):
    def test_isolated_node_catches_up_by_partial_resync(self):
        # A full mesh, as the seed deploys regions: every node hears every other directly,
        # so nothing needs forwarding (multi-master-no-forward), which keeps the catch-up
        # to each node's own writes.
        cluster = Cluster(3, full_mesh(3), per_node=[("--multi-master-no-forward", "yes")] * 3)
        try:
            clients = cluster.clients()
            a, b, x = clients
            # Keys every node holds, to be deleted on either side of the partition.
            for i in range(100):
                a.set("d:%d" % i, "before")
            for i in range(50):
                a.set("r:%d" % i, "before")
                a.set("w:%d" % i, "before")
            wait_equal_digests(clients, timeout=10)
            full_before = [c.info("stats")["sync_full"] for c in clients]
            partial_before = [c.info("stats")["sync_partial_ok"] for c in clients]

            cluster.isolate(2)
            wait_until(lambda: x.info("replication")["connected_masters"] == 0, 15,
                       what="node 2 cut off")
            # While cut off: x deletes half the d: keys, the others delete the rest; x
            # overwrites r:* keys that the others delete later (the later delete must win),
            # and the others overwrite w:* keys that x deletes later.
            x.delete(*["d:%d" % i for i in range(50)])
            a.delete(*["d:%d" % i for i in range(50, 100)])
            for i in range(50):
                x.set("r:%d" % i, "old-from-x")
                b.set("w:%d" % i, "old-from-b")
            time.sleep(0.05)
            a.delete(*["r:%d" % i for i in range(50)])
            x.delete(*["w:%d" % i for i in range(50)])
            # A busy app's load, 2,000 writes/s on each node of every type, on a machine
            # that also runs the writers and the other tests (bench/active_figures.py
            # measures heavier loads).
            write_concurrently(clients, 30.0, seed_base=17, rate=2000)
            sent_before = sum(int(c.info("stats")["total_net_repl_output_bytes"])
                              for c in clients)
            cluster.heal(2)
            healed = time.time()
            cluster.wait_links()
            linked = time.time() - healed
            wait_equal_digests(clients, timeout=30)
            took = time.time() - healed
            sent = sum(int(c.info("stats")["total_net_repl_output_bytes"])
                       for c in clients) - sent_before
            for c in clients:
                for prefix in ("d", "r", "w"):
                    self.assertEqual(c.exists(*["%s:%d" % (prefix, i) for i in range(50)]), 0)
                self.assertEqual(c.exists(*["d:%d" % i for i in range(50, 100)]), 0)
            self.assertEqual([c.info("stats")["sync_full"] for c in clients], full_before)
            partial_after = [c.info("stats")["sync_partial_ok"] for c in clients]
            self.assertGreater(sum(partial_after), sum(partial_before))
            for node in cluster.nodes:
                self.assertNotIn("Full resync requested", node.log())
            print("partition: links up %.2f s and equal digests %.2f s after healing; "
                  "%d bytes sent meanwhile" % (linked, took, sent))
            self.assertLessEqual(took, 5.0 * SLOWDOWN, "converged %.2f s after healing" % took)
        finally:
            cluster.stop()


class Restart(unittest.TestCase):
    def test_node_restarted_from_its_rdb_merges_without_losing_newer_data(self):
        data_dir = tempfile.mkdtemp(prefix="terndb-active-rdb-")
        cluster = Cluster(3, full_mesh(3), per_node=[(), (), ("--dir", data_dir)])
        try:
            a, b, c = cluster.clients()
            for i in range(300):
                a.set("k:%d" % i, "v1")
                b.hset("h:%d" % (i % 30), "f%d" % i, "v1")
            wait_equal_digests([a, b, c], timeout=10)
            c.save()
            cluster.nodes[2].stop()
            # While it is down the others move on: overwrite, delete, add.
            for i in range(100):
                a.set("k:%d" % i, "v2")
            b.delete(*["k:%d" % i for i in range(100, 150)])
            for i in range(50):
                a.set("n:%d" % i, "new")
            # Back from its snapshot, with a write of its own before it links again.
            cluster.nodes[2] = active_node("--dir", data_dir)
            c = cluster.nodes[2].client()
            wait_until(lambda: c.info("persistence")["loading"] == 0, 60,
                       what="the snapshot to load")
            self.assertEqual(c.get("k:0"), b"v1")  # the snapshot's value, for now
            c.set("k:200", "after-restart")
            c.set("c:only", "x")
            for (src, dst), proxy in cluster.links.items():
                if src == 2:
                    proxy.target = cluster.nodes[2].port
            for (src, dst) in list(cluster.links):
                if dst == 2:
                    c.execute_command("REPLICAOF", "127.0.0.1", cluster.links[(src, dst)].port)
            cluster.wait_links()
            wait_equal_digests([a, b, c], timeout=20)
            for node in (a, b, c):
                self.assertEqual(node.mget(["k:%d" % i for i in range(100)]), [b"v2"] * 100)
                self.assertEqual(node.exists(*["k:%d" % i for i in range(100, 150)]), 0)
                self.assertEqual(node.get("k:200"), b"after-restart")
                self.assertEqual(node.get("c:only"), b"x")
                self.assertEqual(node.get("n:49"), b"new")
                self.assertEqual(node.hlen("h:0"), 10)
        finally:
            cluster.stop()
            shutil.rmtree(data_dir, ignore_errors=True)


class Broadcast(unittest.TestCase):
    def test_publish_reaches_every_other_node_once(self):
        cluster = Cluster(3, full_mesh(3))
        try:
            a, b, c = cluster.clients()
            subs = []
            for node in (b, c):
                p = node.pubsub()
                p.subscribe("chat_room_1")
                p.get_message(timeout=2)
                subs.append(p)
            local = a.pubsub()
            local.subscribe("chat_room_1")
            local.get_message(timeout=2)
            for i in range(20):
                a.publish("chat_room_1", "msg %d" % i)
            expected = [("msg %d" % i).encode() for i in range(20)]
            for p in subs + [local]:
                got = []
                deadline = time.time() + 3
                while time.time() < deadline:
                    m = p.get_message(timeout=0.2)
                    if m and m["type"] == "message":
                        got.append(m["data"])
                self.assertEqual(got, expected)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
