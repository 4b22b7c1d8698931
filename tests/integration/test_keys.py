"""Generic key commands answer exactly as redis-server 7.0 does: DEL, UNLINK, EXISTS, TYPE,
RENAME(NX), COPY, MOVE, KEYS, SCAN, RANDOMKEY, the EXPIRE family, TTL family, PERSIST, TOUCH
and OBJECT. Replies that depend on hash order or on the clock are compared as sets or by
range on both servers."""
import threading
import time

from harness import SideBySide, encode_command, main

FAR_FUTURE_S = 4102444800  # 2100-01-01, a fixed absolute expiry both servers agree on


def parse_int(reply):
    assert reply.startswith(b":"), reply
    return int(reply[1:-2])


def parse_bulk_array(reply):
    """The bulk strings of a flat RESP2 array reply."""
    assert reply.startswith(b"*"), reply
    head, rest = reply.split(b"\r\n", 1)
    out = []
    for _ in range(int(head[1:])):
        line, rest = rest.split(b"\r\n", 1)
        n = int(line[1:])
        out.append(rest[:n])
        rest = rest[n + 2:]
    return out


def parse_scan_reply(reply):
    """(cursor, keys) of a SCAN reply."""
    assert reply.startswith(b"*2\r\n$"), reply
    rest = reply[4:]
    line, rest = rest.split(b"\r\n", 1)
    n = int(line[1:])
    cursor = int(rest[:n])
    return cursor, parse_bulk_array(rest[n + 2:])


def full_scan(conn, *options, first_cursor="0"):
    """Every key a complete SCAN iteration returns (as a list, repeats kept)."""
    keys = []
    cursor, batch = parse_scan_reply(conn.call("SCAN", first_cursor, *options))
    keys += batch
    while cursor != 0:
        cursor, batch = parse_scan_reply(conn.call("SCAN", cursor, *options))
        keys += batch
    return keys


class KeyCommandsBase(SideBySide):
    def same(self, *args):
        ours = super().same(*args)
        # Both servers refusing an unknown command would "agree" without testing anything.
        self.assertFalse(ours.startswith(b"-ERR unknown command"), "command %r" % (args,))
        return ours

    def both(self, *args):
        """Sends a command to both servers without comparing; returns (terndb, redis)."""
        return self.t.call(*args), self.r.call(*args)

    def int_in_range(self, args, lo, hi):
        """Both servers reply an integer within [lo, hi]."""
        for name, reply in zip(("terndb", "redis"), self.both(*args)):
            value = parse_int(reply)
            self.assertTrue(lo <= value <= hi, "%s: %r gave %d, not in [%d, %d]"
                            % (name, args, value, lo, hi))

    def same_set(self, *args):
        """Sends a command whose array reply has no defined order; compares as sets."""
        ours, theirs = self.both(*args)
        self.assertEqual(sorted(parse_bulk_array(ours)), sorted(parse_bulk_array(theirs)),
                         "command %r" % (args,))
        return sorted(parse_bulk_array(ours))


class DeleteAndExists(KeyCommandsBase):
    def test_del_unlink_exists(self):
        self.script([
            "MSET a 1 b 2 c 3 d 4", "EXISTS a", "EXISTS a b missing a", "EXISTS missing",
            "DEL a a missing", "EXISTS a", "DEL a", "UNLINK b c missing b", "EXISTS b c",
            "EXISTS d d d", "DEL", "UNLINK", "EXISTS", "DBSIZE",
        ])

    def test_expired_keys_count_as_missing(self):
        self.script(["SET gone v PX 1", "SET stays v"])
        time.sleep(0.05)
        self.script(["EXISTS gone stays", "DEL gone stays", "DBSIZE"])

    def test_type(self):
        self.script([
            "SET s v", "TYPE s", "TYPE missing", "SET n 12", "TYPE n", "TYPE", "TYPE a b",
        ])


