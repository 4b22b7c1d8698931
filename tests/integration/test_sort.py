"""SORT and SORT_RO answer as redis-server 7.0 does: numeric and ALPHA sorts, ASC/DESC,
LIMIT, BY nosort and BY patterns (hash fields through "->" included), GET # and GET
patterns, STORE, and the errors, for sorted sets and sets. Sorting lists and storing a
non-empty result need the list type; those tests run once the server has it (checked
with a probe command)."""
import shlex
import unittest

from harness import SideBySide, main


class SortBase(SideBySide):
    def same(self, *args):
        ours = super().same(*args)
        self.assertFalse(ours.startswith(b"-ERR unknown command"), "command %r" % (args,))
        return ours

    def script(self, commands):
        for cmd in commands:
            self.same(*(shlex.split(cmd) if isinstance(cmd, str) else cmd))

    def has_command(self, *probe):
        """Whether terndb knows a command (the data type behind it may be missing)."""
        reply = self.t.call(*probe)
        self.t.call("DEL", probe[1])
        return not reply.startswith(b"-ERR unknown command")

    def load_weights(self):
        self.script(["ZADD z 3 c 1 a 2 b 10 x", "MSET w_a 5 w_b 4 w_c 3 w_x 9 n_a 10 n_b 9"])


class SortSortedSets(SortBase):
    def test_numeric_and_alpha(self):
        self.script([
            "ZADD n 1 10 2 9 3 -1.5 4 1e3 5 0x10 6 ''", "SORT n", "SORT n DESC", "SORT n ALPHA",
            "SORT n ALPHA DESC", "SORT n LIMIT 1 3", "SORT n DESC LIMIT 0 2", "SORT n LIMIT -5 2",
            "SORT n LIMIT 2 -1", "SORT n LIMIT 100 5", "SORT n LIMIT 0 0", "SORT n ASC DESC ASC",
            "SORT_RO n DESC LIMIT 1 2", "SORT n alpha limit 1 1 desc",
        ])

    def test_members_that_are_not_numbers(self):
        self.script([
            "ZADD z 3 c 1 a 2 b", "SORT z", "SORT z DESC LIMIT 0 1", "SORT z ALPHA", "SORT_RO z",
            "ZADD e 1 1e400", "SORT e", "ZADD u 1 1e-400", "SORT u", "ZADD s 1 ' 5' 2 3", "SORT s",
            "ZADD t 1 '5 '", "SORT t", "ZADD nan 1 nan", "SORT nan", "ZADD i 1 inf 2 -inf 3 0", "SORT i",
        ])

    def test_by_nosort_keeps_score_order(self):
        self.script([
            "ZADD z 3 c 1 a 2 b 10 x", "SORT z BY nosort", "SORT z BY nosort DESC",
            "SORT z BY nosort LIMIT 1 2", "SORT z BY nosort DESC LIMIT 1 2", "SORT z BY nosort LIMIT 5 2",
            "SORT z BY nosort LIMIT -5 2", "SORT z BY nosort LIMIT 1 -1", "SORT z BY nosort ALPHA",
            "SORT z BY nosort GET #", "SORT_RO z BY nosort DESC",
        ])
        pairs = []
        for i in range(300):
            pairs += [str((i * 37) % 101), "m%03d" % i]
        self.same("ZADD", "big", *pairs)
        self.script(["SORT big BY nosort LIMIT 10 5", "SORT big BY nosort DESC LIMIT 290 20",
                     "SORT big BY nosort DESC LIMIT 0 3", "SORT big LIMIT 0 5", "SORT big ALPHA LIMIT 0 5"])

    def test_by_patterns(self):
        self.load_weights()
        self.script([
            "SORT z BY w_*", "SORT z BY w_* DESC", "SORT z BY w_* LIMIT 1 2", "SORT z BY w_* ALPHA",
            "SORT z BY n_*", "SORT z BY n_* DESC", "SORT z BY nosuch_*", "SORT z BY nosuch_* DESC",
            "SET w_x abc", "SORT z BY w_*", "SORT z BY w_* ALPHA", "SORT z BY w_* ALPHA DESC",
            "SORT z BY *", "SORT z BY w_*->field", "SORT z BY w_*->",
        ])

    def test_get_patterns(self):
        self.load_weights()
        self.script([
            "SORT z GET #", "SORT z GET # GET w_*", "SORT z GET w_* GET nosuch_* GET #",
            "SORT z GET nostar", "SORT z LIMIT 0 1 GET w_*", "SORT z BY nosort GET w_* GET #",
            "SORT z GET w_*->f", "SORT z GET w_*->", "SORT z GET *", "SORT z DESC GET # GET n_*",
            "SORT_RO z BY w_* GET n_*", "ZADD z 4 w_a", "SORT z BY nosort GET *",
        ])

    def test_resp3(self):
        for c in (self.t, self.r):
            c.call("HELLO", "3")
        self.load_weights()
        self.script(["SORT z GET # GET nosuch_*", "SORT z BY nosort", "SORT nokey"])

    def test_errors(self):
        self.load_weights()
        self.script([
            "SORT", "SORT z LIMIT", "SORT z LIMIT 1", "SORT z LIMIT a b", "SORT z LIMIT 0 b",
            "SORT z foo", "SORT z BY", "SORT z GET", "SORT z STORE", "SORT_RO z STORE dst",
            "SORT_RO z store", "SET s v", "SORT s", "SORT s BY nosort", "SORT_RO s", "SORT s foo",
            "SORT nokey", "SORT nokey DESC LIMIT 0 10", "SORT nokey GET #",
        ])

    def test_store_of_an_empty_result_deletes_the_destination(self):
        self.script(["SET dst v", "SORT nokey STORE dst", "EXISTS dst", "ZADD z 1 a",
                     "SET dst v", "SORT z LIMIT 5 1 STORE dst", "EXISTS dst",
                     "SORT z BY nosort LIMIT 5 1 STORE dst", "SORT nokey STORE dst"])

    def test_sort_leaves_a_sorted_set_in_skiplist_encoding(self):
        self.script([
            "ZADD a 1 x 2 y", "OBJECT ENCODING a", "SORT a ALPHA", "OBJECT ENCODING a",
            "ZADD b 1 x", "SORT_RO b BY nosort", "OBJECT ENCODING b", "ZADD c 1 x", "SORT c",
            "OBJECT ENCODING c", "ZCARD c", "ZADD c 2 y", "OBJECT ENCODING c",
        ])

    def test_options_after_store_and_repeated_options(self):
        self.load_weights()
        self.script(["SORT z LIMIT 0 1 LIMIT 1 2", "SORT z BY w_* BY nosort", "SORT z BY nosort BY w_*",
                     "SORT z DESC ALPHA ASC", "SORT z GET # GET # GET w_*"])


