"""Hash commands answer exactly as redis-server 7.0 does: replies, errors, encodings and
their conversions. Small hashes (listpack) keep insertion order on both servers, so their
replies are compared byte for byte; hashtable replies are compared as sets of pairs."""
import time

from collection_helpers import CollectionSideBySide, pairs, value
from harness import main

INTEGERS = ["0", "1", "127", "128", "-1", "-4096", "-4097", "4095", "4096", "32767", "32768",
            "-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609", "2147483647",
            "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
            "-9223372036854775808"]
NOT_INTEGERS = ["", "007", "-0", "+1", "1.0", " 1", "1 ", "9223372036854775808",
                "-9223372036854775809", "12345678901234567890123", "0x10", "1e3"]


class HashCommands(CollectionSideBySide):
    # DEBUG DIGEST compares datasets; Redis 7 refuses DEBUG unless this allows it.
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def test_basics(self):
        self.script([
            "HSET h a 1 b 2 c hello", "HGETALL h", "HSET h a 10 d 4", "HGETALL h",
            "HGET h a", "HGET h nope", "HGET nokey a", "HMGET h a nope b", "HMGET nokey a b",
            "HLEN h", "HLEN nokey", "HSTRLEN h c", "HSTRLEN h a", "HSTRLEN h nope",
            "HSTRLEN nokey a", "HEXISTS h a", "HEXISTS h nope", "HEXISTS nokey a",
            "HKEYS h", "HVALS h", "HKEYS nokey", "HVALS nokey", "HGETALL nokey",
            "HSETNX h a x", "HSETNX h e 5", "HSETNX fresh f v", "HGETALL fresh",
            "HMSET h f 6 g 7", "HGETALL h", "OBJECT ENCODING h",
            "HDEL h a nope b", "HDEL h a", "HDEL nokey a", "HGETALL h",
            "HDEL h c d e f g", "EXISTS h", "HLEN h",
        ])

    def test_arity_and_wrong_type(self):
        self.script([
            "HSET h", "HSET h a", "HSET h a 1 b", "HMSET h a", "HMSET h a 1 b", "HGET h",
            "HSETNX h a", "HMGET h", "HDEL h", "HINCRBY h a", "HSTRLEN h", "HRANDFIELD",
            "HSCAN h", "HGETALL", "HGETALL a b",
            "SET s v",
            "HSET s a 1", "HMSET s a 1", "HSETNX s a 1", "HGET s a", "HMGET s a",
            "HGETALL s", "HKEYS s", "HVALS s", "HDEL s a", "HLEN s", "HSTRLEN s a",
            "HEXISTS s a", "HINCRBY s a 1", "HINCRBYFLOAT s a 1", "HRANDFIELD s",
            "HRANDFIELD s 2", "HRANDFIELD s 2 WITHVALUES", "HSCAN s 0", "GET s",
        ])

    def test_integer_and_odd_values_round_trip(self):
        values = INTEGERS + NOT_INTEGERS
        args = ["HSET", "h"]
        for i, v in enumerate(values):
            args += ["f%d" % i, v]
            args += [v if v else "empty", "x%d" % i]  # the same strings as fields
        self.same(*args)
        self.same("HGETALL", "h")
        self.same("OBJECT", "ENCODING", "h")
        for i, v in enumerate(values):
            self.same("HGET", "h", "f%d" % i)
            self.same("HSTRLEN", "h", "f%d" % i)
            self.same("HEXISTS", "h", v)
            self.same("HGET", "h", v)
        # Replacing values with longer and shorter ones keeps the order and the rest intact.
        for i, v in enumerate(values):
            self.same("HSET", "h", "f%d" % i, v + "-longer-now")
        self.same("HGETALL", "h")
        for i in range(len(values)):
            self.same("HSET", "h", "f%d" % i, str(i))
        self.same("HGETALL", "h")
        self.same("HDEL", "h", "f0", "f5", "007", "-9223372036854775808")
        self.same("HGETALL", "h")

    def test_binary_fields_and_values(self):
        field = b"\x00\xff\r\n bin"
        self.same("HSET", "h", field, b"\x01\x02\x00", "plain", b"\xff" * 64)
        self.same("HGETALL", "h")
        self.same("HGET", "h", field)
        self.same("OBJECT", "ENCODING", "h")

    def test_hincrby(self):
        self.script([
            "HINCRBY h a 5", "HINCRBY h a -7", "HINCRBY h a abc", "HINCRBY h a 1.5",
            "HINCRBY h a 9223372036854775808", "HSET h s hello", "HINCRBY h s 1",
            "HSET h big 9223372036854775807", "HINCRBY h big 1", "HINCRBY h big -1",
            "HSET h small -9223372036854775808", "HINCRBY h small -1", "HINCRBY h small 1",
            "HSET h sp 012", "HINCRBY h sp 1", "HSET h f 1.5", "HINCRBY h f 1",
            "HINCRBY h fresh -9223372036854775808", "HGETALL h",
            "HINCRBY nokey x 3", "HGETALL nokey",
        ])

    def test_hincrbyfloat(self):
        self.script([
            "HINCRBYFLOAT h a 1.5", "HINCRBYFLOAT h a 0.1", "HINCRBYFLOAT h a -1.6",
            "HINCRBYFLOAT h a abc", "HINCRBYFLOAT h a inf", "HINCRBYFLOAT h a -inf",
            "HINCRBYFLOAT h a nan", "HSET h s hello", "HINCRBYFLOAT h s 1",
            "HSET h e 1e3", "HINCRBYFLOAT h e 1", "HINCRBYFLOAT h i 3.0e3",
            "HINCRBYFLOAT h i 5", "HSET h n 10", "HINCRBYFLOAT h n 0.5",
            "HINCRBYFLOAT h tiny 0.0000000000000000001", "HGETALL h", "OBJECT ENCODING h",
            # A result too long for a listpack value converts the hash.
            "HINCRBYFLOAT h big 1e400", "OBJECT ENCODING h", "HGET h big",
            "HINCRBYFLOAT h big 1e4932", "HINCRBYFLOAT nokey x 2.5", "HGETALL nokey",
        ])

    def test_listpack_to_hashtable_by_entries(self):
        # redis-server 7.0's built-in hash-max-listpack-entries is 512.
        self.assertEqual(value(self.r.call("CONFIG", "GET", "hash-max-listpack-entries")),
                         [b"hash-max-listpack-entries", b"512"])
        args = ["HSET", "h"]
        for i in range(512):
            args += ["field:%d" % i, str(i * 7)]
        self.same(*args)
        self.assertEqual(self.encoding("h"), b"$8\r\nlistpack\r\n")
        self.same("HGETALL", "h")
        self.same("HSET", "h", "field:0", "updated")  # an update adds no entry
        self.assertEqual(self.encoding("h"), b"$8\r\nlistpack\r\n")
        self.same("HSET", "h", "one-more", "x")
        self.assertEqual(self.encoding("h"), b"$9\r\nhashtable\r\n")
        self.same("HLEN", "h")
        self.same_map("HGETALL", "h")
        self.same_set("HKEYS", "h")
        self.same_set("HVALS", "h")
        # Never back: shrinking keeps the hashtable.
        self.same("HDEL", "h", *["field:%d" % i for i in range(500)])
        self.assertEqual(self.encoding("h"), b"$9\r\nhashtable\r\n")
        self.same_map("HGETALL", "h")

    def test_listpack_to_hashtable_by_length(self):
        cases = [
            ("HSET", "v64", "f", "x" * 64), ("HSET", "v65", "f", "x" * 65),
            ("HSET", "f64", "y" * 64, "v"), ("HSET", "f65", "y" * 65, "v"),
            ("HSETNX", "nx65", "f", "x" * 65), ("HMSET", "m65", "a", "1", "b", "x" * 65),
            ("HINCRBY", "incr65", "z" * 65, "1"), ("HINCRBYFLOAT", "flt65", "z" * 65, "1.5"),
        ]
        for cmd in cases:
            self.same(*cmd)
            self.encoding(cmd[1])
        # Growing an existing value past the limit converts as well.
        self.same("HSET", "grow", "a", "1", "b", "2")
        self.same("HSET", "grow", "a", "x" * 65)
        self.assertEqual(self.encoding("grow"), b"$9\r\nhashtable\r\n")
        # An existing field whose value HSETNX would not change converts nothing.
        self.same("HSET", "keep", "a", "1")
        self.same("HSETNX", "keep", "a", "x" * 100)
        self.assertEqual(self.encoding("keep"), b"$8\r\nlistpack\r\n")
        for key in ("v65", "f65", "m65"):
            self.same_map("HGETALL", key)
        self.same("HGET", "v65", "f")
        self.same("HSTRLEN", "v65", "f")

    def test_hashtable_operations(self):
        args = ["HSET", "h"]
        for i in range(600):
            args += ["k%d" % i, "v%d" % i if i % 3 else str(i)]
        self.same(*args)
        self.script([
            "HGET h k10", "HGET h k9", "HGET h nope", "HMGET h k1 k2 nope", "HLEN h",
            "HSTRLEN h k299", "HEXISTS h k150", "HSETNX h k1 x", "HSETNX h new x",
            "HINCRBY h k3 4", "HINCRBYFLOAT h k6 0.5", "HINCRBY h k1 1",
            "HDEL h k0 k1 nope", "HLEN h",
        ])
        self.same_map("HGETALL", "h")
        self.same("HDEL", "h", *["k%d" % i for i in range(600)] + ["new"])
        self.same("EXISTS", "h")

    def test_hrandfield_errors(self):
        self.script([
            "HSET h a 1 b 2", "HRANDFIELD h abc", "HRANDFIELD h 1 foo",
            "HRANDFIELD h 1 WITHVALUES x", "HRANDFIELD h abc WITHVALUES",
            "HRANDFIELD h -9223372036854775808", "HRANDFIELD h 9223372036854775808",
            "HRANDFIELD h 4611686018427387904 WITHVALUES",
            "HRANDFIELD h -4611686018427387904 WITHVALUES",
            "HRANDFIELD h 0", "HRANDFIELD h 0 WITHVALUES", "HRANDFIELD nokey",
            "HRANDFIELD nokey 5", "HRANDFIELD nokey -5 WITHVALUES",
        ])

    def test_hrandfield_whole_hash_in_order(self):
        self.same("HSET", "h", "z", "1", "y", "2", "x", "3", "w", "4")
        for args in (("5",), ("4",), ("100", "WITHVALUES"), ("4", "withvalues")):
            self.same("HRANDFIELD", "h", *args)
        self.resp3()
        self.same("HRANDFIELD", "h", "10", "WITHVALUES")
        self.same("HRANDFIELD", "nokey", "10", "WITHVALUES")
        self.same("HRANDFIELD", "nokey")
        self.same("HGETALL", "h")
        self.same("HGETALL", "nokey")

    def check_random_fields(self, key, content):
        """HRANDFIELD's sampling forms against the hash's known content."""
        n = len(content)
        one = value(self.t.call("HRANDFIELD", key))
        self.assertIn(one, content)
        for count in (1, 2, n // 2, n - 1, n, n + 5):
            got = value(self.t.call("HRANDFIELD", key, count))
            self.assertEqual(len(got), min(count, n))
            self.assertEqual(len(set(got)), len(got), "distinct fields")
            self.assertTrue(set(got) <= set(content))
            got = value(self.t.call("HRANDFIELD", key, count, "WITHVALUES"))
            self.assertEqual(len(got), 2 * min(count, n))
            for f, v in pairs(got).items():
                self.assertEqual(content[f], v)
            self.assertEqual(len(pairs(got)), min(count, n))
        got = value(self.t.call("HRANDFIELD", key, -3 * n))
        self.assertEqual(len(got), 3 * n)
        self.assertTrue(set(got) <= set(content))
        self.assertGreater(len(set(got)), 1, "negative counts draw different fields")
        got = value(self.t.call("HRANDFIELD", key, -7, "WITHVALUES"))
        self.assertEqual(len(got), 14)
        for f, v in zip(got[::2], got[1::2]):
            self.assertEqual(content[f], v)
        # RESP3 nests each pair.
        self.t.call("HELLO", "3")
        got = self.t.call("HRANDFIELD", key, -2, "WITHVALUES")
        self.assertTrue(got.startswith(b"*2\r\n*2\r\n"), got)
        self.t.call("HELLO", "2")

    def test_hrandfield_sampling(self):
        small = {b"f%d" % i: b"v%d" % i for i in range(10)}
        large = {b"f%d" % i: b"%d" % (i * 3) for i in range(700)}
        for key, content in (("small", small), ("large", large)):
            args = ["HSET", key]
            for f, v in content.items():
                args += [f, v]
            self.t.call(*args)
            self.check_random_fields(key, content)
        self.assertEqual(value(self.t.call("OBJECT", "ENCODING", "large")), b"hashtable")
        # Distinct draws of a few of many fields cover the hash over repeated calls.
        seen = set()
        for _ in range(200):
            seen.update(value(self.t.call("HRANDFIELD", "large", 5)))
        self.assertGreater(len(seen), 400)

    def test_hscan_listpack(self):
        self.same("HSET", "h", "a", "1", "b", "2", "ab", "3", "ba", "4")
        self.script([
            "HSCAN h 0", "HSCAN h 0 COUNT 1", "HSCAN h 0 MATCH a*", "HSCAN h 0 match *a",
            "HSCAN h 0 MATCH nomatch", "HSCAN h 0 MATCH * COUNT 100", "HSCAN h 123",
            "HSCAN h abc", "HSCAN h -1", "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT abc",
            "HSCAN h 0 COUNT", "HSCAN h 0 MATCH", "HSCAN h 0 TYPE string", "HSCAN h 0 foo bar",
            "HSCAN h 18446744073709551616", "HSCAN nokey 0", "HSCAN nokey abc",
            "HSCAN nokey 0 COUNT abc", "HSCAN nokey 0 bogus",
        ])

    def test_hscan_hashtable_full_iteration(self):
        content = {}
        args = ["HSET", "h"]
        for i in range(1000):
            content[b"key:%d" % i] = b"%d" % i
            args += ["key:%d" % i, str(i)]
        self.same(*args)
        for match in (None, "key:1*"):
            got = {}
            cursor = b"0"
            calls = 0
            while True:
                extra = ["MATCH", match] if match else []
                cursor, items = value(self.t.call("HSCAN", "h", cursor, "COUNT", 50, *extra))
                got.update(pairs(items))
                calls += 1
                if cursor == b"0":
                    break
            want = {f: v for f, v in content.items() if match is None or f.startswith(b"key:1")}
            self.assertEqual(got, want)
            self.assertGreater(calls, 5)

    def test_hscan_sees_every_field_while_the_table_shrinks(self):
        args = ["HSET", "h"]
        for i in range(2000):
            args += ["f%d" % i, "v"]
        self.t.call(*args)
        keep = {b"f%d" % i for i in range(0, 2000, 50)}
        got = set()
        cursor, first = value(self.t.call("HSCAN", "h", 0, "COUNT", 20))
        got.update(first[::2])
        # Shrink the table under the iteration: the fields still present must all appear.
        self.t.call("HDEL", "h", *[f for f in ("f%d" % i for i in range(2000))
                                   if f.encode() not in keep])
        while cursor != b"0":
            cursor, items = value(self.t.call("HSCAN", "h", cursor, "COUNT", 20))
            got.update(items[::2])
        self.assertTrue(keep <= got)

    def test_resp3_shapes(self):
        self.same("HSET", "h", "a", "1", "b", "2")
        self.resp3()
        self.script([
            "HGETALL h", "HGETALL nokey", "HKEYS h", "HVALS h", "HMGET h a nope",
            "HGET h nope", "HRANDFIELD nokey", "HSCAN h 0", "HINCRBYFLOAT h a 1.5",
        ])

    def test_transaction_and_copy(self):
        self.script([
            "HSET h a 1", "MULTI", "HSET h b 2", "HINCRBY h a 5", "HGETALL h", "EXEC",
            "COPY h h2", "HSET h2 c 3", "HGETALL h", "HGETALL h2", "RENAME h2 h3",
            "HGETALL h3", "TYPE h3", "OBJECT ENCODING h3",
        ])
        args = ["HSET", "big"] + ["f%d" % i for i in range(1100)]
        self.same(*args)
        self.same("COPY", "big", "big2")
        self.same("HDEL", "big", "f0")
        self.same("HLEN", "big2")
        self.same_map("HGETALL", "big2")

    def test_expiry(self):
        self.same("HSET", "h", "a", "1")
        self.same("PEXPIRE", "h", "50")
        self.same("HSET", "h", "b", "2")  # writing keeps the expiry
        self.same("HLEN", "h")
        time.sleep(0.15)
        self.script(["HGET h a", "HLEN h", "EXISTS h", "HSET h c 3", "TTL h"])

    def test_debug_digest(self):
        if isinstance(value(self.t.call("DEBUG", "DIGEST-VALUE", "nokey")), tuple):
            self.skipTest("DEBUG DIGEST is not available in this build")
        self.same("HSET", "small", "a", "1", "b", "hello", "c", "-5")
        args = ["HSET", "large"] + ["f%d" % i for i in range(1200)]
        self.same(*args)
        self.same("DEBUG", "DIGEST-VALUE", "small", "large")
        self.same("DEBUG", "DIGEST")


if __name__ == "__main__":
    main()