class Rename(KeyCommandsBase):
    def test_rename(self):
        self.script([
            "RENAME missing other", "RENAME missing missing", "SET a 1", "RENAME a b",
            "EXISTS a", "GET b", "RENAME b b", "GET b", "SET c 3", "RENAME b c", "GET c",
            "EXISTS b", "RENAME c", "RENAME c d e",
        ])

    def test_renamenx(self):
        self.script([
            "RENAMENX missing other", "RENAMENX missing missing", "SET a 1", "SET b 2",
            "RENAMENX a b", "GET a", "GET b", "RENAMENX a a", "RENAMENX a fresh", "GET fresh",
            "EXISTS a",
        ])

    def test_rename_keeps_ttl_and_clears_destination_ttl(self):
        self.script(["SET src v EX 100", "SET dst w EX 500", "RENAME src dst", "GET dst"])
        self.int_in_range(("TTL", "dst"), 98, 100)
        self.script(["SET plain v", "SET vol w EX 500", "RENAME plain vol", "TTL vol"])
        self.script(["SET x 1 EX 50", "RENAMENX x y", "EXISTS x"])
        self.int_in_range(("TTL", "y"), 48, 50)

    def test_rename_keeps_encoding(self):
        self.script([
            "SET i 123", "RENAME i i2", "OBJECT ENCODING i2", "SET r abc", "APPEND r def",
            "RENAME r r2",
            "OBJECT ENCODING r2", "GET r2",
        ])

    def test_rename_of_expired_key(self):
        self.script(["SET k v PX 1"])
        time.sleep(0.05)
        self.script(["RENAME k other", "RENAMENX k other", "EXISTS other"])


class Copy(KeyCommandsBase):
    def test_copy_errors(self):
        self.script([
            "SET k v", "COPY k k", "COPY k k DB 0", "COPY k x DB 16", "COPY k x DB -1",
            "COPY k x DB abc", "COPY k x DB 99999999999", "COPY k x FOO", "COPY k x DB",
            "COPY k x REPLACE DB", "COPY k", "COPY k x DB 16 FOO", "COPY k x FOO DB 16",
            "EXISTS x",
        ])

    def test_copy(self):
        self.script([
            "COPY missing x", "SET a hello", "COPY a b", "GET b", "SET a changed", "GET b",
            "COPY a b", "GET b", "COPY a b REPLACE", "GET b", "COPY a b replace", "COPY a a DB 1",
            "COPY a b DB 2 REPLACE", "SELECT 2", "GET b", "GET a", "SELECT 0", "COPY a b db 2",
            "SELECT 1", "GET a", "COPY a a DB 0", "SELECT 0", "DBSIZE",
        ])

    def test_copy_keeps_ttl_and_encoding(self):
        self.script([
            "SET v x EX 100", "COPY v v2", "SET i 4242", "COPY i i2", "OBJECT ENCODING i2",
            "SET e short", "COPY e e2", "OBJECT ENCODING e2", "SET r abc", "APPEND r def",
            "COPY r r2",
            "OBJECT ENCODING r2", "SET big " + "x" * 60, "COPY big big2", "OBJECT ENCODING big2",
            "GET big2", "SET plain p", "SET vol q EX 100", "COPY plain vol REPLACE", "TTL vol",
        ])
        self.int_in_range(("TTL", "v2"), 98, 100)


class Move(KeyCommandsBase):
    def test_move_errors(self):
        self.script([
            "SET k v", "MOVE k 0", "MOVE missing 0", "MOVE k 16", "MOVE k -1", "MOVE k abc",
            "MOVE k 99999999999", "MOVE k", "MOVE k 1 2", "GET k",
        ])

    def test_move(self):
        self.script([
            "MOVE missing 1", "SET k v", "MOVE k 1", "EXISTS k", "SELECT 1", "GET k",
            "MOVE k 0", "SELECT 0", "GET k", "SET k here", "SELECT 1", "SET k there",
            "MOVE k 0", "GET k", "SELECT 0", "GET k", "SET t v EX 100", "MOVE t 3", "SELECT 3",
        ])
        self.int_in_range(("TTL", "t"), 98, 100)


