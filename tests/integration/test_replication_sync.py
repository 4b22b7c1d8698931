"""How a terndb master starts its replicas' full syncs and keeps its backlog, against
Debian's redis-server 7.0 and terndb replicas: repl-backlog-ttl, disk-based full sync
(`repl-diskless-sync no`), and repl-diskless-sync-delay / -max-replicas sharing one
snapshot between replicas that arrive together; and a terndb replica loading a full sync
asynchronously (`repl-diskless-load swapdb`) while serving its old data."""
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import unittest

import harness
from harness import RedisServer, Terndb, main
from repl_util import (Proxy, digest, info, mixed_writes, wait_caught_up, wait_link_up,
                       wait_until, writers)

DISK_FORK = "Starting BGSAVE for SYNC with target: disk"
SOCKET_FORK = "Starting BGSAVE for SYNC with target: replicas sockets"


def terndb(*opts):
    # Redis 7.0's default delay (5 s) would slow every sync; the tests of the delay set theirs.
    return Terndb("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", *opts)


def redis(*opts):
    return RedisServer("--enable-debug-command", "yes", *opts)


class ReplicationSyncTest(harness.StartsServers):
    def start(self, srv):
        super().start(srv)
        # Commands other than INFO get -LOADING until the start-up load is done.
        c = srv.client()
        wait_until(lambda: c.info("persistence").get("loading") == 0, 30, what="start-up load")
        return srv

    def link_up(self, replica, master, timeout=60.0):
        try:
            wait_link_up(replica.client(), timeout)
        except AssertionError:
            raise AssertionError("replica link not up; replica log:\n%s\nmaster log:\n%s" %
                                 (replica.log()[-4000:], master.log()[-4000:]))

    def assert_same_data(self, mc, *replicas):
        for rc in replicas:
            wait_caught_up(mc, rc)
            self.assertNotEqual(digest(mc), b"0" * 40)
            self.assertEqual(digest(mc), digest(rc))
            self.assertEqual(mc.dbsize(), rc.dbsize())

    # --- repl-backlog-ttl -------------------------------------------------------------

    def test_backlog_freed_after_ttl_without_replicas(self):
        master = self.start(terndb("--repl-backlog-ttl", "2"))
        mc = master.client()
        proxy = Proxy(master.port)
        try:
            mixed_writes(mc, 5000, seed=11)
            # The replica's own ttl is shorter: a replica never frees its backlog.
            replica = self.start(terndb("--repl-backlog-ttl", "1",
                                        "--replicaof", "127.0.0.1", proxy.port))
            rc = replica.client()
            self.link_up(replica, master)
            self.assert_same_data(mc, rc)
            before = info(mc)
            self.assertEqual(before["repl_backlog_active"], 1)
            self.assertEqual(mc.info("stats")["sync_full"], 1)

            proxy.cut()
            wait_until(lambda: info(mc)["connected_slaves"] == 0, 10, what="replica gone")
            cut_at = time.time()
            mixed_writes(mc, 2000, seed=12)
            wait_until(lambda: info(mc)["repl_backlog_active"] == 0, 10,
                       what="backlog freed on the master")
            # Redis's rule: idle for more than the ttl, in whole seconds.
            self.assertGreaterEqual(time.time() - cut_at, 2.0)
            after = info(mc)
            self.assertEqual(after["repl_backlog_histlen"], 0)
            self.assertEqual(after["repl_backlog_first_byte_offset"], 0)
            self.assertNotEqual(after["master_replid"], before["master_replid"])
            self.assertEqual(str(after["master_replid2"]).strip("0"), "")  # none
            self.assertGreaterEqual(after["master_repl_offset"], before["master_repl_offset"])
            self.assertIn("Replication backlog freed after 2 seconds without connected "
                          "replicas.", master.log())
            # Writes while nothing listens are not kept anywhere.
            mixed_writes(mc, 2000, seed=13)
            self.assertEqual(info(mc)["repl_backlog_histlen"], 0)
            r = info(rc)
            self.assertEqual(r["master_link_status"], "down")
            self.assertEqual(r["repl_backlog_active"], 1)
            self.assertNotIn("Replication backlog freed", replica.log())

            # The old history cannot be continued: a full sync, and the backlog is back.
            proxy.heal()
            self.link_up(replica, master)
            self.assert_same_data(mc, rc)
            stats = mc.info("stats")
            self.assertEqual(stats["sync_full"], 2)
            self.assertEqual(stats["sync_partial_ok"], 0)
            self.assertEqual(stats["sync_partial_err"], 1)
            again = info(mc)
            self.assertEqual(again["repl_backlog_active"], 1)
            self.assertEqual(info(rc)["master_replid"], again["master_replid"])
            # Streaming works again after the backlog came back.
            mixed_writes(mc, 2000, seed=14)
            self.assert_same_data(mc, rc)
        finally:
            proxy.close()

    def test_backlog_ttl_zero_keeps_it(self):
        master = self.start(terndb("--repl-backlog-ttl", "0"))
        mc = master.client()
        mixed_writes(mc, 1000, seed=21)
        replica = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        self.link_up(replica, master)
        mixed_writes(mc, 1000, seed=22)
        self.assert_same_data(mc, replica.client())
        self.assertGreater(info(mc)["repl_backlog_histlen"], 0)
        replica.client().execute_command("REPLICAOF", "NO", "ONE")
        wait_until(lambda: info(mc)["connected_slaves"] == 0, 10, what="replica gone")
        time.sleep(3.5)
        self.assertEqual(info(mc)["repl_backlog_active"], 1)
        self.assertGreater(info(mc)["repl_backlog_histlen"], 0)

    # --- disk-based full sync ---------------------------------------------------------

    def test_disk_sync_to_redis_and_terndb_replicas(self):
        master = self.start(terndb("--repl-diskless-sync", "no"))
        mc = master.client()
        mixed_writes(mc, 20000, seed=31)
        p = mc.info("persistence")
        self.assertEqual(p["rdb_saves"], 0)
        dirty_before = p["rdb_changes_since_last_save"]
        started = int(time.time())
        threads = writers(master.port, 5000, 1, seed=32)
        ref = self.start(redis("--replicaof", "127.0.0.1", master.port))
        ours = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        for t in threads:
            t.join()
        self.link_up(ref, master)
        self.link_up(ours, master)
        mixed_writes(mc, 5000, seed=33)
        self.assert_same_data(mc, ref.client(), ours.client())
        # The snapshot counts as a save: the changes counter restarted at its fork.
        p = mc.info("persistence")
        self.assertGreaterEqual(p["rdb_saves"], 1)
        self.assertEqual(p["rdb_last_bgsave_status"], "ok")
        self.assertGreaterEqual(p["rdb_last_save_time"], started)
        self.assertLess(p["rdb_changes_since_last_save"], dirty_before)

        log = master.log()
        self.assertIn(DISK_FORK, log)
        self.assertNotIn(SOCKET_FORK, log)
        # The payload went with its length, not EOF-marked.
        self.assertRegex(ref.log(), r"MASTER <-> REPLICA sync: receiving \d+ bytes from master")
        # The snapshot is dbfilename, counted as a background save.
        self.assertTrue(os.path.getsize(os.path.join(master.workdir, "dump.rdb")) > 0)
        self.assertEqual([f for f in os.listdir(master.workdir) if f.startswith("temp-")], [])
        self.assertEqual(info(mc)["connected_slaves"], 2)
        self.assertEqual(mc.info("stats")["sync_full"], 2)

    def test_replica_joins_a_disk_snapshot_under_way(self):
        master = self.start(terndb("--repl-diskless-sync", "no"))
        mc = master.client()
        mixed_writes(mc, 5000, seed=71)
        # Enough data for the child to be caught while it writes.
        pipe = mc.pipeline(transaction=False)
        for i in range(100):
            pipe.mset({"bulk:%d:%d" % (i, j): "x%0100d" % j for j in range(1000)})
        pipe.execute()
        first = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        wait_until(lambda: re.search(r"Background saving started by pid (\d+)", master.log()),
                   30, step=0.002, what="the snapshot child")
        pid = int(re.search(r"Background saving started by pid (\d+)", master.log()).group(1))
        # Held while the second replica arrives and writes go on.
        os.kill(pid, signal.SIGSTOP)
        try:
            mixed_writes(mc, 3000, seed=72)
            second = self.start(redis("--replicaof", "127.0.0.1", master.port))
            wait_until(lambda: "Waiting for end of BGSAVE for SYNC" in master.log(), 30,
                       what="the second replica to join")
            mixed_writes(mc, 3000, seed=73)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.link_up(first, master)
        self.link_up(second, master)
        mixed_writes(mc, 2000, seed=74)
        self.assert_same_data(mc, first.client(), second.client())
        self.assertEqual(master.log().count(DISK_FORK), 1)
        self.assertEqual(mc.info("stats")["sync_full"], 2)

    def test_sync_without_capa_eof_gets_the_file(self):
        # SYNC (no capabilities at all) with diskless sync on still gets `$<length>`.
        master = self.start(terndb("--repl-diskless-sync", "yes"))
        mc = master.client()
        rng = random.Random(5)
        value = "".join(rng.choice(string.ascii_letters) for _ in range(300)).encode()
        mc.set("k", value)  # not compressible: found as such in the payload
        s = socket.create_connection(("127.0.0.1", master.port), timeout=10)
        try:
            s.sendall(b"SYNC\r\n")
            data = b""
            # Newlines may come while the snapshot is made; then `$<length>`, with no
            # +FULLRESYNC line before it (that is PSYNC's answer only).
            while b"\r\n" not in data.lstrip(b"\n"):
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                data += chunk
            head, rest = data.lstrip(b"\n").split(b"\r\n", 1)
            self.assertRegex(head, rb"^\$\d+$")
            size = int(head[1:])
            while len(rest) < size:
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                rest += chunk
            self.assertTrue(rest.startswith(b"REDIS"))
            self.assertIn(value, rest[:size])
        finally:
            s.close()
        self.assertIn(DISK_FORK, master.log())

    def test_redis_cli_rdb_backup_loads_into_redis_server(self):
        # `redis-cli --rdb` (REPLCONF rdb-only, then SYNC) saves the payload as a file; a
        # redis-server started on that file has the data.
        for diskless in ("no", "yes"):
            with self.subTest(diskless=diskless):
                master = self.start(terndb("--repl-diskless-sync", diskless))
                mc = master.client()
                mc.set("backup:str", "v" * 100)
                mc.rpush("backup:list", "a", "b", "c")
                mc.hset("backup:hash", mapping={"f1": "1", "f2": "2"})
                out_dir = tempfile.mkdtemp(prefix="terndb-backup-")
                try:
                    path = os.path.join(out_dir, "dump.rdb")
                    res = subprocess.run(["redis-cli", "-p", str(master.port), "--rdb", path],
                                         capture_output=True, timeout=60)
                    self.assertEqual(res.returncode, 0, res.stderr)
                    with open(path, "rb") as f:
                        self.assertEqual(f.read(5), b"REDIS")
                    ref = self.start(redis("--dir", out_dir, "--dbfilename", "dump.rdb"))
                    rc = ref.client()
                    wait_until(lambda: rc.info("persistence").get("loading") == 0, 30,
                               what="redis-server load")
                    self.assertEqual(rc.get("backup:str"), b"v" * 100)
                    self.assertEqual(rc.lrange("backup:list", 0, -1), [b"a", b"b", b"c"])
                    self.assertEqual(rc.hgetall("backup:hash"), {b"f1": b"1", b"f2": b"2"})
                    self.assertEqual(digest(rc), digest(mc))
                finally:
                    shutil.rmtree(out_dir, ignore_errors=True)

    # --- repl-diskless-sync-delay / max-replicas ---------------------------------------

    def two_replicas(self, master, gap=0.3):
        a = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        time.sleep(gap)
        b = self.start(redis("--replicaof", "127.0.0.1", master.port))
        return a, b

    def test_delay_lets_replicas_share_one_snapshot(self):
        master = self.start(terndb("--repl-diskless-sync-delay", "2"))
        mc = master.client()
        mixed_writes(mc, 20000, seed=41)
        t0 = time.time()
        threads = writers(master.port, 10000, 1, seed=42)
        a, b = self.two_replicas(master)
        for t in threads:
            t.join()
        self.link_up(a, master)
        self.link_up(b, master)
        self.assertGreaterEqual(time.time() - t0, 2.0)
        mixed_writes(mc, 5000, seed=43)
        self.assert_same_data(mc, a.client(), b.client())
        log = master.log()
        self.assertEqual(log.count(SOCKET_FORK), 1, log[-3000:])
        self.assertIn("Delay next BGSAVE for diskless SYNC", log)
        self.assertEqual(mc.info("stats")["sync_full"], 2)

    def test_max_replicas_starts_without_waiting_out_the_delay(self):
        master = self.start(terndb("--repl-diskless-sync-delay", "60",
                                   "--repl-diskless-sync-max-replicas", "2"))
        mc = master.client()
        mixed_writes(mc, 5000, seed=51)
        t0 = time.time()
        a, b = self.two_replicas(master)
        self.link_up(a, master, timeout=30)
        self.link_up(b, master, timeout=30)
        self.assertLess(time.time() - t0, 30)
        self.assert_same_data(mc, a.client(), b.client())
        self.assertEqual(master.log().count(SOCKET_FORK), 1)

    def test_without_delay_each_replica_forks_at_once(self):
        master = self.start(terndb("--repl-diskless-sync-delay", "0"))
        mc = master.client()
        mixed_writes(mc, 3000, seed=61)
        a, b = self.two_replicas(master, gap=1.0)
        self.link_up(a, master)
        self.link_up(b, master)
        self.assert_same_data(mc, a.client(), b.client())
        self.assertEqual(master.log().count(SOCKET_FORK), 2)
        self.assertNotIn("Delay next BGSAVE", master.log())


    # --- async loading on the replica (repl-diskless-load swapdb) ------------------------

    def test_async_loading_serves_old_data_until_the_swap(self):
        master = self.start(terndb())
        mc = master.client()
        pipe = mc.pipeline(transaction=False)
        for i in range(150):
            pipe.mset({"new:%d:%d" % (i, j): "y%080d" % j for j in range(1000)})
        pipe.execute()
        replica = self.start(terndb("--repl-diskless-load", "swapdb"))
        rc = replica.client()
        rc.mset({"old:%d" % i: i for i in range(100)})
        rc.execute_command("REPLICAOF", "127.0.0.1", master.port)
        seen = 0
        deadline = time.time() + 60
        while time.time() < deadline:
            p = rc.pipeline(transaction=False)
            p.info("persistence")
            p.get("old:7")
            p.dbsize()
            p.exists("new:0:0")
            p.info("replication")
            p.info("persistence")
            before, old, size, new, repl, after = p.execute()
            if before["async_loading"] == 1 and after["async_loading"] == 1:
                seen += 1
                self.assertEqual(old, b"7")
                self.assertEqual(size, 100)
                self.assertEqual(new, 0)
                self.assertEqual(before["loading"], 0)
                self.assertEqual(repl["master_sync_in_progress"], 1)
                self.assertEqual(repl["master_link_status"], "down")
            if info(rc).get("master_link_status") == "up":
                break
        self.assertGreater(seen, 0, "async_loading:1 never seen")
        self.link_up(replica, master)
        self.assert_same_data(mc, rc)
        self.assertIsNone(rc.get("old:7"))
        self.assertEqual(rc.info("persistence")["async_loading"], 0)
        self.assertIn("async loading", replica.log())
        # The stream goes on after the swap.
        mc.set("after", "1")
        wait_until(lambda: rc.get("after") == b"1", 10, what="the stream after the swap")

if __name__ == "__main__":
    main()
