"""Master/replica replication against Debian's redis-server 7.0, both ways.

Each test writes a mixed load of every data type (pipelined, several clients at once)
before, during and after the first sync, then waits until the replica's offset equals the
master's and compares DEBUG DIGEST. The acceptance criterion names 1,000,000 writes; these
tests use WRITES (default 60,000) so the whole file runs in about a minute on a shared
2-core machine; set REPL_TEST_WRITES=1000000 for the full run.
"""
# ctest-label: slow
import os
import time
import unittest

import harness
from harness import RedisServer, Terndb, main
from repl_util import (Proxy, digest, info, mixed_writes, wait_caught_up, wait_link_up,
                       wait_until, writers)

WRITES = int(os.environ.get("REPL_TEST_WRITES", "60000"))


def terndb(*opts):
    return Terndb("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", *opts)


def redis(*opts):
    return RedisServer("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0",
                       "--repl-diskless-sync", "yes", *opts)


class ReplicationTest(harness.StartsServers):
    def link_up(self, replica, master, timeout=60.0):
        try:
            wait_link_up(replica.client(), timeout)
        except AssertionError:
            raise AssertionError("replica link not up; replica log:\n%s\nmaster log:\n%s" %
                                 (replica.log()[-4000:], master.log()[-4000:]))

    def run_sync_scenario(self, master, make_replica):
        mc = master.client()
        mixed_writes(mc, WRITES // 3, seed=1)
        threads = writers(master.port, WRITES // 3, 2, seed=100)
        replica = self.start(make_replica(master.port))
        rc = replica.client()
        for t in threads:
            t.join()
        self.link_up(replica, master)
        mixed_writes(mc, WRITES // 3, seed=7)
        wait_caught_up(mc, rc)
        self.assertNotEqual(digest(mc), b"0" * 40)
        self.assertEqual(digest(mc), digest(rc))
        self.assertEqual(mc.dbsize(), rc.dbsize())
        return mc, rc, replica

    def test_terndb_master_redis_replica(self):
        master = self.start(terndb())
        mc, rc, _ = self.run_sync_scenario(
            master, lambda port: redis("--replicaof", "127.0.0.1", port))
        repl = info(mc)
        self.assertEqual(repl["connected_slaves"], 1)
        self.assertEqual(repl["slave0"]["state"], "online")
        self.assertEqual(info(rc)["master_replid"], repl["master_replid"])

    def test_redis_master_terndb_replica(self):
        master = self.start(redis())
        mc, rc, _ = self.run_sync_scenario(
            master, lambda port: terndb("--replicaof", "127.0.0.1", port))
        r = info(rc)
        self.assertEqual(r["role"], "slave")
        self.assertEqual(r["master_replid"], info(mc)["master_replid"])
        self.assertEqual(rc.execute_command("ROLE")[0], b"slave")

    def test_terndb_master_terndb_replica(self):
        master = self.start(terndb())
        self.run_sync_scenario(master, lambda port: terndb("--replicaof", "127.0.0.1", port))

    def cut_scenario(self, master, replica_factory):
        mc = master.client()
        proxy = Proxy(master.port)
        try:
            mixed_writes(mc, 5000, seed=3)
            replica = self.start(replica_factory(proxy.port))
            rc = replica.client()
            wait_link_up(rc)
            wait_caught_up(mc, rc)
            full_before = mc.info("stats")["sync_full"]
            partial_before = mc.info("stats")["sync_partial_ok"]
            threads = writers(master.port, 20000, 2, seed=300)
            time.sleep(0.3)
            proxy.cut()
            wait_until(lambda: info(rc)["master_link_status"] == "down", 10, what="link down")
            time.sleep(5)
            proxy.heal()
            for t in threads:
                t.join()
            wait_caught_up(mc, rc, timeout=60)
            stats = mc.info("stats")
            self.assertEqual(stats["sync_full"], full_before)
            self.assertGreater(stats["sync_partial_ok"], partial_before)
            self.assertEqual(digest(mc), digest(rc))
        finally:
            proxy.close()

    def test_cut_link_partial_resync_terndb_master(self):
        master = self.start(terndb("--repl-backlog-size", "64mb"))
        self.cut_scenario(master, lambda port: redis("--replicaof", "127.0.0.1", port,
                                                     "--repl-timeout", "60"))

    def test_cut_link_partial_resync_terndb_replica(self):
        master = self.start(redis("--repl-backlog-size", "64mb"))
        self.cut_scenario(master, lambda port: terndb("--replicaof", "127.0.0.1", port))

    def test_replica_restart_full_sync(self):
        master = self.start(terndb())
        mc = master.client()
        mixed_writes(mc, 5000, seed=11)
        replica = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        rc = replica.client()
        wait_link_up(rc)
        wait_caught_up(mc, rc)
        full = mc.info("stats")["sync_full"]
        replica.stop()
        self.servers.remove(replica)
        mixed_writes(mc, 5000, seed=12)
        replica = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        rc = replica.client()
        wait_link_up(rc)
        wait_caught_up(mc, rc)
        self.assertEqual(mc.info("stats")["sync_full"], full + 1)
        self.assertEqual(digest(mc), digest(rc))

    def test_replica_restarted_from_its_snapshot_continues_by_partial_resync(self):
        """A replica stopped with a save rule records its master's replication id and offset
        in its last snapshot; restarted from it, it continues with PSYNC (+CONTINUE) and
        gets only what it missed, from redis-server as from terndb."""
        import shutil
        import tempfile
        from rdb_helpers import TerndbIn
        for kind in (redis, terndb):
            with self.subTest(master=kind.__name__):
                master = self.start(kind("--repl-backlog-size", "64mb"))
                mc = master.client()
                mixed_writes(mc, 3000, seed=21, with_scripts=False)
                data_dir = tempfile.mkdtemp(prefix="terndb-replica-")
                self.addCleanup(shutil.rmtree, data_dir, True)
                opts = ("--replicaof", "127.0.0.1", master.port, "--save", "3600", "1")
                replica = self.start(TerndbIn(data_dir, *opts))
                rc = replica.client()
                wait_link_up(rc)
                wait_caught_up(mc, rc)
                replica.stop()  # SIGTERM: saves, with the master's id and offset
                self.servers.remove(replica)
                self.assertIn("Saving the final RDB snapshot", replica.log())
                full = mc.info("stats")["sync_full"]
                partial = mc.info("stats")["sync_partial_ok"]
                mixed_writes(mc, 3000, seed=22, with_scripts=False)
                replica = self.start(TerndbIn(data_dir, *opts))
                rc = replica.client()
                wait_link_up(rc)
                wait_caught_up(mc, rc)
                self.assertEqual(digest(mc), digest(rc))
                self.assertEqual(mc.info("stats")["sync_full"], full)
                self.assertEqual(mc.info("stats")["sync_partial_ok"], partial + 1)
                self.assertIn("Using the replication id and offset of the RDB file",
                              replica.log())

    def test_promotion_psync2(self):
        a = self.start(terndb())
        ac = a.client()
        mixed_writes(ac, 5000, seed=21)
        b = self.start(terndb("--replicaof", "127.0.0.1", a.port))
        bc = b.client()
        wait_link_up(bc)
        wait_caught_up(ac, bc)
        old_id = info(ac)["master_replid"]
        # Promote B, then point A at it: A continues from B's history, no full sync.
        self.assertTrue(bc.execute_command("REPLICAOF", "NO", "ONE"))
        r = info(bc)
        self.assertEqual(r["role"], "master")
        self.assertEqual(r["master_replid2"], old_id)
        mixed_writes(bc, 2000, seed=22)
        ac.execute_command("REPLICAOF", "127.0.0.1", b.port)
        wait_link_up(ac)
        wait_caught_up(bc, ac)
        stats = bc.info("stats")
        self.assertEqual(stats["sync_full"], 0)
        self.assertEqual(stats["sync_partial_ok"], 1)
        self.assertEqual(digest(ac), digest(bc))

    def test_readonly_and_wait(self):
        master = self.start(terndb())
        mc = master.client()
        replica = self.start(terndb("--replicaof", "127.0.0.1", master.port))
        rc = replica.client()
        wait_link_up(rc)
        raw = replica.raw()
        raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        self.assertEqual(raw._line(),
                         b"-READONLY You can't write against a read only replica.\r\n")
        raw.close()
        mc.set("k", "v")
        self.assertEqual(mc.execute_command("WAIT", 1, 5000), 1)
        self.assertEqual(rc.get("k"), b"v")
        self.assertEqual(mc.execute_command("WAIT", 2, 200), 1)
        role = mc.execute_command("ROLE")
        self.assertEqual(role[0], b"master")
        self.assertEqual(len(role[2]), 1)

    def test_masterauth(self):
        master = self.start(redis("--requirepass", "s3cret"))
        mc = master.client(password="s3cret")
        mixed_writes(mc, 3000, seed=31)
        replica = self.start(terndb("--replicaof", "127.0.0.1", master.port,
                                    "--masterauth", "s3cret"))
        rc = replica.client()
        self.link_up(replica, master)
        wait_caught_up(mc, rc)
        self.assertEqual(digest(mc), digest(rc))

    def test_stale_data_refused_while_link_is_down(self):
        from harness import free_port
        replica = self.start(terndb("--replicaof", "127.0.0.1", free_port()))
        replica.client().config_set("replica-serve-stale-data", "no")
        raw = replica.raw()
        raw.send(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        self.assertEqual(raw._line(), b"-MASTERDOWN Link with MASTER is down and "
                         b"replica-serve-stale-data is set to 'no'.\r\n")
        raw.send(b"*1\r\n$4\r\nPING\r\n")
        self.assertEqual(raw._line(), b"-MASTERDOWN Link with MASTER is down and "
                         b"replica-serve-stale-data is set to 'no'.\r\n")
        raw.send(b"*3\r\n$9\r\nREPLICAOF\r\n$2\r\nNO\r\n$3\r\nONE\r\n")
        self.assertEqual(raw._line(), b"+OK\r\n")
        raw.close()


if __name__ == "__main__":
    main()