class KeysAndScan(KeyCommandsBase):
    KEYS = ["hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "user:1:name",
            "user:2:name", "user:1:age", "a", "ab", "]", "^", "-", "a\\", "HELLO", ""]

    def load(self):
        for conn in (self.t, self.r):
            for k in self.KEYS:
                conn.call("SET", k, "v")
            conn.call("SET", "expired", "v", "PX", "1")
        time.sleep(0.05)

    def test_keys_patterns(self):
        self.load()
        for pattern in ["*", "**", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-e]llo",
                        "h\\*llo", "h\\?llo", "user:*:name", "user:?:*", "[abc", "[\\]]", "a\\",
                        "[b-a]", "[^a-b]", "[a-]", "[]", "[^]", "a[", "*[", "\\a", "[-a]",
                        "HELLO", "nomatch*", "?", "expired", "*expired*"]:
            self.same_set("KEYS", pattern)
        self.script(["KEYS", "KEYS a b"])

    def test_keys_empty(self):
        self.script(["KEYS *", "KEYS a*"])

    def test_scan_errors(self):
        self.load()
        self.script([
            "SCAN", "SCAN abc", ["SCAN", " 1"], ["SCAN", "1 "], "SCAN 18446744073709551616",
            "SCAN 0x10", "SCAN 0 COUNT 0", "SCAN 0 COUNT -1", "SCAN 0 COUNT abc",
            "SCAN 0 COUNT", "SCAN 0 MATCH", "SCAN 0 TYPE", "SCAN 0 FOO bar",
            "SCAN 0 COUNT 10 MATCH", "SCAN 0 COUNT 9223372036854775808",
            "SCAN 0 COUNT abc MATCH", "SCAN -",
        ])

    def test_scan_empty_database(self):
        self.script(["SCAN 0", "SCAN 0 COUNT 100 MATCH * TYPE string"])

    def test_scan_filters(self):
        self.load()
        expected = sorted(parse_bulk_array(self.r.call("KEYS", "*")))
        for conn in (self.t, self.r):
            self.assertEqual(sorted(set(full_scan(conn))), expected)
            self.assertEqual(sorted(set(full_scan(conn, "COUNT", "3"))), expected)
            self.assertEqual(sorted(set(full_scan(conn, "COUNT", "1000"))), expected)
            self.assertEqual(sorted(set(full_scan(conn, "TYPE", "string"))), expected)
            self.assertEqual(sorted(set(full_scan(conn, "type", "STRING"))), expected)
            self.assertEqual(full_scan(conn, "TYPE", "list"), [])
            self.assertEqual(full_scan(conn, "TYPE", "nosuchtype"), [])
            # The cursor is read like strtoul: these all start at the beginning.
            for first in ("", "+0", "00", "-0"):
                self.assertEqual(sorted(set(full_scan(conn, first_cursor=first))), expected)
        for pattern in ["h?llo", "user:*", "h\\*llo", "[a-]", "*", "nomatch"]:
            ours = sorted(set(full_scan(self.t, "MATCH", pattern, "COUNT", "5")))
            theirs = sorted(set(full_scan(self.r, "MATCH", pattern, "COUNT", "5")))
            self.assertEqual(ours, theirs, pattern)
            self.assertEqual(ours, self.same_set("KEYS", pattern), pattern)
        combined = sorted(set(full_scan(self.t, "MATCH", "user:*", "TYPE", "string",
                                        "COUNT", "2")))
        self.assertEqual(combined, [b"user:1:age", b"user:1:name", b"user:2:name"])

    def test_scan_cursor_is_unsigned_64_bit(self):
        for conn in (self.t, self.r):
            conn.call("SET", "k", "v")
            for cursor in ("18446744073709551615", "-1", "9223372036854775808"):
                next_cursor, _ = parse_scan_reply(conn.call("SCAN", cursor))
                self.assertTrue(0 <= next_cursor < 2 ** 64)

    def test_redis_cli_scan_pattern(self):
        keys = ["user:%d" % i for i in range(300)] + ["item:%d" % i for i in range(200)]
        for conn in (self.t, self.r):
            for i in range(0, len(keys), 100):
                args = []
                for k in keys[i:i + 100]:
                    args += [k, "1"]
                conn.call("MSET", *args)
        want = {k.encode() for k in keys if k.startswith("user:")}
        for server in (self.terndb, self.redis):
            out = server.cli("--scan", "--pattern", "user:*")
            self.assertEqual(set(out.split()), want)
            out = server.cli("--scan")
            self.assertEqual(set(out.split()), {k.encode() for k in keys})


