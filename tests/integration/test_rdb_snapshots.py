"""Snapshots: BGSAVE under writes is one instant (a transaction's two keys agree), save
rules fire, SAVE / LASTSAVE / DEBUG RELOAD, SHUTDOWN SAVE|NOSAVE and SIGTERM, kill -9
during BGSAVE always leaves the last complete snapshot loadable, stale temp files are
removed and never loaded, -MISCONF matches redis-server 7.0 when the directory is gone,
INFO persistence has Redis's fields, and the keydb.conf persistence lines work verbatim."""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness
from rdb_helpers import TerndbIn, info_field, wait_bgsave_done, wait_for


def fill(c, n, prefix="key:", value_size=16, chunk=2000):
    pad = "v" * value_size
    for start in range(0, n, chunk):
        args = []
        for i in range(start, min(n, start + chunk)):
            args += ["%s%d" % (prefix, i), "%s%d" % (pad, i)]
        c.execute_command("MSET", *args)


def server_logs(d):
    text = ""
    for f in sorted(os.listdir(d)):
        if f.startswith("terndb-") and f.endswith(".log"):
            with open(os.path.join(d, f), errors="replace") as fh:
                text += fh.read()
    return text


def temp_files(d):
    return [f for f in os.listdir(d) if f.startswith("temp-") and f.endswith(".rdb")]


