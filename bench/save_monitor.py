#!/usr/bin/python3
"""Watches one background save: the server's memory and when the save ends.

Usage: save_monitor.py PORT PID

Polls every 20 ms, from this one process (so that the watching adds little load of its
own next to the benchmark it runs beside): the PSS of PID and of its child processes (a
forked save's child; /proc/<pid>/smaps_rollup counts copy-on-write pages once), and
INFO persistence's rdb_bgsave_in_progress. Prints "<seconds> <peak PSS kB>" once the save
has ended, the seconds counted from the monitor's start.
"""
import glob
import socket
import sys
import time


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    kids = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as f:
                kids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return kids


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def info_persistence(self):
        self.sock.sendall(b"*2\r\n$4\r\nINFO\r\n$11\r\npersistence\r\n")
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        header, rest = self.buf.split(b"\r\n", 1)
        size = int(header[1:])
        while len(rest) < size + 2:
            rest += self.sock.recv(65536)
        self.buf = rest[size + 2:]
        return rest[:size].decode()


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    conn = Conn(port)
    start = time.monotonic()
    peak = 0
    while True:
        total = pss_kb(pid) + sum(pss_kb(c) for c in children(pid))
        peak = max(peak, total)
        if "rdb_bgsave_in_progress:0" in conn.info_persistence():
            break
        time.sleep(0.02)
    print(f"{time.monotonic() - start:.2f} {peak}")


if __name__ == "__main__":
    main()