class ScanUnderChurn(KeyCommandsBase):
    """A full SCAN iteration returns every key present throughout it, even while another
    connection adds and deletes enough other keys to make every table grow and shrink."""

    STABLE = 20000
    CHURN = 150000

    def load_stable(self, conn):
        for i in range(0, self.STABLE, 1000):
            args = []
            for j in range(i, i + 1000):
                args += ["stable:%d" % j, "v"]
            conn.call("MSET", *args)

    def iterate_with_churn(self, server):
        scanner = server.raw()
        churner = server.raw()
        try:
            self.load_stable(scanner)
            added = removed = 0
            seen = set()
            cursor = 0
            while True:
                cursor, batch = parse_scan_reply(scanner.call("SCAN", cursor, "COUNT", "10"))
                seen.update(batch)
                if cursor == 0:
                    break
                # Grow to STABLE + CHURN keys, then delete the churn keys again.
                if added < self.CHURN:
                    args = []
                    for j in range(added, added + 100):
                        args += ["churn:%d" % j, "x"]
                    churner.call("MSET", *args)
                    added += 100
                elif removed < added:
                    churner.call("DEL", *["churn:%d" % j for j in range(removed, removed + 100)])
                    removed += 100
            self.assertEqual(added, self.CHURN, "the churn must happen during the iteration")
            # Deleting them all drops every table below 1/8 load: shrinks happen too.
            self.assertEqual(removed, self.CHURN, "the deletions must happen during it too")
            missing = [k for k in ("stable:%d" % i for i in range(self.STABLE))
                       if k.encode() not in seen]
            self.assertEqual(missing, [], "%d stable keys never returned" % len(missing))
        finally:
            scanner.close()
            churner.close()

    def test_scan_guarantee_terndb(self):
        self.iterate_with_churn(self.terndb)

    def test_scan_guarantee_redis(self):
        # The same test holds for the reference server (it checks the test itself).
        self.iterate_with_churn(self.redis)

    def test_scan_with_concurrent_writer_thread(self):
        """A writer on another thread hammers the keyspace during the walk."""
        self.load_stable(self.t)
        stop = threading.Event()

        def writer():
            conn = self.terndb.raw()
            i = 0
            while not stop.is_set():
                args = []
                for j in range(i, i + 200):
                    args += ["w:%d" % j, "x"]
                conn.call("MSET", *args)
                conn.call("DEL", *["w:%d" % j for j in range(i, i + 150)])
                i += 200
            conn.close()

        th = threading.Thread(target=writer)
        th.start()
        try:
            seen = set(full_scan(self.t, "MATCH", "stable:*", "COUNT", "10"))
        finally:
            stop.set()
            th.join()
        self.assertEqual(len(seen), self.STABLE)


class RandomKey(KeyCommandsBase):
    def test_randomkey(self):
        self.script(["RANDOMKEY", "SET only v", "RANDOMKEY", "RANDOMKEY extra"])
        for conn in (self.t, self.r):
            conn.call("MSET", "a", "1", "b", "2", "c", "3")
        picked = set()
        for _ in range(200):
            reply = self.t.call("RANDOMKEY")
            picked.add(reply)
        self.assertEqual(picked, {b"$1\r\na\r\n", b"$1\r\nb\r\n", b"$1\r\nc\r\n",
                                  b"$4\r\nonly\r\n"})

    def test_randomkey_skips_expired(self):
        for conn in (self.t, self.r):
            for i in range(50):
                conn.call("SET", "dead:%d" % i, "v", "PX", "1")
        time.sleep(0.05)
        self.same("RANDOMKEY")
        self.script(["SET alive v"])
        for _ in range(5):
            self.same("RANDOMKEY")


