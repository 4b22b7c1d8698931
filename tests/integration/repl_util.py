"""Helpers shared by the replication tests: a mixed write load, waiting for a replica to
catch up, a TCP proxy that can cut a link, and reading INFO fields."""
import random
import socket
import threading
import time


def info(client, section="replication"):
    return client.info(section)


def wait_until(pred, timeout=30.0, step=0.05, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


def wait_link_up(replica, timeout=30.0):
    wait_until(lambda: info(replica).get("master_link_status") == "up", timeout,
               what="master_link_status:up")


def wait_caught_up(master, replica, timeout=60.0):
    """Until the replica's offset equals the master's (nothing in flight)."""
    def same():
        m = info(master)["master_repl_offset"]
        r = info(replica)
        return r.get("master_link_status") == "up" and r["slave_repl_offset"] == m and \
            info(master)["master_repl_offset"] == m
    wait_until(same, timeout, what="replica to catch up")


def digest(client):
    return client.execute_command("DEBUG", "DIGEST")


LONG_TTL = 100000  # seconds: no key expires while a test runs


def mixed_writes(client, count, seed, keyspace=2000, batch=200, with_scripts=True):
    """`count` writes of every type, pipelined, on keys shared between types and dbs."""
    rng = random.Random(seed)
    done = 0
    while done < count:
        p = client.pipeline(transaction=False)
        n = min(batch, count - done)
        for _ in range(n):
            k = rng.randrange(keyspace)
            op = rng.randrange(34)
            s, h, l, z, st = "s:%d" % k, "h:%d" % (k % 300), "l:%d" % (k % 200), \
                "z:%d" % (k % 200), "t:%d" % (k % 200)
            v = "v%d" % rng.randrange(1000000)
            if op == 0:
                p.set(s, v)
            elif op == 1:
                p.execute_command("SET", s, v, "EX", LONG_TTL)
            elif op == 2:
                p.execute_command("SETEX", s, LONG_TTL, v)
            elif op == 3:
                p.execute_command("INCR", "n:%d" % (k % 100))
            elif op == 4:
                p.execute_command("INCRBYFLOAT", "f:%d" % (k % 100), "1.%d" % rng.randrange(100))
            elif op == 5:
                p.append(s, v)
            elif op == 6:
                p.delete(s)
            elif op == 7:
                p.execute_command("EXPIRE", s, LONG_TTL + rng.randrange(100))
            elif op == 8:
                p.hset(h, "f%d" % rng.randrange(20), v)
            elif op == 9:
                p.execute_command("HINCRBYFLOAT", h, "x", "0.5")
            elif op == 10:
                p.lpush(l, v)
            elif op == 11:
                p.rpush(l, v, v + "b")
            elif op == 12:
                p.lpop(l)
            elif op == 13:
                p.sadd(st, "m%d" % rng.randrange(50))
            elif op == 14:
                p.execute_command("SPOP", st)
            elif op == 15:
                p.execute_command("SPOP", st, 2)
            elif op == 16:
                p.zadd(z, {"m%d" % rng.randrange(50): rng.randrange(1000)})
            elif op == 17:
                p.execute_command("ZINCRBY", z, 1.5, "m%d" % rng.randrange(50))
            elif op == 18:
                p.execute_command("ZPOPMIN", z)
            elif op == 19:
                p.execute_command("RENAME", s, "s:%d" % rng.randrange(keyspace)) if rng.random() < 0.5 \
                    else p.execute_command("SET", s, v)
            elif op == 20:
                p.execute_command("MSET", s, v, "s:%d" % rng.randrange(keyspace), v)
            elif op == 21:
                p.execute_command("GETEX", s, "PX", LONG_TTL * 1000)
            elif op == 22:
                p.execute_command("PERSIST", s)
            elif op == 23:
                p.execute_command("LMOVE", l, "l:%d" % rng.randrange(200), "LEFT", "RIGHT")
            elif op == 24:
                p.execute_command("SINTERSTORE", "t:store", st, "t:%d" % rng.randrange(200))
            elif op == 25:
                p.execute_command("SELECT", 1)
                p.set(s, v)
                p.execute_command("INCR", "n:%d" % (k % 100))
                p.execute_command("SELECT", 0)
            elif op == 26:
                p.execute_command("MULTI")
                p.execute_command("INCR", "n:%d" % (k % 100))
                p.execute_command("SPOP", st)
                p.execute_command("EXPIRE", s, LONG_TTL)
                p.execute_command("EXEC")
            elif op == 27 and with_scripts:
                p.execute_command("EVAL", "redis.call('SET', KEYS[1], ARGV[1]) "
                                  "return redis.call('SPOP', KEYS[2])", 2, s, st, v)
            elif op == 28:
                p.execute_command("SMOVE", st, "t:%d" % rng.randrange(200), "m%d" % rng.randrange(50))
            elif op == 29:
                p.execute_command("ZREM", z, "m%d" % rng.randrange(50))
            elif op == 30:
                p.execute_command("HDEL", h, "f%d" % rng.randrange(20))
            elif op == 31:
                p.execute_command("SETRANGE", s, rng.randrange(10), v)
            elif op == 32:
                p.execute_command("PEXPIREAT", s, int(time.time() * 1000) + LONG_TTL * 1000)
            else:
                p.execute_command("LTRIM", l, 0, 30)
        p.execute(raise_on_error=False)
        done += n


def writers(port, total, threads, seed):
    """Runs mixed_writes from `threads` clients at once; returns the threads (started)."""
    import redis
    out = []
    for i in range(threads):
        c = redis.Redis(host="127.0.0.1", port=port)
        t = threading.Thread(target=mixed_writes, args=(c, total // threads, seed + i))
        t.start()
        out.append(t)
    return out


class Proxy:
    """A TCP proxy on a free loopback port to `target_port`; cut() drops every connection
    and refuses new ones until heal()."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.cut_now = False
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self.cut_now:
                c.close()
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            threading.Thread(target=self._pipe, args=(c, u), daemon=True).start()
            threading.Thread(target=self._pipe, args=(u, c), daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data or self.cut_now:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cut(self):
        self.cut_now = True
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns = []

    def heal(self):
        self.cut_now = False

    def close(self):
        self.closed = True
        self.cut()
        self.sock.close()
