"""MULTI/EXEC/DISCARD/WATCH/UNWATCH answer as redis-server 7.0 does, and a transaction is
atomic against clients on other io threads."""
import threading

from harness import SideBySide, main


class Transactions(SideBySide):
    def test_queue_and_exec(self):
        self.script([
            "MULTI", "SET a 1", "INCR a", "GET a", "EXEC", "GET a",
            "EXEC", "DISCARD", "MULTI", "MULTI", "DISCARD", "MULTI", "EXEC",
        ])

    def test_queued_errors_abort(self):
        self.script([
            "MULTI", "SET a 1", "NOSUCH x", "GET", "EXEC", "GET a",
            "MULTI", "SET a 2", "SET", "EXEC",
        ])

    def test_runtime_errors_do_not_abort(self):
        self.script([
            "SET s text", "MULTI", "INCR s", "SET b 2", "GET b", "EXEC",
        ])

    def test_watch(self):
        self.script([
            "WATCH a", "MULTI", "WATCH b", "SET a 1", "EXEC",
            "SET x 1", "WATCH x", "SET x 2", "MULTI", "SET y 1", "EXEC", "GET y",
            "WATCH x", "UNWATCH", "SET x 3", "MULTI", "SET y 2", "EXEC",
            "WATCH nothere", "MULTI", "PING", "EXEC",
        ])

    def test_watch_sees_other_clients(self):
        for own, other in ((self.t, self.terndb.raw()), (self.r, self.redis.raw())):
            own.call("SET", "w", "1")
            self.assertEqual(own.call("WATCH", "w"), b"+OK\r\n")
            other.call("INCR", "w")
            own.call("MULTI")
            own.call("SET", "w", "100")
            self.assertEqual(own.call("EXEC"), b"*-1\r\n")
            other.close()

    def test_select_inside_multi(self):
        self.script(["MULTI", "SELECT 1", "SET k one", "SELECT 0", "GET k", "EXEC", "GET k"])

    def test_discard_forgets_watch(self):
        self.script(["WATCH k", "MULTI", "DISCARD", "SET k 1", "MULTI", "GET k", "EXEC"])


class Atomicity(SideBySide):
    def test_exec_is_atomic_against_other_threads(self):
        """A reader on other connections never sees half of a transaction's writes."""
        srv = self.terndb
        stop = threading.Event()
        torn = []

        def reader():
            c = srv.client()
            while not stop.is_set():
                a, b = c.mget("pair:a", "pair:b")
                if a != b:
                    torn.append((a, b))

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for t in readers:
            t.start()
        writer = srv.client()
        for i in range(2000):
            with writer.pipeline(transaction=True) as p:
                p.set("pair:a", i)
                p.set("pair:b", i)
                p.execute()
        stop.set()
        for t in readers:
            t.join()
        self.assertEqual(torn, [])


if __name__ == "__main__":
    main()