class Expire(KeyCommandsBase):
    def test_option_errors(self):
        self.script([
            "SET k v", "EXPIRE k 10 NX XX", "EXPIRE k 10 GT LT", "EXPIRE k 10 NX GT",
            "EXPIRE k 10 NX LT", "EXPIRE k 10 XX GT LT", "EXPIRE k 10 NX XX GT LT",
            "EXPIRE k 10 FOO", "EXPIRE k abc FOO", "EXPIRE k abc NX XX", "EXPIRE k abc",
            "EXPIRE k 1.5", "EXPIRE k", "PEXPIRE k 10 nx xx", "EXPIREAT k 10 bar",
            "PEXPIREAT k 10 gt lt", "TTL k",
        ])

    def test_overflow(self):
        self.script([
            "SET k v", "EXPIRE k 9223372036854775807", "EXPIRE k 9223372036854775",
            "EXPIRE k -9223372036854775808", "PEXPIRE k 9223372036854775807",
            "EXPIREAT k 9223372036854775807", "EXPIREAT k -9223372036854775808",
            "PEXPIREAT k 9223372036854775807", "EXPIRE missing 9223372036854775807",
            "EXPIRE k -9223372036854775", "EXISTS k", "SET k v",
            "PEXPIRE k -9223372036854775808", "EXISTS k", "SET k v",
            "PEXPIREAT k -9223372036854775808", "EXISTS k",
        ])

    def test_past_times_delete(self):
        self.script([
            "SET a v", "EXPIRE a 0", "EXISTS a", "SET a v", "EXPIRE a -10", "EXISTS a",
            "SET a v", "PEXPIRE a -1", "GET a", "SET a v", "EXPIREAT a 1", "EXISTS a",
            "SET a v", "PEXPIREAT a 1000", "EXISTS a", "EXPIRE missing -1", "EXPIRE missing 10",
        ])

    def test_conditions(self):
        self.script([
            "SET k v", "EXPIRE k 100 XX", "EXPIRE k 100 GT", "EXPIRE k 100 LT", "TTL k",
            "PERSIST k", "EXPIRE k 100 NX", "EXPIRE k 200 NX", "EXPIRE k 200 XX",
            "EXPIRE k 50 GT", "EXPIRE k 250 GT", "EXPIRE k 300 GT", "EXPIRE k 400 LT",
            "EXPIRE k 300 LT", "EXPIRE k 10 lt", "EXPIRE k 5 gt xx", "EXPIRE k 20 gt xx",
            "EXPIRE k -1 LT", "EXISTS k",
            "SET k v", "EXPIRE k -1 GT", "EXISTS k", "EXPIRE k -1 NX", "EXISTS k",
            "EXPIRE missing 10 NX", "EXPIRE missing 10 XX",
        ])

    def test_absolute_times_and_rounding(self):
        s = FAR_FUTURE_S
        self.script([
            "SET k v", "EXPIREAT k %d" % s, "EXPIRETIME k", "PEXPIRETIME k",
            "PEXPIREAT k %d123" % s, "EXPIRETIME k", "PEXPIRETIME k",
            "PEXPIREAT k %d500" % s, "EXPIRETIME k", "PEXPIREAT k %d499" % s, "EXPIRETIME k",
            "EXPIREAT k %d NX" % s, "EXPIREAT k %d XX" % (s + 10), "EXPIRETIME k",
            "PEXPIREAT k %d GT" % (s * 1000), "PEXPIREAT k %d LT" % (s * 1000), "PEXPIRETIME k",
            "EXPIRETIME missing", "PEXPIRETIME missing", "SET p v", "EXPIRETIME p",
            "PEXPIRETIME p", "EXPIRETIME", "PEXPIRETIME a b",
        ])

    def test_relative_times(self):
        self.script(["SET k v", "EXPIRE k 100"])
        self.int_in_range(("TTL", "k"), 99, 100)
        self.int_in_range(("PTTL", "k"), 99000, 100000)
        self.script(["PEXPIRE k 1499"])
        self.int_in_range(("TTL", "k"), 1, 1)  # rounded to the nearest second
        self.script(["PEXPIRE k 1600"])
        self.int_in_range(("TTL", "k"), 2, 2)
        self.int_in_range(("PTTL", "k"), 1500, 1600)
        now = int(time.time())
        self.script(["EXPIRE k 1000"])
        self.int_in_range(("EXPIRETIME", "k"), now + 999, now + 1002)
        self.script([
            "TTL missing", "PTTL missing", "SET p v", "TTL p", "PTTL p", "TTL", "PTTL a b",
        ])

    def test_keys_expire_on_time(self):
        self.script(["SET k v", "PEXPIRE k 100", "EXISTS k", "SET k2 v", "PEXPIRE k2 10000"])
        time.sleep(0.25)
        self.script(["EXISTS k", "TTL k", "GET k", "EXISTS k2"])

    def test_persist(self):
        self.script([
            "PERSIST missing", "SET k v", "PERSIST k", "EXPIRE k 100", "PERSIST k", "TTL k",
            "PERSIST k", "PERSIST", "PERSIST a b",
        ])

    def test_expire_keeps_value_and_encoding(self):
        self.script([
            "SET i 77", "EXPIRE i 100", "GET i", "OBJECT ENCODING i", "SET r abc", "APPEND r def",
            "EXPIRE r 100", "OBJECT ENCODING r", "PERSIST r", "GET r", "OBJECT ENCODING r",
        ])

    def test_write_clears_ttl(self):
        self.script(["SET k v EX 100", "SET k w", "TTL k"])