class Snapshots(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="terndb-snap-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.alive():
                s.stop(sig=signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)

    extra = ()

    def start(self, *options, threads=2):
        s = TerndbIn(self.dir, *(options + tuple(self.extra)), threads=threads)
        self.servers.append(s)
        return s

    def test_bgsave_under_writes_is_one_instant(self):
        s = self.start("--save", "")
        c = s.client()
        fill(c, 200000)
        stop = threading.Event()
        counter = [0]

        def writer():
            w = s.client()
            while not stop.is_set():
                counter[0] += 1
                p = w.pipeline(transaction=True)
                p.set("pair:a", counter[0])
                p.set("pair:b", counter[0])
                p.incr("writes")
                p.execute()

        th = threading.Thread(target=writer)
        th.start()
        try:
            time.sleep(0.2)
            self.assertEqual(c.bgsave(), True)
            self.assertEqual(info_field(c, "rdb_bgsave_in_progress"), "1")
            wait_bgsave_done(c)
            time.sleep(0.1)
        finally:
            stop.set()
            th.join()
        self.assertEqual(info_field(c, "rdb_last_bgsave_status"), "ok")
        self.assertEqual(info_field(c, "rdb_saves"), "1")
        self.assertGreater(counter[0], 10)
        self.assertEqual(temp_files(self.dir), [])
        s.stop(sig=signal.SIGKILL)
        s2 = self.start("--save", "")
        c2 = s2.client()
        a, b, writes = c2.get("pair:a"), c2.get("pair:b"), int(c2.get("writes"))
        self.assertEqual(a, b)  # both keys of one transaction, or neither change
        self.assertEqual(int(a), writes)
        self.assertLess(writes, counter[0])  # the snapshot is older than the last writes
        self.assertEqual(c2.dbsize(), 200003)
        self.assertEqual(c2.get("key:199999"), b"v" * 16 + b"199999")

    def test_forked_bgsave_under_writes_is_one_instant(self):
        # KeyDB's `use-fork yes`: a forked child writes the snapshot instead of a thread.
        self.extra = ("--use-fork", "yes")
        self.test_bgsave_under_writes_is_one_instant()
        self.assertIn("Background saving started by pid", server_logs(self.dir))

    def test_bgsave_is_forkless_by_default(self):
        s = self.start("--save", "")
        c = s.client()
        fill(c, 1000)
        self.assertTrue(c.bgsave())
        wait_bgsave_done(c)
        self.assertEqual(info_field(c, "current_save_keys_total"), "0")  # none running
        logs = server_logs(self.dir)
        self.assertIn("Background saving started (forkless)", logs)
        self.assertNotIn("Background saving started by pid", logs)

    def test_bgsave_completes_while_the_io_thread_is_stuck(self):
        # The walk's steps run on the io threads. Here the only one sleeps for 10 s right
        # after BGSAVE (DEBUG SLEEP, holding no lock): the save's own thread takes the steps
        # over, so the file is in place before the sleep ends.
        s = self.start("--save", "", threads=1)
        c = s.client()
        fill(c, 100000)
        dump = os.path.join(self.dir, "dump.rdb")
        self.assertFalse(os.path.exists(dump))
        replies = []

        def save_then_sleep():
            p = s.client().pipeline(transaction=False)
            p.bgsave()
            p.execute_command("DEBUG", "SLEEP", "10")
            replies.extend(p.execute())

        th = threading.Thread(target=save_then_sleep)
        th.start()
        try:
            wait_for(lambda: os.path.exists(dump) or not th.is_alive(), 30, "the snapshot")
            self.assertTrue(th.is_alive(), "the file came only after the sleep")
        finally:
            th.join()
        self.assertEqual(replies, [True, b"OK"])
        self.assertEqual(info_field(c, "rdb_last_bgsave_status"), "ok")
        s.stop(sig=signal.SIGKILL)
        c2 = self.start("--save", "").client()
        self.assertEqual(c2.dbsize(), 100000)
        self.assertEqual(c2.get("key:12345"), b"v" * 16 + b"12345")

    def test_flushall_during_bgsave_keeps_no_old_key(self):
        # The save in progress is stopped; with save rules the file then holds the empty
        # dataset, and it is never replaced by the stopped save's file afterwards.
        s = self.start("--save", "3600", "1")
        c = s.client()
        fill(c, 300000)
        self.assertTrue(c.bgsave())
        c.flushall()
        time.sleep(1.5)  # a stopped save that still renamed its file would have by now
        self.assertEqual(info_field(c, "rdb_bgsave_in_progress"), "0")
        self.assertEqual(temp_files(self.dir), [])
        s.stop(sig=signal.SIGKILL)
        s2 = self.start("--save", "")
        c2 = s2.client()
        self.assertEqual(c2.dbsize(), 0)
        fill(c2, 1000, prefix="new:")
        self.assertTrue(c2.bgsave())  # nothing left behind blocks the next save
        wait_bgsave_done(c2)
        self.assertEqual(info_field(c2, "rdb_last_bgsave_status"), "ok")
        s2.stop(sig=signal.SIGKILL)
        self.assertEqual(self.start("--save", "").client().dbsize(), 1000)

    def test_bgsave_replies_and_lastsave(self):
        s = self.start("--save", "")
        c = s.client()
        fill(c, 100000)
        before = c.lastsave()
        raw = s.raw()
        self.assertEqual(raw.call("BGSAVE", "NOW"), b"-ERR syntax error\r\n")
        self.assertEqual(raw.call("BGSAVE"), b"+Background saving started\r\n")
        self.assertEqual(raw.call("BGSAVE"), b"-ERR Background save already in progress\r\n")
        self.assertEqual(raw.call("SAVE"), b"-ERR Background save already in progress\r\n")
        wait_bgsave_done(c)
        time.sleep(1.1)
        self.assertEqual(raw.call("SAVE"), b"+OK\r\n")
        self.assertGreater(c.lastsave().timestamp(), before.timestamp())
        self.assertEqual(info_field(c, "rdb_changes_since_last_save"), "0")
        c.set("x", 1)
        self.assertEqual(info_field(c, "rdb_changes_since_last_save"), "1")
        digest = c.execute_command("DEBUG", "DIGEST")
        self.assertEqual(raw.call("DEBUG", "RELOAD"), b"+OK\r\n")
        self.assertEqual(c.execute_command("DEBUG", "DIGEST"), digest)
        # Inside MULTI the fork waits for the next check.
        self.assertEqual(raw.call("MULTI"), b"+OK\r\n")
        self.assertEqual(raw.call("BGSAVE"), b"+QUEUED\r\n")
        self.assertEqual(raw.call("EXEC"), b"*1\r\n+Background saving scheduled\r\n")
        # rdb_saves counts BGSAVEs and SAVEs, not DEBUG RELOAD's save (as Redis).
        wait_for(lambda: info_field(c, "rdb_saves") == "3", 10, "scheduled save")

    def test_save_rules_trigger(self):
        s = self.start("--save", "1", "5", "--save", "100", "1")
        c = s.client()
        self.assertEqual(c.config_get("save")["save"], "1 5 100 1")
        for i in range(3):
            c.set("k%d" % i, i)
        time.sleep(1.5)
        self.assertEqual(info_field(c, "rdb_saves"), "0")  # 3 changes: no rule due yet
        for i in range(3, 6):
            c.set("k%d" % i, i)
        wait_for(lambda: info_field(c, "rdb_saves") == "1", 10, "save rule")
        wait_bgsave_done(c)
        self.assertIn("5 changes in 1 seconds. Saving...", s.log())
        self.assertEqual(info_field(c, "rdb_changes_since_last_save"), "0")
        self.assertTrue(os.path.exists(os.path.join(self.dir, "dump.rdb")))
        c.config_set("save", "")
        self.assertEqual(c.config_get("save")["save"], "")

    def test_shutdown_save_nosave_and_sigterm(self):
        s = self.start("--save", "")
        c = s.client()
        c.set("a", "1")
        s.raw().send(harness.encode_command("SHUTDOWN", "SAVE"))
        s.proc.wait(10)
        self.assertEqual(s.proc.returncode, 0)
        s2 = self.start("--save", "3600", "1")
        c2 = s2.client()
        self.assertEqual(c2.get("a"), b"1")
        c2.set("b", "2")
        s2.raw().send(harness.encode_command("SHUTDOWN", "NOSAVE"))
        s2.proc.wait(10)
        s3 = self.start("--save", "3600", "1")
        c3 = s3.client()
        self.assertIsNone(c3.get("b"))  # NOSAVE: not written
        c3.set("c", "3")
        s3.proc.send_signal(signal.SIGTERM)  # save rules exist: saved on the way out
        s3.proc.wait(10)
        self.assertIn("Saving the final RDB snapshot before exiting.", s3.log())
        s4 = self.start("--save", "")
        self.assertEqual(s4.client().get("c"), b"3")

    def test_sigint_with_a_million_keys_exits_within_fly_kill_timeout(self):
        """Fly stops a machine with SIGINT and kills it 5 s later: with 1,000,000 keys and a
        save rule the server saves and exits inside that, leaving a complete snapshot."""
        s = self.start("--save", "3600", "1")
        c = s.client()
        value = "v" * 20
        for start in range(0, 1000000, 50000):
            p = c.pipeline(transaction=False)
            for b in range(start, start + 50000, 1000):
                p.mset({"key:%d" % i: value for i in range(b, b + 1000)})
            p.execute()
        self.assertEqual(c.dbsize(), 1000000)
        began = time.time()
        s.proc.send_signal(signal.SIGINT)
        s.proc.wait(60)
        took = time.time() - began
        self.assertEqual(s.proc.returncode, 0)
        self.assertIn("Received SIGINT scheduling shutdown", s.log())
        self.assertIn("Saving the final RDB snapshot before exiting.", s.log())
        print("SIGINT with 1,000,000 keys: saved and exited in %.2f s" % took)
        libs = subprocess.run(["ldd", harness.terndb_binary()], capture_output=True,
                              text=True).stdout
        sanitized = "libasan" in libs or "libtsan" in libs  # several times slower
        self.assertLess(took, 50.0 if sanitized else 5.0)
        s2 = self.start("--save", "")
        c2 = s2.client()
        self.assertEqual(c2.dbsize(), 1000000)
        self.assertEqual(c2.get("key:999999"), value.encode())

    def test_kill_9_during_bgsave_keeps_last_complete_snapshot(self):
        # Database 0 changes only between saves, so its state in each snapshot is known;
        # database 1 takes transactions during the save, which a snapshot must hold whole.
        rnd = random.Random(9)
        s = self.start("--save", "")
        c = s.client()
        fill(c, 200000)
        c.save()
        last = (None, 200000)  # (round, dbsize of database 0) in the last complete snapshot
        for round_ in range(5):
            c.set("round", round_)
            fill(c, 2000, prefix="r%d:" % round_)
            new = (str(round_).encode(), c.dbsize())
            stop = threading.Event()

            def writer(port=s.port):
                try:
                    w = __import__("redis").Redis(host="127.0.0.1", port=port, db=1)
                    n = 0
                    while not stop.is_set():
                        n += 1
                        p = w.pipeline(transaction=True)
                        p.set("pair:a", n)
                        p.set("pair:b", n)
                        p.execute()
                except Exception:
                    pass  # the server is killed under it

            th = threading.Thread(target=writer)
            th.start()
            c.bgsave()
            time.sleep(rnd.uniform(0.0, 0.5))
            s.proc.kill()
            s.proc.wait()
            stop.set()
            th.join()
            s = self.start("--save", "")
            c = s.client()
            got = (c.get("round"), c.dbsize())
            self.assertIn(got, (last, new), "round %d" % round_)
            c1 = s.client(db=1)
            self.assertEqual(c1.get("pair:a"), c1.get("pair:b"), "round %d" % round_)
            self.assertEqual(temp_files(self.dir), [])
            last = got

    def test_flushall_saves_the_empty_dataset_when_rules_exist(self):
        s = self.start("--save", "3600", "1")
        c = s.client()
        fill(c, 1000)
        c.save()
        c.set("extra", 1)
        c.flushall()
        # As Redis: the counter is what it was before FLUSHALL, and rdb_saves unchanged.
        self.assertEqual(info_field(c, "rdb_changes_since_last_save"), "1")
        self.assertEqual(info_field(c, "rdb_saves"), "1")
        s.stop(sig=signal.SIGKILL)  # no save on the way out: the file is FLUSHALL's
        s2 = self.start("--save", "")
        c2 = s2.client()
        self.assertEqual(c2.dbsize(), 0)
        fill(c2, 1000)
        c2.save()
        c2.flushall()  # no save rules: the file keeps the keys
        s2.stop(sig=signal.SIGKILL)
        self.assertEqual(self.start("--save", "").client().dbsize(), 1000)

    def test_stale_temp_files_are_removed_and_never_loaded(self):
        s = self.start("--save", "")
        c = s.client()
        c.set("real", "yes")
        c.save()
        s.stop()
        # A complete-looking temp file from a crashed save: it must not be loaded.
        shutil.copy(os.path.join(self.dir, "dump.rdb"), os.path.join(self.dir, "temp-4242.rdb"))
        with open(os.path.join(self.dir, "temp-77.rdb"), "wb") as f:
            f.write(b"REDIS0010garbage")
        os.remove(os.path.join(self.dir, "dump.rdb"))
        s2 = self.start("--save", "")
        self.assertEqual(s2.client().dbsize(), 0)
        self.assertEqual(temp_files(self.dir), [])
        self.assertIn("Removed stale temp file temp-4242.rdb", s2.log())

    def test_keydb_conf_persistence_lines_verbatim(self):
        conf = os.path.join(self.dir, "keydb.conf")
        with open(conf, "w") as f:
            f.write("dir %s/\nsave 900 1\nsave 300 10\nsave 60 10000\nappendonly no\n" % self.dir)
        port = harness.free_port()
        argv = [harness.terndb_binary(), conf, "--port", str(port), "--bind", "127.0.0.1"]
        s = harness._Server(argv, port, self.dir, os.path.join(self.dir, "conf.log"))
        self.servers.append(s)
        c = s.client()
        self.assertEqual(c.config_get("save")["save"], "900 1 300 10 60 10000")
        self.assertEqual(c.config_get("appendonly")["appendonly"], "no")
        c.set("k", "v")
        s.stop()  # SIGTERM with save rules: the final snapshot lands in dir
        self.assertTrue(os.path.exists(os.path.join(self.dir, "dump.rdb")))

    def test_info_persistence_fields_match_redis(self):
        s = self.start("--save", "")
        redis = harness.RedisServer()
        try:
            ours = [l.split(":")[0] for l in s.cli("INFO", "persistence").decode().splitlines() if ":" in l]
            theirs = [l.split(":")[0] for l in redis.cli("INFO", "persistence").decode().splitlines() if ":" in l]
            self.assertEqual(ours, theirs)
        finally:
            redis.stop()


class Loading(unittest.TestCase):
    def test_clients_get_loading_until_the_dataset_is_in(self):
        d = tempfile.mkdtemp(prefix="terndb-loading-")
        try:
            s = TerndbIn(d, "--save", "")
            c = s.client()
            fill(c, 20000)
            c.save()
            s.stop()
            # 20000 keys at 100 us each: about two seconds of loading.
            s = TerndbIn(d, "--save", "", "--key-load-delay", "100", wait_loaded=False)
            try:
                raw = s.raw()
                loading = b"-LOADING Redis is loading the dataset in memory\r\n"
                self.assertEqual(raw.call("PING"), loading)
                self.assertEqual(raw.call("GET", "key:1"), loading)
                info = raw.call("INFO", "persistence").decode()
                self.assertIn("loading:1\r\n", info)
                self.assertIn("loading_loaded_perc:", info)
                self.assertTrue(info.rstrip().split("\r\n")[-1].startswith("loading_eta_seconds:"))
                self.assertNotIn("Ready to accept connections", s.log())
                wait_for(lambda: info_field(s.client(), "loading") == "0", 60, "load end")
                self.assertEqual(raw.call("GET", "key:1"), b"$17\r\nvvvvvvvvvvvvvvvv1\r\n")
                self.assertNotIn(b"loading_", raw.call("INFO", "persistence"))
                self.assertIn("Ready to accept connections", s.log())
            finally:
                s.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)


