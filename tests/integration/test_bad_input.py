"""Malformed and oversized requests: terndb answers the same protocol errors as
redis-server 7.0, closes only the offending connection, and keeps serving everyone else."""
import socket
import time

from harness import RawConnection, SideBySide, main


def exchange(server, payload, timeout=5.0):
    """Sends payload on a new connection; returns (everything received, closed by peer)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    received = b""
    closed = False
    try:
        sock.sendall(payload)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except socket.timeout:
        pass
    finally:
        sock.close()
    return received, closed


class BadInputBase(SideBySide):
    def tearDown(self):
        super().tearDown()
        # Whatever the test sent, the server is still up and answers a new client.
        self.assertTrue(self.terndb.alive(), self.terndb.log())
        conn = RawConnection(self.terndb.port)
        self.assertEqual(conn.call("PING"), b"+PONG\r\n")
        conn.close()

    def same_exchange(self, payload, expected, closed=True, timeout=5.0):
        ours = exchange(self.terndb, payload, timeout)
        theirs = exchange(self.redis, payload, timeout)
        self.assertEqual(ours, theirs, "payload %r" % payload[:80])
        self.assertEqual(ours, (expected, closed), "payload %r" % payload[:80])


class ProtocolErrors(BadInputBase):
    def test_garbage_after_multibulk_header(self):
        self.same_exchange(b"*1\r\nxyz\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n")
        self.same_exchange(b"*2\r\n$3\r\nGET\r\n\x07garbage\r\n",
                           b"-ERR Protocol error: expected '$', got '\x07'\r\n")

    def test_garbage_counts(self):
        self.same_exchange(b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n")
        self.same_exchange(b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n")
        self.same_exchange(b"*1\r\n$1x\r\n", b"-ERR Protocol error: invalid bulk length\r\n")

    def test_other_clients_are_unaffected(self):
        self.assertEqual(self.t.call("SET", "survivor", "yes"), b"+OK\r\n")
        received, closed = exchange(self.terndb, b"*1\r\n\xff\xfe\xfd\r\n")
        self.assertTrue(received.startswith(b"-ERR Protocol error: "), received)
        self.assertTrue(closed)
        # The connection opened before the bad one still works.
        self.assertEqual(self.t.call("GET", "survivor"), b"$3\r\nyes\r\n")

    def test_replies_before_the_error_are_delivered(self):
        self.same_exchange(b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\nbad\r\nPING\r\n",
                           b"+PONG\r\n+PONG\r\n-ERR Protocol error: expected '$', got 'b'\r\n")

    def test_huge_bulk_header(self):
        # 600 MB is over the default proto-max-bulk-len (512 MB): refused before any data.
        self.same_exchange(b"*1\r\n$629145600\r\n", b"-ERR Protocol error: invalid bulk length\r\n")

    def test_huge_multibulk_count(self):
        self.same_exchange(b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n")
        # Just under the limit is accepted as a header; the server then waits for arguments.
        self.same_exchange(b"*2147483647\r\n", b"", closed=False, timeout=0.5)

    def test_empty_and_negative_multibulk_are_ignored(self):
        self.same_exchange(b"*0\r\n*-1\r\n\r\n\nPING\r\n", b"+PONG\r\n", closed=False, timeout=0.5)

    def test_unbalanced_quotes_inline(self):
        self.same_exchange(b'SET "foo bar\r\n',
                           b"-ERR Protocol error: unbalanced quotes in request\r\n")
        self.same_exchange(b"PING\r\nSET 'it\\'s' \"x\"y\r\n",
                           b"+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n")

    def test_inline_too_big(self):
        self.same_exchange(b"A" * (70 * 1024), b"-ERR Protocol error: too big inline request\r\n")

    def test_count_strings_too_big(self):
        self.same_exchange(b"*" + b"1" * (70 * 1024),
                           b"-ERR Protocol error: too big mbulk count string\r\n")
        self.same_exchange(b"*1\r\n$" + b"1" * (70 * 1024),
                           b"-ERR Protocol error: too big bulk count string\r\n")


class LoweredBulkLimit(BadInputBase):
    terndb_options = ("--proto-max-bulk-len", "1mb")
    redis_options = ("--proto-max-bulk-len", "1mb")

    def test_bulk_over_the_lowered_limit(self):
        header = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * 1024 * 1024)
        self.same_exchange(header, b"-ERR Protocol error: invalid bulk length\r\n")
        # The start of the body in the same packet changes nothing. (Only a little of it:
        # data the server never reads makes its close a reset, which can discard the
        # reply on the client's side before it is read.)
        self.same_exchange(header + b"x" * 100, b"-ERR Protocol error: invalid bulk length\r\n")

    def test_bulk_at_the_limit_is_accepted(self):
        value = b"v" * (1024 * 1024)
        payload = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n" % (len(value), value)
        self.t.send(payload)
        self.assertEqual(self.t.read_reply(), b"+OK\r\n")
        self.assertEqual(self.t.call("STRLEN", "k"), b":1048576\r\n")


class QueryBufferLimit(BadInputBase):
    terndb_options = ("--client-query-buffer-limit", "1mb")
    redis_options = ("--client-query-buffer-limit", "1mb")

    def slow_unterminated_bulk(self, server):
        """Declares a 3 MB argument (under proto-max-bulk-len) and feeds it slowly; returns
        (bytes sent before the server closed, closed)."""
        total = 3 * 1024 * 1024
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5.0)
        sent = 0
        try:
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % total)
            chunk = b"q" * (64 * 1024)
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
                time.sleep(0.01)
            conn = RawConnection.__new__(RawConnection)
            conn.sock, conn.buf = sock, b""
            return sent, conn.closed_by_peer(timeout=5.0)
        except (ConnectionResetError, BrokenPipeError):
            return sent, True
        finally:
            sock.close()

    def test_growing_unterminated_bulk_closes_the_connection(self):
        sent, closed = self.slow_unterminated_bulk(self.terndb)
        self.assertTrue(closed, "terndb kept a query buffer over the limit (%d bytes sent)" % sent)
        sent, closed = self.slow_unterminated_bulk(self.redis)
        self.assertTrue(closed, "redis-server behaves differently")
        self.assertEqual(self.t.call("GET", "k"), b"$-1\r\n")

    def test_requests_under_the_limit_work(self):
        value = b"w" * (900 * 1024)
        self.assertEqual(self.t.call("SET", "k", value), b"+OK\r\n")
        self.assertEqual(self.t.call("STRLEN", "k"), b":%d\r\n" % len(value))


class UnauthenticatedLimits(BadInputBase):
    terndb_options = ("--requirepass", "pw")
    redis_options = ("--requirepass", "pw")

    def test_big_requests_before_auth_are_refused(self):
        self.same_exchange(b"*11\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n")
        self.same_exchange(b"*1\r\n$16385\r\n",
                           b"-ERR Protocol error: unauthenticated bulk length\r\n")

    def test_small_requests_before_auth_get_noauth(self):
        # Ten arguments is the most an unauthenticated client may send; NOAUTH comes
        # before the arity check.
        self.same_exchange(b"*10\r\n$4\r\nMSET\r\n" + b"$1\r\nx\r\n" * 9,
                           b"-NOAUTH Authentication required.\r\n", closed=False, timeout=0.5)
        self.same_exchange(b"*9\r\n$4\r\nMSET\r\n" + b"$1\r\nx\r\n" * 8,
                           b"-NOAUTH Authentication required.\r\n", closed=False, timeout=0.5)

    def test_same_sizes_are_fine_after_auth(self):
        self.same_exchange(b"AUTH pw\r\n*1\r\n$16385\r\n" + b"p" * 16385 + b"\r\n",
                           b"+OK\r\n-ERR unknown command '%s', with args beginning with: \r\n"
                           % (b"p" * 128), closed=False, timeout=0.5)

    def setUp(self):
        super().setUp()
        for c in (self.t, self.r):
            self.assertEqual(c.call("AUTH", "pw"), b"+OK\r\n")

    def tearDown(self):
        # The base class checks PING from a fresh (unauthenticated) connection.
        self.assertTrue(self.terndb.alive(), self.terndb.log())
        conn = RawConnection(self.terndb.port)
        self.assertEqual(conn.call("PING"), b"-NOAUTH Authentication required.\r\n")
        self.assertEqual(conn.call("AUTH", "pw"), b"+OK\r\n")
        self.assertEqual(conn.call("PING"), b"+PONG\r\n")
        conn.close()
        self.t.close()
        self.r.close()


if __name__ == "__main__":
    main()
