#!/usr/bin/python3
"""Active replication figures on loopback, two terndb nodes linked both ways.

    /usr/bin/python3 bench/active_figures.py [--seconds 10] [--clients 8] [--pipeline 4]

Lag: redis-benchmark writes SETs to node A (random keys, the load figure is A's measured
write rate), while a prober sets `lag:probe` to its send time on A every 5 ms and a reader
polls node B for it, recording now - send time for each new value seen.

Partition: the link is cut for 30 s (a TCP proxy) while A takes the same load; then it is
healed, and the time until both DEBUG DIGESTs are equal and the bytes A sent meanwhile are
reported, with whether B resumed by partial resync.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import Terndb  # noqa: E402
from repl_util import Proxy  # noqa: E402


def node():
    return Terndb("--active-replica", "yes", "--multi-master", "yes", "--enable-debug-command",
                  "yes", "--repl-backlog-size", "512mb", "--repl-timeout", "120")


def load(port, seconds, clients, pipeline):
    return subprocess.Popen(
        ["redis-benchmark", "-p", str(port), "-t", "set", "-r", "1000000", "-d", "100",
         "-c", str(clients), "-P", str(pipeline), "-n", str(10 ** 9), "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), time.time() + seconds


def write_rate(client, seconds):
    a = client.info("stats")["total_commands_processed"]
    time.sleep(seconds)
    return (client.info("stats")["total_commands_processed"] - a) / seconds


def lag(args, a, b):
    ac, bc = a.client(), b.client()
    bench, end = load(a.port, args.seconds, args.clients, args.pipeline)
    samples = []
    stop = threading.Event()

    def reader():
        last = None
        while not stop.is_set():
            v = bc.get("lag:probe")
            now = time.time()
            if v is not None and v != last:
                last = v
                samples.append((now - float(v)) * 1000.0)

    def prober():
        pc = a.client()
        while not stop.is_set():
            pc.set("lag:probe", repr(time.time()))
            time.sleep(0.005)

    threads = [threading.Thread(target=reader), threading.Thread(target=prober)]
    for t in threads:
        t.start()
    time.sleep(1)
    rate = write_rate(ac, max(1, args.seconds - 2))
    while time.time() < end:
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    bench.kill()
    bench.wait()
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print("lag A -> B at %.0f writes/s on A: p50 %.2f ms, p99 %.2f ms (%d samples)"
          % (rate, p50, p99, len(samples)))


def wait_caught_up(ac, bc, timeout=300):
    """Seconds until B has processed A's whole stream (INFO only: a DEBUG DIGEST of millions
    of keys would itself slow both nodes down), then checks the digests once."""
    start = time.time()
    while time.time() - start < timeout:
        a_off = ac.info("replication")["master_repl_offset"]
        b = bc.info("replication")
        if b.get("master_link_status") == "up" and b.get("slave_repl_offset") == a_off:
            took = time.time() - start
            if ac.execute_command("DEBUG", "DIGEST") != bc.execute_command("DEBUG", "DIGEST"):
                raise SystemExit("caught up but the digests differ")
            return took
        time.sleep(0.02)
    raise SystemExit("B did not catch up")


def partition(args, a, b, proxy):
    ac, bc = a.client(), b.client()
    proxy.cut()
    bench, end = load(a.port, 30, args.clients, args.pipeline)
    rate = write_rate(ac, 28)
    while time.time() < end:
        time.sleep(0.1)
    bench.kill()
    bench.wait()
    sent_before = ac.info("stats")["total_net_repl_output_bytes"]
    partial_before = ac.info("stats")["sync_partial_ok"]
    full_before = ac.info("stats")["sync_full"]
    backlog = ac.info("replication")["master_repl_offset"]
    proxy.heal()
    took = wait_caught_up(ac, bc)
    sent = ac.info("stats")["total_net_repl_output_bytes"] - sent_before
    partial = ac.info("stats")["sync_partial_ok"] - partial_before
    full = ac.info("stats")["sync_full"] - full_before
    print("30 s partition at %.0f writes/s: caught up (equal digests) %.2f s after healing, %.1f MB sent "
          "to resync (stream offset %d), %d partial and %d full resyncs"
          % (rate, took, sent / 1e6, backlog, partial, full))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--pipeline", type=int, default=4)
    ap.add_argument("--no-partition", action="store_true")
    args = ap.parse_args()
    a, b = node(), node()
    proxy = Proxy(a.port)
    try:
        b.client().execute_command("REPLICAOF", "127.0.0.1", proxy.port)
        a.client().execute_command("REPLICAOF", "127.0.0.1", b.port)
        for n in (a, b):
            while n.client().info("replication").get("connected_masters") != 1:
                time.sleep(0.05)
        lag(args, a, b)
        if not args.no_partition:
            partition(args, a, b, proxy)
    finally:
        proxy.close()
        a.stop()
        b.stop()


if __name__ == "__main__":
    main()
