#!/usr/bin/python3
"""Replication figures on loopback: full-sync time for N keys and replication lag at a
fixed write rate.

    /usr/bin/python3 bench/repl_figures.py [--keys 1000000] [--rate 50000] [--seconds 10]
        [--replica terndb|redis] [--master terndb|redis]

Full sync: the master is filled with N string keys (MSET), a replica is started with --replicaof,
and the time until its master_link_status is up is reported. Lag: a writer sends SETs at
--rate per second in 5 ms batches, each batch ending with SET lag:probe <send time>; a
reader polls the replica for the probe and records, per new value, now - send time.
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import RedisServer, Terndb  # noqa: E402
from repl_util import info, wait_caught_up  # noqa: E402


def start(kind, *opts):
    if kind == "terndb":
        return Terndb("--enable-debug-command", "yes", *opts)
    return RedisServer("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", *opts)


def full_sync(args):
    master = start(args.master)
    mc = master.client()
    for start_at in range(0, args.keys, 10000):
        p = mc.pipeline(transaction=False)
        for b in range(start_at, min(args.keys, start_at + 10000), 1000):
            kv = []
            for i in range(b, min(args.keys, b + 1000)):
                kv += ["key:%d" % i, "value:%d" % i]
            p.execute_command("MSET", *kv)
        p.execute()
    t0 = time.time()
    replica = start(args.replica, "--replicaof", "127.0.0.1", master.port)
    rc = replica.client()
    while info(rc).get("master_link_status") != "up":
        time.sleep(0.01)
    took = time.time() - t0
    assert rc.dbsize() == args.keys, (rc.dbsize(), args.keys)
    print("full sync of %d keys (%s master -> %s replica): %.2f s" %
          (args.keys, args.master, args.replica, took))
    return master, replica


def lag(args, master, replica):
    mc, rc = master.client(), replica.client()
    wait_caught_up(mc, rc)
    stop = threading.Event()
    samples = []

    def reader():
        last = None
        while not stop.is_set():
            v = rc.get("lag:probe")
            now = time.time()
            if v is not None and v != last:
                last = v
                samples.append((now - float(v)) * 1000.0)

    t = threading.Thread(target=reader)
    t.start()
    batch = max(1, args.rate // 200)
    end = time.time() + args.seconds
    sent = 0
    next_at = time.time()
    i = 0
    while time.time() < end:
        p = mc.pipeline(transaction=False)
        for _ in range(batch - 1):
            p.set("lag:%d" % (i % 100000), i)
            i += 1
        p.set("lag:probe", repr(time.time()))
        p.execute()
        sent += batch
        next_at += batch / args.rate
        delay = next_at - time.time()
        if delay > 0:
            time.sleep(delay)
    elapsed = args.seconds
    stop.set()
    t.join()
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print("lag at %.0f writes/s (%s -> %s): p50 %.2f ms, p99 %.2f ms (%d samples)" %
          (sent / elapsed, args.master, args.replica, p50, p99, len(samples)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rate", type=int, default=50000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--master", default="terndb")
    ap.add_argument("--replica", default="terndb")
    args = ap.parse_args()
    master, replica = full_sync(args)
    try:
        lag(args, master, replica)
    finally:
        replica.stop()
        master.stop()


if __name__ == "__main__":
    main()
