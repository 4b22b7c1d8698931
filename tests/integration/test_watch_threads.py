"""redis-py's WATCH/MULTI retry loop incrementing one key from 8 threads, 10,000
increments in all: optimistic locking must lose no update across io threads."""
import threading
import unittest

import redis

from harness import Terndb, main


class WatchFromManyThreads(unittest.TestCase):
    def test_optimistic_increments_are_exact(self):
        srv = Terndb("--server-threads", "2")
        try:
            threads, per_thread = 8, 1250
            errors = []
            retries = [0]

            def worker():
                client = srv.client()
                try:
                    for _ in range(per_thread):
                        while True:
                            with client.pipeline() as pipe:
                                try:
                                    pipe.watch("counter")
                                    value = int(pipe.get("counter") or 0)
                                    pipe.multi()
                                    pipe.set("counter", value + 1)
                                    pipe.execute()
                                    break
                                except redis.WatchError:
                                    retries[0] += 1
                except Exception as e:  # surfaced below
                    errors.append(e)

            pool = [threading.Thread(target=worker) for _ in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join(300)
            self.assertEqual(errors, [])
            self.assertEqual(int(srv.client().get("counter")), threads * per_thread)
            # With 8 writers some transactions must have been refused and retried.
            self.assertGreater(retries[0], 0)
        finally:
            srv.stop()

    def test_watch_sees_expiry_and_flush(self):
        srv = Terndb()
        try:
            c = srv.client()
            c.set("k", "v", px=100)
            with c.pipeline() as pipe:
                pipe.watch("k")
                import time
                time.sleep(0.3)
                pipe.multi()
                pipe.set("other", "x")
                # The watched key expired in between: Redis 7.0 aborts the transaction.
                with self.assertRaises(redis.WatchError):
                    pipe.execute()
            c.set("k", "v")
            with c.pipeline() as pipe:
                pipe.watch("k")
                srv.client().flushdb()
                pipe.multi()
                pipe.set("other", "x")
                with self.assertRaises(redis.WatchError):
                    pipe.execute()
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
