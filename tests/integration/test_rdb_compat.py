"""RDB files move both ways between redis-server 7.0 and terndb: a dataset of every type
and encoding built in redis-server loads into terndb with the same DEBUG DIGEST, the same
encodings and TTLs within a second; terndb's SAVE loads into redis-server with the same
digest. Corrupt files (a flipped byte, truncations, a wrong checksum) stop terndb's
start-up with the offset and reason, leaving the file unchanged."""
import hashlib
import os
import shutil
import sys
import tempfile
import unittest

import harness
import rdb_dataset
from rdb_helpers import TerndbIn, refused_start


def keys_by_db(r):
    out = {}
    for db in (0, 3, 15):
        r.execute_command("SELECT", db)
        out[db] = sorted(r.keys("*"))
    r.execute_command("SELECT", 0)
    return out


def encodings(r, keys):
    out = {}
    for db, names in keys.items():
        r.execute_command("SELECT", db)
        for k in names:
            out[(db, k)] = r.object("encoding", k)
    r.execute_command("SELECT", 0)
    return out


class RedisToTerndb(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="terndb-rdb-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_redis_dump_loads_with_same_digest_encodings_and_ttls(self):
        redis = harness.RedisServer("--enable-debug-command", "yes")
        try:
            r = redis.client()
            ttls = rdb_dataset.build(r)
            want_digest = r.execute_command("DEBUG", "DIGEST")
            want_keys = keys_by_db(r)
            want_enc = encodings(r, want_keys)
            want_ttl = rdb_dataset.pttls(r, ttls)
            self.assertEqual(r.save(), True)
            shutil.copy(os.path.join(redis.workdir, "dump.rdb"), os.path.join(self.dir, "dump.rdb"))
        finally:
            redis.stop()
        t = TerndbIn(self.dir, "--save", "")
        try:
            c = t.client()
            self.assertEqual(c.execute_command("DEBUG", "DIGEST"), want_digest)
            self.assertEqual(keys_by_db(c), want_keys)
            self.assertEqual(encodings(c, want_keys), want_enc)
            got_ttl = rdb_dataset.pttls(c, ttls)
            for k, v in want_ttl.items():
                self.assertGreater(got_ttl[k], 0, k)
                self.assertLessEqual(abs(got_ttl[k] - v), 1000, k)
            self.assertIn("Loading RDB produced by version 7.0", t.log())
            info = c.info("persistence")
            self.assertEqual(info["rdb_last_load_keys_loaded"], sum(len(v) for v in want_keys.values()))
        finally:
            t.stop()

    def test_terndb_dump_loads_into_redis_with_same_digest(self):
        t = TerndbIn(self.dir, "--save", "")
        try:
            c = t.client()
            rdb_dataset.build(c)
            want_digest = c.execute_command("DEBUG", "DIGEST")
            want_keys = keys_by_db(c)
            want_enc = encodings(c, want_keys)
            self.assertEqual(c.save(), True)
        finally:
            t.stop()
        redis = harness.RedisServer("--enable-debug-command", "yes", "--dir", self.dir)
        try:
            r = redis.client()
            self.assertEqual(r.execute_command("DEBUG", "DIGEST"), want_digest)
            self.assertEqual(keys_by_db(r), want_keys)
            self.assertEqual(encodings(r, want_keys), want_enc)
        finally:
            redis.stop()

    def test_uncompressed_and_unchecksummed_dumps_load_in_redis(self):
        t = TerndbIn(self.dir, "--save", "", "--rdbcompression", "no", "--rdbchecksum", "no")
        try:
            c = t.client()
            rdb_dataset.build(c)
            want_digest = c.execute_command("DEBUG", "DIGEST")
            c.save()
        finally:
            t.stop()
        with open(os.path.join(self.dir, "dump.rdb"), "rb") as f:
            data = f.read()
        self.assertEqual(data[-8:], b"\0" * 8)
        self.assertIn(b"abcdefgh" * 100, data)  # stored as is, not LZF
        redis = harness.RedisServer("--enable-debug-command", "yes", "--dir", self.dir)
        try:
            self.assertEqual(redis.client().execute_command("DEBUG", "DIGEST"), want_digest)
        finally:
            redis.stop()


class CorruptFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="terndb-rdb-corrupt-")
        t = TerndbIn(cls.dir, "--save", "")
        try:
            c = t.client()
            rdb_dataset.build(c)
            c.save()
        finally:
            t.stop()
        with open(os.path.join(cls.dir, "dump.rdb"), "rb") as f:
            cls.good = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def refuse(self, data, reason_part=None):
        path = os.path.join(self.dir, "dump.rdb")
        with open(path, "wb") as f:
            f.write(data)
        code, out = refused_start(self.dir)
        self.assertNotEqual(code, 0, out)
        self.assertIn("at offset", out)
        if reason_part:
            self.assertIn(reason_part, out)
        self.assertNotIn("Ready to accept connections", out)
        with open(path, "rb") as f:
            self.assertEqual(hashlib.sha1(f.read()).hexdigest(), hashlib.sha1(data).hexdigest())
        return out

    def test_flipped_bytes(self):
        for pos in (3, 20, len(self.good) // 3, len(self.good) // 2, len(self.good) - 12):
            with self.subTest(pos=pos):
                bad = bytearray(self.good)
                bad[pos] ^= 0x5A
                self.refuse(bytes(bad))

    def test_truncations(self):
        for cut in (0, 5, 9, 40, len(self.good) // 4, len(self.good) // 2, len(self.good) - 9,
                    len(self.good) - 1):
            with self.subTest(cut=cut):
                out = self.refuse(self.good[:cut])
                if cut >= 9:
                    self.assertIn("end of file", out)

    def test_wrong_checksum(self):
        bad = self.good[:-8] + bytes(b ^ 1 for b in self.good[-8:])
        out = self.refuse(bad, "checksum")
        self.assertIn("at offset %d" % (len(self.good) - 8), out)

    def test_stream_keys_are_refused_by_name(self):
        redis = harness.RedisServer()
        try:
            r = redis.client()
            r.set("plain", "1")
            r.xadd("my-stream", {"f": "v"})
            r.save()
            with open(os.path.join(redis.workdir, "dump.rdb"), "rb") as f:
                data = f.read()
        finally:
            redis.stop()
        self.refuse(data, "'my-stream'")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    harness.main()