class SortWithOtherTypes(SortBase):
    """Sources and patterns of other types; a test is skipped while its type is missing."""

    def require(self, *probe):
        if not self.has_command(*probe):
            self.skipTest("%s is not available yet" % probe[0])

    def test_store_as_list(self):
        self.require("RPUSH", "probe:list", "x")
        self.load_weights()
        self.script([
            "SORT z STORE dst", "TYPE dst", "LRANGE dst 0 -1", "OBJECT ENCODING dst",
            "SORT z BY nosort DESC STORE dst", "LRANGE dst 0 -1", "SORT z GET # GET nosuch_* STORE dst",
            "LRANGE dst 0 -1", "SORT z BY w_* STORE dst", "LRANGE dst 0 -1", "SORT z STORE z",
            "TYPE z", "LRANGE z 0 -1", "SET s v EX 100", "ZADD q 1 a", "SORT q STORE s", "TTL s",
        ])

    def test_lists(self):
        self.require("RPUSH", "probe:list", "x")
        self.load_weights()
        self.script([
            "RPUSH l 3 1 2 10 1", "SORT l", "SORT l DESC", "SORT l ALPHA", "SORT l BY nosort",
            "SORT l BY nosort DESC LIMIT 1 2", "SORT l LIMIT 1 2", "RPUSH m c a b x", "SORT m",
            "SORT m ALPHA", "SORT m BY w_*", "SORT m BY w_* GET # GET n_*", "SORT_RO m BY nosort DESC",
        ])

    def test_sets(self):
        self.require("SADD", "probe:set", "x")
        self.load_weights()
        self.script([
            "SADD s 3 1 2 10", "SORT s", "SORT s DESC", "SORT s ALPHA", "SORT s LIMIT 1 2",
            "OBJECT ENCODING s", "SORT s BY nosort", "SORT s BY nosort DESC LIMIT 1 2",
            "SORT_RO s BY nosort GET # GET w_*",
            "SADD t c a b x", "SORT t ALPHA", "SORT t BY w_*", "SORT t BY w_* GET n_* GET #",
        ])
        if self.has_command("RPUSH", "probe:list", "x"):
            # BY nosort with STORE sorts the set alphabetically so the result is stable.
            self.script(["SORT t BY nosort STORE dst", "LRANGE dst 0 -1"])

    def test_hash_field_patterns(self):
        self.require("HSET", "probe:hash", "f", "v")
        self.load_weights()
        self.script([
            "HSET h_a f 9 g x", "HSET h_b f 1 g z", "HSET h_c f 5 g y", "SORT z BY h_*->f",
            "SORT z BY h_*->f DESC GET h_*->g GET #", "SORT z BY h_*->g ALPHA", "SORT z GET h_*->nosuch",
            "SORT z BY h_*->f GET h_*->f",
        ])


if __name__ == "__main__":
    main()
