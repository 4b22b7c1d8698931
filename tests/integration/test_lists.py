"""List commands answer exactly as redis-server 7.0 does: replies, errors, argument checks in
Redis's order, WRONGTYPE, key deletion when a list empties, OBJECT ENCODING, WATCH effects and
DEBUG DIGEST, on short lists and on lists long enough to span many packed nodes."""
from harness import RedisServer, SideBySide, main


def numbered(prefix, n):
    return ["%s%d" % (prefix, i) for i in range(n)]


class ListCommands(SideBySide):
    terndb_options = ("--enable-debug-command", "yes")
    redis_options = ("--enable-debug-command", "yes")

    def digests_agree(self):
        self.same("DEBUG", "DIGEST")

    def test_push_and_length(self):
        self.script([
            "LPUSH l a", "LPUSH l b c d", "RPUSH l e f", "LRANGE l 0 -1", "LLEN l",
            "LLEN missing", "LPUSHX missing a", "RPUSHX missing a", "EXISTS missing",
            "LPUSHX l x y", "RPUSHX l z", "LRANGE l 0 -1", "LPUSH l", "RPUSH", "LPUSHX l",
            "SET s v", "LPUSH s a", "RPUSH s a", "LPUSHX s a", "RPUSHX s a", "LLEN s",
            "TYPE l", "OBJECT ENCODING l",
        ])
        self.digests_agree()
        self.same("DEBUG", "DIGEST-VALUE", "l")

    def test_pops_and_counts(self):
        self.script([
            "RPUSH l a b c d e f g", "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 2", "LPOP l 0",
            "RPOP l 0", "LPOP l -1", "RPOP l -5", "LPOP l x", "LPOP l 1.5", "LPOP l 1 2",
            "LPOP l 10", "EXISTS l", "LPOP l", "LPOP l 1", "LPOP l 0", "RPOP missing",
            "RPOP missing 3", "RPOP missing -1", "RPOP", "SET s v", "LPOP s", "LPOP s 2",
            "LPOP s 0", "LPOP s -1", "RPUSH one x", "RPOP one 5", "EXISTS one",
        ])

    def test_lrange_and_lindex(self):
        self.same("RPUSH", "l", *numbered("v", 10))
        for args in ["0 -1", "0 0", "-1 -1", "2 5", "5 2", "-100 100", "8 100", "10 20",
                     "-3 -1", "-3 -5", "0 -11", "-9223372036854775808 9223372036854775807",
                     "a 1", "1 b", "1.5 2"]:
            self.same("LRANGE", "l", *args.split())
        for i in ["0", "9", "10", "-1", "-10", "-11", "x", "9223372036854775807",
                  "-9223372036854775808"]:
            self.same("LINDEX", "l", i)
        self.script(["LRANGE missing 0 -1", "LRANGE missing x 1", "LINDEX missing 0",
                     "LINDEX missing x", "SET s v", "LRANGE s 0 1", "LINDEX s 0", "LINDEX s x",
                     "LRANGE s x 1", "LLEN s"])

    def test_lset(self):
        self.script([
            "LSET missing 0 x", "LSET missing x x", "RPUSH l a b c", "LSET l 0 A",
            "LSET l -1 C", "LSET l 3 x", "LSET l -4 x", "LSET l x y", "LSET l 1 " + "b" * 200,
            "LRANGE l 0 -1", "SET s v", "LSET s 0 x", "LSET s x x",
        ])

    def test_linsert(self):
        self.script([
            "LINSERT missing BEFORE a x", "RPUSH l a b c b", "LINSERT l BEFORE b x",
            "LINSERT l after b y", "LINSERT l AFTER c z", "LINSERT l BEFORE nope w",
            "LINSERT l MIDDLE a x", "LINSERT missing MIDDLE a x", "LRANGE l 0 -1",
            "SET s v", "LINSERT s BEFORE a x", "LINSERT s SIDEWAYS a x",
        ])

    def test_lrem(self):
        self.script([
            "RPUSH l a b a c a b a", "LREM l 2 a", "LRANGE l 0 -1", "LREM l -1 b",
            "LRANGE l 0 -1", "LREM l 0 a", "LRANGE l 0 -1", "LREM l 0 nope", "LREM l x a",
            "LREM missing 0 a", "LREM missing x a", "LREM l -9223372036854775808 c",
            "LRANGE l 0 -1", "LREM l 0 b", "EXISTS l", "SET s v", "LREM s 0 a", "LREM s x a",
        ])

    def test_ltrim(self):
        for args in ["0 -1", "1 -2", "-100 100", "2 1", "0 0", "5 10", "-1 -1"]:
            self.same("DEL", "l")
            self.same("RPUSH", "l", *numbered("v", 6))
            self.same("LTRIM", "l", *args.split())
            self.same("LRANGE", "l", "0", "-1")
            self.same("EXISTS", "l")
        self.script(["LTRIM missing 0 1", "LTRIM l x 1", "LTRIM missing x 1", "SET s v",
                      "LTRIM s 0 1", "LTRIM s x 1"])

    def test_lpos(self):
        self.script([
            "RPUSH l a b c 1 2 3 c c", "LPOS l c", "LPOS l c RANK 2", "LPOS l c RANK -1",
            "LPOS l c RANK -3", "LPOS l c RANK 4", "LPOS l c COUNT 0", "LPOS l c COUNT 2",
            "LPOS l c RANK 2 COUNT 0", "LPOS l c RANK -1 COUNT 2", "LPOS l c MAXLEN 2",
            "LPOS l c MAXLEN 3", "LPOS l c COUNT 0 MAXLEN 7", "LPOS l c RANK -1 MAXLEN 1",
            "LPOS l nope", "LPOS l nope COUNT 1", "LPOS missing a", "LPOS missing a COUNT 1",
            "LPOS missing a COUNT 0", "LPOS l c RANK 0", "LPOS l c RANK x", "LPOS l c COUNT -1",
            "LPOS l c COUNT x", "LPOS l c MAXLEN -1", "LPOS l c MAXLEN x", "LPOS l c RANK",
            "LPOS l c FOO 1", "LPOS l c COUNT", "LPOS missing a RANK 0",
            "LPOS l c RANK -9223372036854775808", "LPOS l c RANK 9223372036854775807",
            "LPOS l c rank 1 count 1 maxlen 0", "SET s v", "LPOS s a", "LPOS s a RANK 0",
            "LPOS s a COUNT 1",
        ])

    def test_lmove_and_rpoplpush(self):
        self.script([
            "RPUSH src a b c", "LMOVE src dst LEFT RIGHT", "LMOVE src dst RIGHT LEFT",
            "LRANGE src 0 -1", "LRANGE dst 0 -1", "LMOVE src src LEFT RIGHT",
            "LMOVE src dst left left", "EXISTS src", "LMOVE src dst LEFT LEFT",
            "LMOVE src dst UP LEFT", "LMOVE src dst LEFT DOWN", "LMOVE missing dst UP LEFT",
            "RPOPLPUSH dst dst", "LRANGE dst 0 -1", "RPOPLPUSH dst other", "RPOPLPUSH nope x",
            "SET s v", "RPOPLPUSH s dst", "RPOPLPUSH dst s", "LMOVE dst s LEFT LEFT",
            "LMOVE s dst LEFT LEFT", "LMOVE nope s LEFT LEFT", "LRANGE dst 0 -1",
            "RPUSH one x", "LMOVE one one LEFT LEFT", "LRANGE one 0 -1", "RPOPLPUSH one one",
        ])
        self.digests_agree()

    def test_lmpop(self):
        self.script([
            "LMPOP 1 missing LEFT", "RPUSH a 1 2 3", "RPUSH b 4 5 6", "LMPOP 2 missing a LEFT",
            "LMPOP 2 a b RIGHT COUNT 2", "LMPOP 2 a b LEFT COUNT 10", "LMPOP 2 a b LEFT",
            "EXISTS a", "LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT",
            "LMPOP 3 a b LEFT", "LMPOP 1 a MIDDLE", "LMPOP 1 a LEFT COUNT 0",
            "LMPOP 1 a LEFT COUNT -1", "LMPOP 1 a LEFT COUNT x", "LMPOP 1 a LEFT COUNT",
            "LMPOP 1 a LEFT COUNT 1 COUNT 2", "LMPOP 1 a LEFT FOO", "LMPOP 1 a",
            "SET s v", "LMPOP 2 s b LEFT", "LMPOP 2 b s LEFT", "LMPOP 2 missing s LEFT",
            "COMMAND GETKEYS LMPOP 2 a b LEFT", "COMMAND GETKEYS LMPOP 1 a LEFT COUNT 3",
        ])

    def test_blocking_forms_without_blocking(self):
        # With data present, or inside MULTI, the blocking commands answer at once.
        self.script([
            "RPUSH a 1 2 3 4 5 6 7 8 9 10", "BLPOP missing a 0", "BRPOP a 0", "BLMPOP 0 2 missing a RIGHT",
            "BLMPOP 0 1 a LEFT COUNT 5", "RPUSH src x y", "BLMOVE src dst LEFT RIGHT 0",
            "BRPOPLPUSH src dst 0", "LRANGE dst 0 -1", "BLPOP a abc", "BLPOP a -1",
            "BLPOP a inf", "BLPOP a nan", "BLPOP a 1e400", "BLMOVE a b LEFT UP 0",
            "BLMOVE a b LEFT LEFT x", "BRPOPLPUSH a b x", "BLMPOP x 1 a LEFT",
            "BLMPOP 0 0 a LEFT", "BLMPOP 0 x a LEFT", "BLMPOP 0 1 a MIDDLE",
            "BLMPOP 0 1 a LEFT COUNT 0", "BLMPOP 0 2 a LEFT", "SET s v", "BLPOP s 0",
            "BLPOP missing s 0", "BLMOVE s dst LEFT LEFT 0", "BLMOVE dst s LEFT LEFT 0",
            "BRPOPLPUSH s dst 0", "BLMPOP 0 1 s LEFT",
            "MULTI", "BLPOP nothing 0", "BRPOP nothing 10", "BLMOVE nothing dst LEFT LEFT 0",
            "BRPOPLPUSH nothing dst 0", "BLMPOP 0 1 nothing LEFT", "BLPOP nothing -1", "EXEC",
            "COMMAND GETKEYS BLMPOP 0 2 a b LEFT", "COMMAND GETKEYS BLPOP a b 0",
        ])

    def test_timeout_replies(self):
        # A short timeout answers as Redis 7.0 does for every blocked list client.
        for cmd in ["BLPOP nothing 0.05", "BRPOP nothing other 0.05",
                    "BLMOVE nothing dst LEFT LEFT 0.05", "BRPOPLPUSH nothing dst 0.05",
                    "BLMPOP 0.05 1 nothing LEFT"]:
            self.same(*cmd.split())
        for conn in (self.t, self.r):
            conn.call("HELLO", "3")
        for cmd in ["BLPOP nothing 0.05", "BLMOVE nothing dst LEFT LEFT 0.05", "MULTI",
                    "BLPOP nothing 0", "BLMOVE nothing dst LEFT LEFT 0", "EXEC",
                    "RPUSH l a b", "BLPOP l 0", "LMPOP 1 l LEFT", "LPOP l 0", "LPOP nothing 1",
                    "LPOS l a"]:
            self.same(*cmd.split())

    def test_long_lists_across_nodes(self):
        # Thousands of elements span many nodes; positional commands cross node borders.
        values = numbered("element-", 3000)
        self.same("RPUSH", "big", *values[:1500])
        self.same("LPUSH", "big", *values[1500:])
        for i in ["0", "1", "1499", "1500", "2999", "-1", "-1500", "-3000", "1234"]:
            self.same("LINDEX", "big", i)
        self.same("LRANGE", "big", "0", "-1")
        self.same("LRANGE", "big", "1400", "1700")
        self.same("LSET", "big", "1700", "x" * 5000)
        self.same("LSET", "big", "10", "")
        self.same("LINSERT", "big", "BEFORE", "element-2000", "y" * 300)
        self.same("LINSERT", "big", "AFTER", "element-10", "z")
        self.same("LPOS", "big", "element-2500")
        self.same("LPOS", "big", "element-2500", "RANK", "-1")
        self.same("LREM", "big", "0", "element-20")
        self.same("LTRIM", "big", "100", "-100")
        self.same("LLEN", "big")
        self.same("LRANGE", "big", "0", "-1")
        self.digests_agree()
        self.same("LPOP", "big", "1000")
        self.same("RPOP", "big", "1000")
        self.same("LRANGE", "big", "0", "-1")
        self.same("OBJECT", "ENCODING", "big")
        self.digests_agree()

    def test_element_sizes(self):
        sizes = [0, 1, 63, 64, 127, 128, 16383, 16384, 70000]
        self.same("RPUSH", "sizes", *["s" * n for n in sizes])
        self.same("LRANGE", "sizes", "0", "-1")
        for n in sizes:
            self.same("LPOS", "sizes", "s" * n)
        self.same("LREM", "sizes", "0", "s" * 127)
        self.same("RPOP", "sizes", "3")
        self.same("LRANGE", "sizes", "0", "-1")
        self.digests_agree()

    def test_many_duplicates_removed(self):
        self.same("RPUSH", "d", *(["x", "y", "x", "z"] * 500))
        self.same("LREM", "d", "-300", "x")
        self.same("LREM", "d", "300", "x")
        self.same("LREM", "d", "0", "y")
        self.same("LRANGE", "d", "0", "-1")
        self.same("LREM", "d", "0", "z")
        self.same("EXISTS", "d")
        self.digests_agree()

    def test_keys_commands_on_lists(self):
        self.script([
            "RPUSH l a b c", "RENAME l m", "LRANGE m 0 -1", "COPY m n", "LPUSH n z",
            "LRANGE m 0 -1", "LRANGE n 0 -1", "TYPE n", "DEL n", "EXPIRE m 100", "TTL m",
            "LPOP m", "TTL m", "RPUSH m x", "TTL m",
        ])
        self.digests_agree()

    def test_watch_sees_only_real_changes(self):
        # LREM and LINSERT that change nothing leave a WATCH intact; LTRIM always touches.
        cases = [("LREM l 0 nope", True), ("LINSERT l BEFORE nope x", True),
                 ("LREM l 1 a", False), ("LTRIM l 0 -1", False), ("LSET l 0 a", False),
                 ("RPUSHX missing a", True), ("LPOP missing", True)]
        for cmd, _ in cases:
            results = []
            for server, conn in ((self.terndb, self.t), (self.redis, self.r)):
                conn.call("DEL", "l")
                conn.call("RPUSH", "l", "a", "b")
                conn.call("WATCH", "l", "missing")
                other = server.raw()
                other.call(*cmd.split())
                other.close()
                conn.call("MULTI")
                conn.call("PING")
                results.append(conn.call("EXEC"))
            self.assertEqual(results[0], results[1], cmd)


class ListNodeSizes(SideBySide):
    """Other list-max-listpack-size settings change only the internal layout."""
    terndb_options = ("--enable-debug-command", "yes", "--list-max-listpack-size", "3")
    redis_options = ("--enable-debug-command", "yes", "--list-max-listpack-size", "3")

    def test_small_count_nodes(self):
        self.same("RPUSH", "l", *numbered("v", 50))
        self.script(["LINSERT l AFTER v10 new", "LSET l 25 changed", "LREM l 0 v3",
                     "LTRIM l 2 -3", "LINDEX l 20", "LRANGE l 0 -1", "LPOS l v40",
                     "CONFIG SET list-max-listpack-size -1", "RPUSH l " + "x" * 5000,
                     "LRANGE l -3 -1", "OBJECT ENCODING l"])
        self.same("DEBUG", "DIGEST")


if __name__ == "__main__":
    main()