class TouchAndIdle(KeyCommandsBase):
    def test_touch_counts(self):
        self.script(["TOUCH missing", "MSET a 1 b 2", "TOUCH a b missing a", "TOUCH"])

    def test_idletime_and_touch(self):
        self.script(["SET k v", "SET other v", "OBJECT IDLETIME k", "OBJECT IDLETIME missing"])
        time.sleep(2.3)
        # Commands that only look at a key do not count as an access.
        self.script(["EXISTS k", "TYPE k", "TTL k", "OBJECT ENCODING k"])
        self.int_in_range(("OBJECT", "IDLETIME", "k"), 1, 3)
        self.script(["TOUCH k missing"])
        self.int_in_range(("OBJECT", "IDLETIME", "k"), 0, 1)
        self.int_in_range(("OBJECT", "IDLETIME", "other"), 1, 3)
        # Writing a new value resets the idle time.
        self.script(["SET other w"])
        self.int_in_range(("OBJECT", "IDLETIME", "other"), 0, 1)


class Object(KeyCommandsBase):
    def test_help_and_errors(self):
        self.script([
            "OBJECT HELP", "object help", "OBJECT", "OBJECT FOO k", "OBJECT ENCODING",
            "OBJECT ENCODING a b", "OBJECT HELP extra", "OBJECT REFCOUNT", "OBJECT IDLETIME",
            "OBJECT FREQ", "SET k v", "OBJECT FREQ k", "OBJECT FREQ missing",
        ])

    def test_string_encodings(self):
        self.script([
            "OBJECT ENCODING missing", "SET i 12345", "OBJECT ENCODING i", "SET neg -5",
            "OBJECT ENCODING neg", "SET e hello", "OBJECT ENCODING e",
            "SET e44 " + "x" * 44, "OBJECT ENCODING e44", "SET r45 " + "x" * 45,
            "OBJECT ENCODING r45", "SET bigint 12345678901234567890", "OBJECT ENCODING bigint",
            "SET maxint 9223372036854775807", "OBJECT ENCODING maxint", "SET lead 007",
            "OBJECT ENCODING lead", "SET plus +1", "OBJECT ENCODING plus", ["SET", "empty", ""],
            "OBJECT ENCODING empty", "SET ap x", "APPEND ap y", "OBJECT ENCODING ap", "SETRANGE sr 0 ab",
            "OBJECT ENCODING sr", "SET c 1", "INCR c", "OBJECT ENCODING c", "INCRBY c 100000",
            "OBJECT ENCODING c",
        ])

    def test_refcount(self):
        self.script([
            "OBJECT REFCOUNT missing", "SET n 5", "OBJECT REFCOUNT n", "SET n 0",
            "OBJECT REFCOUNT n", "SET n 9999", "OBJECT REFCOUNT n", "SET n 10000",
            "OBJECT REFCOUNT n", "SET n -1", "OBJECT REFCOUNT n", "SET s str",
            "OBJECT REFCOUNT s", "SET l " + "y" * 100, "OBJECT REFCOUNT l", "INCR n",
            "OBJECT REFCOUNT n",
        ])


class LfuPolicy(KeyCommandsBase):
    terndb_options = ("--maxmemory-policy", "allkeys-lfu", "--maxmemory", "100mb")
    redis_options = ("--maxmemory-policy", "allkeys-lfu", "--maxmemory", "100mb")

    def test_freq_and_idletime(self):
        self.script([
            "SET k v", "OBJECT FREQ k", "OBJECT FREQ missing", "OBJECT IDLETIME k",
            "OBJECT IDLETIME missing",
        ])

    def test_no_shared_integers(self):
        self.script(["SET n 5", "OBJECT REFCOUNT n", "OBJECT ENCODING n"])


class LruPolicy(KeyCommandsBase):
    terndb_options = ("--maxmemory-policy", "volatile-lru", "--maxmemory", "100mb")
    redis_options = ("--maxmemory-policy", "volatile-lru", "--maxmemory", "100mb")

    def test_refcount_and_freq(self):
        self.script(["SET n 5", "OBJECT REFCOUNT n", "OBJECT FREQ n", "OBJECT IDLETIME n"])


class Pipelined(KeyCommandsBase):
    def test_pipeline_of_key_commands(self):
        cmds = [["SET", "k%d" % i, str(i)] for i in range(50)]
        cmds += [["RENAME", "k%d" % i, "r%d" % i] for i in range(0, 50, 2)]
        cmds += [["EXISTS"] + ["k%d" % i for i in range(50)]]
        cmds += [["DEL"] + ["r%d" % i for i in range(0, 50, 4)]]
        cmds += [["DBSIZE"]]
        payload = b"".join(encode_command(*c) for c in cmds)
        for conn in (self.t, self.r):
            conn.send(payload)
        for c in cmds:
            self.assertEqual(self.t.read_reply(), self.r.read_reply(), c)


if __name__ == "__main__":
    main()
