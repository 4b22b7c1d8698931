"""Helpers for the active-replication tests: reading a node's replication stream as a
replica would, random writes of every type, and waiting for equal digests."""
import random
import socket
import time

from harness import encode_command


class StreamReader:
    """Connects to a node as a replica (PSYNC ? -1), skips the snapshot, then parses the
    stream into commands (lists of bytes)."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.sock.sendall(encode_command("REPLCONF", "capa", "eof", "capa", "psync2"))
        self._line()
        self.sock.sendall(encode_command("PSYNC", "?", "-1"))
        line = self._line()
        assert line.startswith(b"+FULLRESYNC"), line
        while True:  # newlines may precede the payload header
            line = self._line()
            if line:
                break
        assert line.startswith(b"$"), line
        if line.startswith(b"$EOF:"):
            mark = line[5:]
            while not self.buf.endswith(mark) and mark not in self.buf:
                self._fill()
            self.buf = self.buf[self.buf.index(mark) + len(mark):]
        else:
            n = int(line[1:])
            while len(self.buf) < n:
                self._fill()
            self.buf = self.buf[n:]
        self.sock.sendall(encode_command("REPLCONF", "ACK", "0"))

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("stream closed")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def command(self):
        line = self._line()
        assert line.startswith(b"*"), line
        args = []
        for _ in range(int(line[1:])):
            hdr = self._line()
            assert hdr.startswith(b"$"), hdr
            args.append(self._exact(int(hdr[1:])))
        return args

    def commands_until(self, pred, timeout=10.0):
        """Commands until one satisfies pred (returned last)."""
        self.sock.settimeout(timeout)
        out = []
        while True:
            c = self.command()
            out.append(c)
            if pred(c):
                return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_resp_command(data):
    """The argv of one RESP-encoded command."""
    assert data.startswith(b"*"), data
    head, rest = data.split(b"\r\n", 1)
    args = []
    for _ in range(int(head[1:])):
        hdr, rest = rest.split(b"\r\n", 1)
        n = int(hdr[1:])
        args.append(rest[:n])
        rest = rest[n + 2:]
    return args


LONG_TTL_MS = 10 ** 9


def random_writes(client, count, seed, keys=200, batch=50, ops=None):
    """Random writes of every type on a small shared key set (so nodes collide)."""
    rng = random.Random(seed)
    ops = ops or ["set", "append", "del", "incr", "expire", "hset", "lpush", "sadd", "zadd",
                  "rename"]
    done = 0
    while done < count:
        p = client.pipeline(transaction=False)
        for _ in range(min(batch, count - done)):
            op = rng.choice(ops)
            k = rng.randrange(keys)
            v = "v%d" % rng.randrange(10 ** 6)
            if op == "set":
                p.set("s:%d" % k, v)
            elif op == "append":
                p.append("s:%d" % k, v)
            elif op == "del":
                p.delete(rng.choice(["s", "h", "l", "z", "t", "n"]) + ":%d" % k)
            elif op == "incr":
                p.incr("n:%d" % k)
            elif op == "expire":
                p.pexpire("s:%d" % k, LONG_TTL_MS + rng.randrange(1000))
            elif op == "hset":
                p.hset("h:%d" % k, "f%d" % rng.randrange(20), v)
            elif op == "lpush":
                p.lpush("l:%d" % k, v)
            elif op == "sadd":
                p.sadd("t:%d" % k, "m%d" % rng.randrange(50))
            elif op == "zadd":
                p.zadd("z:%d" % k, {"m%d" % rng.randrange(50): rng.randrange(1000)})
            elif op == "rename":
                p.execute_command("RENAME", "s:%d" % k, "s:%d" % rng.randrange(keys))
        try:
            p.execute(raise_on_error=False)
        except Exception:
            pass
        done += batch


def wait_equal_digests(clients, timeout=10.0):
    """Seconds until every node's DEBUG DIGEST is the same (raises after timeout)."""
    start = time.time()
    while True:
        digests = [c.execute_command("DEBUG", "DIGEST") for c in clients]
        if len(set(digests)) == 1:
            return time.time() - start
        if time.time() - start > timeout:
            raise AssertionError("digests still differ after %.1f s: %r" % (timeout, digests))
        time.sleep(0.1)  # DEBUG DIGEST costs the nodes CPU: do not poll too hard