class Misconf(unittest.TestCase):
    def test_misconf_side_by_side_when_dir_disappears(self):
        base = tempfile.mkdtemp(prefix="terndb-misconf-")
        t = TerndbIn(base, "--save", "3600", "1", "--enable-protected-configs", "yes")
        redis = harness.RedisServer("--save", "3600", "1", "--enable-protected-configs", "yes")
        try:
            replies = []
            for srv in (t, redis):
                c = srv.client()
                gone = os.path.join(base, "gone-%d" % srv.port)
                os.mkdir(gone)
                c.config_set("dir", gone)
                os.rmdir(gone)  # even root cannot create files in a deleted directory
                c.set("k", "v")
                c.bgsave()
                wait_for(lambda: info_field(c, "rdb_bgsave_in_progress") == "0" and
                         info_field(c, "rdb_last_bgsave_status") == "err", 20, "failed save")
                raw = srv.raw()
                got = [raw.call("SET", "k", "v2"), raw.call("PING"), raw.call("GET", "k"),
                       raw.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"),
                       raw.call("SET", "k", "v3")]
                raw.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
                fresh = os.path.join(base, "fresh-%d" % srv.port)
                os.mkdir(fresh)
                raw.call("CONFIG", "SET", "dir", fresh)
                got.append(raw.call("SAVE"))
                got.append(raw.call("SET", "k", "v4"))
                replies.append([str(x) for x in got])
            self.assertEqual(replies[0], replies[1])
            self.assertIn("MISCONF", replies[0][0])
            self.assertEqual(replies[0][-1], str(b"+OK\r\n"))
        finally:
            t.stop(sig=signal.SIGKILL)
            redis.stop(sig=signal.SIGKILL)
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
