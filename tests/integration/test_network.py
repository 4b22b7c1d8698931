"""Listeners and connection limits: bind (IPv4 and IPv6), unixsocket, timeout, maxclients,
and pipelined/partial input arriving over many reads."""
import os
import socket
import stat
import time
import unittest

from harness import RawConnection, Terndb, encode_command, free_port, main, terndb_binary
import subprocess
import tempfile


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Listeners(unittest.TestCase):
    def test_bind_ipv4_and_ipv6(self):
        if not ipv6_loopback_available():
            self.skipTest("no IPv6 loopback on this machine")
        srv = Terndb("--bind", "127.0.0.1 ::1")
        try:
            with socket.create_connection(("::1", srv.port), timeout=5) as s:
                s.sendall(b"PING\r\n")
                self.assertEqual(s.recv(16), b"+PONG\r\n")
            self.assertEqual(srv.raw().call("PING"), b"+PONG\r\n")
            # CLIENT-visible address of an IPv6 peer is written as Redis writes it.
        finally:
            srv.stop()

    def test_unixsocket_with_permissions(self):
        path = os.path.join(tempfile.mkdtemp(prefix="terndb-sock-"), "terndb.sock")
        srv = Terndb("--unixsocket", path, "--unixsocketperm", "700")
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode, 0o700)
            out = subprocess.run(["redis-cli", "-s", path, "SET", "k", "v"], capture_output=True)
            self.assertEqual(out.stdout, b"OK\n")
            self.assertEqual(srv.raw().call("GET", "k"), b"$1\r\nv\r\n")
        finally:
            srv.stop()
        self.assertFalse(os.path.exists(path), "socket file removed at shutdown")

    def test_port_in_use_is_refused(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        res = subprocess.run([terndb_binary(), "--port", str(port), "--bind", "127.0.0.1",
                              "--save", ""], capture_output=True, timeout=20)
        blocker.close()
        self.assertNotEqual(res.returncode, 0)
        self.assertIn(b"Could not create server TCP listening socket", res.stdout + res.stderr)


class Limits(unittest.TestCase):
    def test_idle_timeout_closes_clients(self):
        srv = Terndb("--timeout", "1", "--hz", "50")
        try:
            idle = srv.raw()
            self.assertEqual(idle.call("PING"), b"+PONG\r\n")
            self.assertTrue(idle.closed_by_peer(timeout=5))
            self.assertEqual(srv.raw().call("PING"), b"+PONG\r\n")
        finally:
            srv.stop()

    def test_maxclients(self):
        srv = Terndb("--maxclients", "3")
        try:
            # The start-up check's connection counts until its io thread has seen it close.
            conns = [srv.raw()]
            deadline = time.monotonic() + 5
            while b"connected_clients:1\r\n" not in conns[0].call("INFO", "clients"):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.01)
            conns += [srv.raw() for _ in range(2)]
            for c in conns:
                self.assertEqual(c.call("PING"), b"+PONG\r\n")
            extra = RawConnection(srv.port)
            self.assertEqual(extra.read_reply(), b"-ERR max number of clients reached\r\n")
            self.assertTrue(extra.closed_by_peer())
            conns[0].close()
            time.sleep(0.3)
            again = srv.raw()
            self.assertEqual(again.call("PING"), b"+PONG\r\n")
        finally:
            srv.stop()


class Framing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Terndb()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_byte_by_byte_delivery(self):
        c = self.srv.raw()
        data = encode_command("SET", "slow", "x" * 100) + encode_command("GET", "slow")
        for i in range(len(data)):
            c.send(data[i:i + 1])
        self.assertEqual(c.read_reply(), b"+OK\r\n")
        self.assertEqual(c.read_reply(), b"$100\r\n" + b"x" * 100 + b"\r\n")

    def test_large_pipeline_in_one_write(self):
        c = self.srv.raw()
        n = 20000
        c.send(b"".join(encode_command("INCR", "ctr") for _ in range(n)))
        last = None
        for _ in range(n):
            last = c.read_reply()
        self.assertEqual(last, b":%d\r\n" % n)

    def test_large_value_round_trip(self):
        c = self.srv.raw()
        big = os.urandom(8 * 1024 * 1024)
        self.assertEqual(c.call("SET", "big", big), b"+OK\r\n")
        self.assertEqual(c.call("STRLEN", "big"), b":%d\r\n" % len(big))
        reply = c.call("GET", "big")
        self.assertEqual(reply, b"$%d\r\n" % len(big) + big + b"\r\n")

    def test_inline_and_multibulk_mixed(self):
        c = self.srv.raw()
        c.send(b"SET inl 'a b'\r\n" + encode_command("GET", "inl") + b"\r\nPING\r\n")
        self.assertEqual(c.read_reply(), b"+OK\r\n")
        self.assertEqual(c.read_reply(), b"$3\r\na b\r\n")
        self.assertEqual(c.read_reply(), b"+PONG\r\n")


if __name__ == "__main__":
    main()
