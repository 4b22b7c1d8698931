"""Set commands answer exactly as redis-server 7.0 does: replies, errors, encodings and
their conversions. Intsets list their members ascending on both servers, so those replies
are compared byte for byte; hashtable replies are compared as sets."""
import threading
import time

from collection_helpers import CollectionSideBySide, value
from harness import main

INTSET = b"$6\r\nintset\r\n"
HASHTABLE = b"$9\r\nhashtable\r\n"


class SetCommands(CollectionSideBySide):
    # DEBUG DIGEST compares datasets; Redis 7 refuses DEBUG unless this allows it.
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def test_basics_on_intsets(self):
        self.script([
            "SADD s 3 1 2", "SADD s 2 5 -7", "SMEMBERS s", "SCARD s", "OBJECT ENCODING s",
            "SISMEMBER s 2", "SISMEMBER s 9", "SISMEMBER s abc", "SISMEMBER nokey 1",
            "SMISMEMBER s 1 9 2 abc", "SMISMEMBER nokey 1 2", "SREM s 1 9 abc", "SMEMBERS s",
            "SREM nokey 1", "SCARD nokey", "SMEMBERS nokey", "SREM s 2 3 5 -7", "EXISTS s",
        ])

    def test_arity_and_wrong_type(self):
        self.script([
            "SADD s", "SREM s", "SISMEMBER s", "SMISMEMBER s", "SCARD", "SMEMBERS",
            "SPOP", "SRANDMEMBER", "SMOVE a b", "SINTER", "SINTERCARD 1", "SUNION", "SDIFF",
            "SINTERSTORE d", "SUNIONSTORE d", "SDIFFSTORE d", "SSCAN s",
            "SET str v", "SADD str a", "SREM str a", "SISMEMBER str a", "SMISMEMBER str a",
            "SCARD str", "SMEMBERS str", "SPOP str", "SPOP str 2", "SRANDMEMBER str",
            "SRANDMEMBER str 2", "SMOVE str x a", "SINTER str", "SINTERCARD 1 str",
            "SUNION str", "SDIFF str", "SINTERSTORE d str", "SUNIONSTORE d str",
            "SDIFFSTORE d str", "SSCAN str 0", "GET str",
        ])

    def test_intset_widths_and_order(self):
        self.script([
            "SADD s 5 -5 0", "SMEMBERS s", "SADD s 32767 -32768", "SMEMBERS s",
            "SADD s 32768", "SMEMBERS s", "SADD s -32769", "SMEMBERS s",
            "SADD s 2147483648 -2147483649", "SMEMBERS s",
            "SADD s 9223372036854775807 -9223372036854775808", "SMEMBERS s",
            "SISMEMBER s 32768", "SISMEMBER s -9223372036854775808", "SISMEMBER s 1",
            "SREM s 9223372036854775807 5", "SMEMBERS s", "OBJECT ENCODING s",
            # Widening with a negative member puts it first.
            "SADD w 1 2 3", "SADD w -100000", "SMEMBERS w", "SADD w 100000", "SMEMBERS w",
            "SADD w -9999999999", "SMEMBERS w", "OBJECT ENCODING w",
        ])

    def test_non_canonical_integers_make_hashtables(self):
        for member in ["-0", "01", "+1", "1.0", " 1", "9223372036854775808", "", "abc"]:
            with self.subTest(member=member):
                self.same("DEL", "s")
                self.same("SADD", "s", member)
                self.assertEqual(self.encoding("s"), HASHTABLE)
                self.same("SISMEMBER", "s", member)
                self.same("SMEMBERS", "s")
        self.same("DEL", "s")
        self.same("SADD", "s", "1", "2", "x")  # the first member decides, then it converts
        self.assertEqual(self.encoding("s"), HASHTABLE)
        self.same_set("SMEMBERS", "s")

    def test_intset_to_hashtable_by_entries(self):
        self.same("SADD", "s", *range(512))
        self.assertEqual(self.encoding("s"), INTSET)
        self.same("SADD", "s", 0)
        self.assertEqual(self.encoding("s"), INTSET)
        self.same("SADD", "s", 512)
        self.assertEqual(self.encoding("s"), HASHTABLE)
        self.same("SCARD", "s")
        self.same_set("SMEMBERS", "s")
        self.same("SREM", "s", *range(500))
        self.assertEqual(self.encoding("s"), HASHTABLE)  # never back
        self.same_set("SMEMBERS", "s")
        self.same("SADD", "t", *range(600))  # all at once
        self.assertEqual(self.encoding("t"), HASHTABLE)

    def test_hashtable_members(self):
        members = ["m%d" % i for i in range(300)] + [str(i) for i in range(100)]
        self.same("SADD", "s", *members)
        self.same_set("SMEMBERS", "s")
        self.script([
            "SCARD s", "SISMEMBER s m5", "SISMEMBER s 5", "SISMEMBER s nope",
            "SMISMEMBER s m1 1 nope", "SADD s m1 new", "SREM s m1 1 nope", "SCARD s",
        ])
        self.same_set("SMEMBERS", "s")
        binary = b"\x00\xff\r\nbin"
        self.same("SADD", "b", binary, "x" * 100)
        self.same_set("SMEMBERS", "b")
        self.same("SISMEMBER", "b", binary)

    def test_inter_union_diff_intsets(self):
        self.script([
            "SADD a 1 2 3 4 5", "SADD b 4 5 6 7", "SADD c 5 7 9",
            "SINTER a b", "SINTER a b c", "SINTER a nokey", "SINTER nokey a", "SINTER a a",
            "SUNION a b", "SUNION a b c nokey", "SUNION nokey", "SDIFF a b", "SDIFF a b c",
            "SDIFF b a", "SDIFF a nokey", "SDIFF nokey a", "SDIFF a a", "SDIFF a b a",
            "SINTER a", "SUNION a", "SDIFF a",
            "SET str x", "SINTER a str", "SINTER nokey str", "SINTER str nokey",
            "SUNION a str", "SUNION nokey str", "SDIFF a str", "SDIFF nokey str",
            "SINTERCARD 2 a b", "SINTERCARD 3 a b c", "SINTERCARD 2 a nokey",
            "SINTERCARD 1 a LIMIT 2", "SINTERCARD 1 a LIMIT 0", "SINTERCARD 1 a limit 100",
            "SINTERCARD 2 a str", "SINTERCARD 0 a", "SINTERCARD -1 a", "SINTERCARD x a",
            "SINTERCARD 3 a b", "SINTERCARD 1 a LIMIT -1", "SINTERCARD 1 a LIMIT x",
            "SINTERCARD 1 a LIMIT", "SINTERCARD 1 a foo", "SINTERCARD 1 a LIMIT 1 LIMIT 2",
        ])

    def test_mixed_encodings(self):
        self.same("SADD", "ints", *range(0, 10))
        self.same("SADD", "strs", *(["x", "y"] + [str(i) for i in range(0, 40, 3)]))
        self.same("SADD", "big", *range(0, 1020, 2))
        self.assertEqual(self.encoding("strs"), HASHTABLE)
        self.assertEqual(self.encoding("big"), INTSET)
        # The intset is the smallest set, so the intersection comes out in its order.
        self.same("SINTER", "ints", "strs", "big")
        self.same("SINTER", "big", "strs", "ints")
        self.same("SINTERCARD", "3", "ints", "strs", "big")
        self.same_set("SINTER", "strs", "big")
        self.same_set("SUNION", "ints", "strs")
        self.same_set("SUNION", "ints", "big")  # 515 integers: too many for an intset
        self.same("SUNIONSTORE", "u", "ints", "big")
        self.assertEqual(self.encoding("u"), HASHTABLE)
        self.same("SDIFF", "ints", "strs", "big")
        self.same_set("SDIFF", "strs", "ints")
        self.same("SDIFF", "big", "ints")

    def test_store_forms(self):
        self.script([
            "SADD a 1 2 3", "SADD b 2 3 4", "SADD c x y 2",
            "SINTERSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d",
            "SUNIONSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d",
            "SDIFFSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d",
            "SINTERSTORE d a c", "SMEMBERS d", "OBJECT ENCODING d",
            "SUNIONSTORE u a c", "OBJECT ENCODING u", "SCARD u",
            # Empty results delete the destination, whatever it held.
            "SET str v", "SINTERSTORE str a nokey", "EXISTS str",
            "SET str v", "SDIFFSTORE str a a", "EXISTS str",
            "SET str v", "SUNIONSTORE str nokey", "EXISTS str",
            "SINTERSTORE d a c x", "EXISTS d", "SINTERSTORE nothing nokey", "EXISTS nothing",
            # A destination of another type is replaced; a source of another type fails.
            "SET str v", "SUNIONSTORE str a", "TYPE str", "SMEMBERS str",
            "SET str v", "SUNIONSTORE d str", "SINTERSTORE d a str", "SDIFFSTORE d a str",
            # The destination may be a source.
            "SINTERSTORE a a b", "SMEMBERS a", "SUNIONSTORE a a c", "SCARD a",
            "SDIFFSTORE b b a", "EXISTS b", "SMEMBERS b",
            "SET t 1", "EXPIRE t 100", "SADD e1 1", "SUNIONSTORE t e1", "TTL t",
        ])
        self.same_set("SMEMBERS", "a")

    def test_diff_result_encoding_follows_redis_algorithm(self):
        # With many small sets to subtract, Redis copies the first set and removes the
        # others' members: the copy of a large set is a hashtable and stays one.
        self.same("SADD", "big", *range(600))
        parts = []
        for k in range(9):
            parts.append("part:%d" % k)
            self.same("SADD", parts[-1], *range(6 + 66 * k, 6 + 66 * (k + 1)))
        self.same("SDIFFSTORE", "d", "big", *parts)
        self.assertEqual(self.encoding("d"), HASHTABLE)
        self.same_set("SMEMBERS", "d")
        self.same_set("SDIFF", "big", *parts)
        # With few or large sets it probes them for each member of the first set and adds
        # only the result, which is then an intset.
        self.same("SADD", "many", *range(5, 5000))
        self.same("SDIFFSTORE", "d2", "big", "many")
        self.assertEqual(self.encoding("d2"), INTSET)
        self.same("SMEMBERS", "d2")
        self.same("SDIFF", "big", "many", "nokey")

    def test_smove(self):
        self.script(["SADD a 1 2 3", "SADD b x", "SMOVE a b 1", "SMEMBERS a"])
        self.same_set("SMEMBERS", "b")
        self.script([
            "SMOVE a b 9", "SMOVE nokey b 1", "SMOVE a fresh 2", "SMEMBERS fresh",
            "OBJECT ENCODING fresh", "SMOVE a fresh2 3", "EXISTS a", "OBJECT ENCODING fresh2",
            "SADD a 1 2", "SMOVE a a 1", "SMOVE a a 9", "SMEMBERS a",
            "SET str v", "SMOVE str a 1", "SMOVE a str 1", "SMOVE nokey str 1", "SMOVE a nokey 9",
            "SADD c 1", "SMOVE a c 1", "SMEMBERS c", "SMEMBERS a", "SMOVE b fresh3 x",
            "OBJECT ENCODING fresh3", "EXISTS b",
        ])

    def test_spop(self):
        self.script([
            "SPOP nokey", "SPOP nokey 3", "SPOP nokey 0", "SPOP nokey -1", "SPOP nokey abc",
            "SADD s 5 3 1", "SPOP s 0", "SPOP s -1", "SPOP s abc", "SPOP s 1 2",
            "SPOP s 3", "EXISTS s", "SADD s 5 3 1", "SPOP s 100", "EXISTS s",
            "SADD one 42", "SPOP one", "EXISTS one",
        ])
        # A whole-set pop replies as a union would: a hashtable that holds only integers
        # comes back sorted, as Redis rebuilds it as an intset.
        self.same("SADD", "h", *range(600))
        self.same("SREM", "h", *range(5, 600))
        self.encoding("h")
        self.same("SPOP", "h", "10")
        self.same("SADD", "m", "a", "b", "c")
        self.same_set("SPOP", "m", "3")
        self.resp3()
        self.same("SADD", "s", "3", "1", "2")
        self.same("SPOP", "s", "5")
        self.same("SPOP", "nokey", "5")

    def check_pop(self, members):
        self.t.call("DEL", "s")
        self.t.call("SADD", "s", *members)
        pool = {m.encode() for m in members}
        got = value(self.t.call("SPOP", "s", 3))
        self.assertEqual(len(got), 3)
        self.assertEqual(len(set(got)), 3)
        self.assertTrue(set(got) <= pool)
        rest = set(value(self.t.call("SMEMBERS", "s")))
        self.assertEqual(rest | set(got), pool)
        self.assertFalse(rest & set(got))
        one = value(self.t.call("SPOP", "s"))
        self.assertIn(one, rest)
        self.assertEqual(value(self.t.call("SCARD", "s")), len(pool) - 4)
        # Most of the set.
        n = len(pool) - 5
        got = value(self.t.call("SPOP", "s", n))
        self.assertEqual(len(set(got)), n)
        self.assertEqual(value(self.t.call("SCARD", "s")), 1)

    def test_spop_random(self):
        self.check_pop([str(i) for i in range(20)])
        self.check_pop(["m%d" % i for i in range(20)])
        self.check_pop([str(i) for i in range(2000)])
        self.check_pop(["m%d" % i for i in range(2000)])

    def test_srandmember(self):
        self.script([
            "SRANDMEMBER nokey", "SRANDMEMBER nokey 5", "SRANDMEMBER nokey -5",
            "SRANDMEMBER nokey abc", "SADD s 9 8 7", "SRANDMEMBER s 0", "SRANDMEMBER s abc",
            "SRANDMEMBER s -9223372036854775808", "SRANDMEMBER s 9223372036854775808",
            "SRANDMEMBER s 1 2", "SRANDMEMBER s 3", "SRANDMEMBER s 100",
        ])
        # The whole set, when asked for at least as many, comes in the set's own order.
        self.same("SADD", "h", *range(600))
        self.same("SREM", "h", *range(5, 600))
        self.same_set("SRANDMEMBER", "h", "10")
        self.resp3()
        self.same("SRANDMEMBER", "s", "5")
        self.same("SRANDMEMBER", "nokey", "5")
        self.same("SRANDMEMBER", "nokey")

    def check_random_members(self, key, pool):
        n = len(pool)
        self.assertIn(value(self.t.call("SRANDMEMBER", key)), pool)
        for count in (1, 2, n // 4, n // 2, n - 1, n, n + 3):
            got = value(self.t.call("SRANDMEMBER", key, count))
            self.assertEqual(len(got), min(count, n))
            self.assertEqual(len(set(got)), len(got))
            self.assertTrue(set(got) <= pool)
        got = value(self.t.call("SRANDMEMBER", key, -3 * n))
        self.assertEqual(len(got), 3 * n)
        self.assertTrue(set(got) <= pool)
        self.assertGreater(len(set(got)), 1)
        self.assertEqual(value(self.t.call("SCARD", key)), n)  # nothing removed

    def test_srandmember_sampling(self):
        for key, members in (("ints", [str(i) for i in range(50)]),
                             ("strs", ["m%d" % i for i in range(50)]),
                             ("big", ["m%d" % i for i in range(3000)])):
            self.t.call("SADD", key, *members)
            self.check_random_members(key, {m.encode() for m in members})

    def test_sscan(self):
        self.same("SADD", "s", 10, 1, 100, 11, 2)
        self.script([
            "SSCAN s 0", "SSCAN s 0 MATCH 1*", "SSCAN s 0 COUNT 1", "SSCAN s 55",
            "SSCAN s abc", "SSCAN s 0 COUNT 0", "SSCAN s 0 COUNT x", "SSCAN s 0 TYPE set",
            "SSCAN s 0 MATCH", "SSCAN nokey 0", "SSCAN nokey 0 COUNT x", "SSCAN nokey x",
        ])
        members = {b"member:%d" % i for i in range(1000)}
        self.same("SADD", "h", *members)
        for match, want in ((None, members),
                            ("member:9*", {m for m in members if m.startswith(b"member:9")})):
            got = set()
            cursor = b"0"
            calls = 0
            while True:
                extra = ["MATCH", match] if match else []
                cursor, items = value(self.t.call("SSCAN", "h", cursor, *extra))
                got.update(items)
                calls += 1
                if cursor == b"0":
                    break
            self.assertEqual(got, want)
            self.assertGreater(calls, 10)

    def test_resp3_shapes(self):
        self.same("SADD", "s", 3, 1, 2)
        self.same("SADD", "t", 2, 3, 4)
        self.resp3()
        self.script([
            "SMEMBERS s", "SMEMBERS nokey", "SINTER s t", "SINTER s nokey", "SUNION s t",
            "SDIFF s t", "SMISMEMBER s 1 5", "SINTERCARD 2 s t", "SSCAN s 0", "SPOP nokey",
            "SRANDMEMBER s 0",
        ])

    def test_transaction(self):
        self.script([
            "SADD a 1 2 3", "SADD b 3 4", "MULTI", "SINTERSTORE d a b", "SUNION a b",
            "SMOVE a b 1", "SDIFF a b", "SINTERCARD 2 a b", "SPOP b 10", "EXEC",
            "SMEMBERS d", "SMEMBERS a", "EXISTS b",
        ])

    def test_expiry_and_copy(self):
        self.script([
            "SADD s 1 2", "PEXPIRE s 50", "SADD s 3", "SCARD s", "SADD h a b",
            "COPY h h2", "SADD h2 c", "SCARD h", "SCARD h2", "COPY s s2", "SMEMBERS s2",
        ])
        time.sleep(0.15)
        self.script(["SMEMBERS s", "SINTER s s2", "SUNIONSTORE d s", "EXISTS d", "SCARD s"])

    def test_debug_digest(self):
        if isinstance(value(self.t.call("DEBUG", "DIGEST-VALUE", "nokey")), tuple):
            self.skipTest("DEBUG DIGEST is not available in this build")
        self.same("SADD", "ints", 1, 2, 300000)
        self.same("SADD", "strs", "a", "b", "c")
        self.same("DEBUG", "DIGEST-VALUE", "ints", "strs")
        self.same("DEBUG", "DIGEST")

    def test_concurrent_moves_keep_every_member(self):
        # Many clients move members between sets whose keys live in different shards;
        # with the locks taken in order nothing deadlocks and no member is lost.
        keys = ["set:%d" % i for i in range(8)]
        for i, k in enumerate(keys):
            self.t.call("SADD", k, *["%d" % (i * 100 + j) for j in range(50)])
        errors = []

        def worker(seed):
            conn = self.terndb.raw()
            try:
                for n in range(300):
                    src = keys[(seed + n) % len(keys)]
                    dst = keys[(seed * 3 + n * 5 + 1) % len(keys)]
                    member = value(conn.call("SRANDMEMBER", src))
                    if member is not None:
                        conn.call("SMOVE", src, dst, member)
                    conn.call("SUNIONSTORE", "scratch:%d" % seed, src, dst)
            except Exception as e:  # reported below
                errors.append(e)
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertFalse(errors)
        everything = value(self.t.call("SUNION", *keys))
        self.assertEqual(len(everything), 400)


if __name__ == "__main__":
    main()
