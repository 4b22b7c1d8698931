"""Connection and server commands (PING, ECHO, SELECT, HELLO, AUTH, RESET, QUIT, DBSIZE,
FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN) answer as redis-server 7.0 does."""
import time
import unittest

from harness import RedisServer, SideBySide, Terndb, main


class ConnectionCommands(SideBySide):
    def test_ping_echo(self):
        self.script([
            "PING", "PING hello", "PING a b", "ECHO", "ECHO hi", "ECHO a b", "ping",
        ])
        self.same("ECHO", "")

    def test_unknown_command_and_arity(self):
        self.script([
            "NOSUCHCOMMAND", "NOSUCHCOMMAND a b c", "GET", "GET a b", "SET a",
        ])
        self.same("FOO", "x" * 200, "y")

    def test_select_and_databases(self):
        self.script([
            "SELECT 1", "SET k one", "SELECT 0", "GET k", "SET k zero", "SELECT 16",
            "SELECT -1", "SELECT abc", "SELECT 1", "GET k", "DBSIZE", "SELECT 0", "DBSIZE",
        ])

    def test_hello(self):
        self.script([
            "HELLO 4", "HELLO abc", "HELLO 2 SETNAME", "HELLO 2 FOO", "HELLO 3 AUTH default",
        ])
        # The id field differs between servers: compare everything but it.
        ours = self.t.call("HELLO", "3")
        theirs = self.r.call("HELLO", "3")
        self.assertTrue(ours.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15"))
        self.assertEqual(ours.split(b"$2\r\nid\r\n")[0], theirs.split(b"$2\r\nid\r\n")[0])
        self.assertEqual(ours.split(b"$4\r\nmode\r\n")[1], theirs.split(b"$4\r\nmode\r\n")[1])
        # RESP3 now: nulls and maps take RESP3 forms.
        self.same("GET", "missing")
        ours = self.t.call("HELLO", "2", "SETNAME", "myname")
        theirs = self.r.call("HELLO", "2", "SETNAME", "myname")
        self.assertEqual(ours.split(b"$2\r\nid\r\n")[0], theirs.split(b"$2\r\nid\r\n")[0])
        self.same("GET", "missing")

    def test_auth_without_password(self):
        self.script(["AUTH x", "AUTH default x", "AUTH someone x", "AUTH a b c"])

    def test_flush_and_swap(self):
        self.script([
            "MSET a 1 b 2", "SELECT 3", "SET c 3", "SWAPDB 0 3", "DBSIZE", "GET c",
            "SELECT 0", "GET a", "SWAPDB 0 99", "SWAPDB x 1", "SWAPDB 1 x", "FLUSHDB foo",
            "FLUSHDB ASYNC", "DBSIZE", "SELECT 3", "DBSIZE", "FLUSHALL SYNC", "DBSIZE",
            "FLUSHALL a b",
        ])

    def test_reset(self):
        self.script(["SELECT 2", "SET k v", "RESET", "GET k", "DBSIZE"])

    def test_quit(self):
        self.assertEqual(self.t.call("QUIT"), b"+OK\r\n")
        self.assertTrue(self.t.closed_by_peer())

    def test_time(self):
        reply = self.t.call("TIME")
        parts = reply.split(b"\r\n")
        self.assertEqual(parts[0], b"*2")
        self.assertLess(abs(int(parts[2]) - time.time()), 5)
        self.assertTrue(0 <= int(parts[4]) < 1000000)


class Authentication(SideBySide):
    terndb_options = ("--requirepass", "s3cret")
    redis_options = ("--requirepass", "s3cret")

    def setUp(self):
        self.t = self.terndb.raw()
        self.r = self.redis.raw()

    def test_noauth_then_auth(self):
        self.script([
            "GET k", "PING", "SELECT 1", "NOSUCHCOMMAND", "AUTH wrong", "AUTH default wrong",
            "AUTH s3cret", "SET k v", "GET k", "AUTH default s3cret",
        ])

    def test_hello_with_auth(self):
        self.same("HELLO", "2")
        self.same("HELLO", "2", "AUTH", "default", "nope")
        ours = self.t.call("HELLO", "2", "AUTH", "default", "s3cret")
        theirs = self.r.call("HELLO", "2", "AUTH", "default", "s3cret")
        self.assertTrue(ours.startswith(b"*14\r\n"))
        self.assertEqual(ours.split(b"$2\r\nid\r\n")[0], theirs.split(b"$2\r\nid\r\n")[0])
        self.same("PING")

    def test_reset_deauthenticates(self):
        self.script(["AUTH s3cret", "PING", "RESET", "PING"])


class Shutdown(unittest.TestCase):
    def test_shutdown_command_stops_the_server(self):
        srv = Terndb()
        conn = srv.raw()
        conn.send(b"SHUTDOWN NOSAVE\r\n")
        self.assertTrue(conn.closed_by_peer())
        srv.proc.wait(10)
        self.assertEqual(srv.proc.returncode, 0)
        self.assertIn("ready to exit", srv.log())
        srv.stop()

    def test_sigterm_stops_cleanly(self):
        srv = Terndb()
        self.assertEqual(srv.raw().call("PING"), b"+PONG\r\n")
        rc = srv.stop()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    main()
