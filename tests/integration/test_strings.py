"""String commands answer exactly as redis-server 7.0 does (replies and errors)."""
import time

from harness import SideBySide, main


class StringCommands(SideBySide):
    def test_get_set_basics(self):
        self.script([
            "GET missing", "SET k v", "GET k", "SET k v2 NX", "SET k v3 XX", "GET k",
            "SET new v XX", "GET new", "SET k v GET", "SET other x NX GET", "GET other",
            "SET k", "SET k v EX", "SET k v EX 0", "SET k v EX -1", "SET k v EX abc",
            "SET k v PX 100 EX 100", "SET k v NX XX", "SET k v KEEPTTL EX 10", "SET k v foo",
            "SET k v EX 9223372036854775807", "SET k v PXAT 9223372036854775807",
        ])

    def test_counters(self):
        self.script([
            "INCR c", "INCRBY c 10", "DECR c", "DECRBY c 5", "INCRBY c abc", "SET s hello",
            "INCR s", "SET big 9223372036854775807", "INCR big", "SET small -9223372036854775808",
            "DECR small", "DECRBY c -9223372036854775808", "INCRBYFLOAT f 1.5",
            "INCRBYFLOAT f 0.1", "INCRBYFLOAT f abc", "INCRBYFLOAT s 1", "SET e 1e3",
            "INCRBYFLOAT e 1", "INCRBYFLOAT e 1e400", "SET sp 0012", "INCR sp",
            
        ])

    def test_ranges_and_append(self):
        self.script([
            "APPEND a hello", "APPEND a _world", "GET a", "STRLEN a", "STRLEN nothing",
            "GETRANGE a 0 4", "GETRANGE a -5 -1", "GETRANGE a 5 2", "GETRANGE a -1 -5",
            "GETRANGE a 0 -100", "GETRANGE a 100 200", "GETRANGE nothing 0 1",
            "SETRANGE a 6 WORLD", "GET a", "SETRANGE z 3 abc", "GET z", "SETRANGE z -1 x",
            "SETRANGE a 536870912 x",
            "SET n 123", "APPEND n 4", "GET n", "INCR n",
        ])

    def test_multi_key(self):
        self.script([
            "MSET a 1 b 2 c 3", "MGET a b c d", "MSET a", "MSET a 1 b", "MSETNX a 9 x 1",
            "MGET a x", "MSETNX x 1 y 2", "MGET x y", "SETNX a 5", "SETNX fresh 5", "GET fresh",
        ])

    def test_get_variants(self):
        self.script([
            "SET k v", "GETSET k w", "GETSET missing v", "GETDEL k", "GETDEL k",
            "SET k v", "GETEX k", "GETEX k EX 100", "GETEX k PERSIST", "TTL k",
            "GETEX k PX 100000", "GETEX k FOO", "GETEX nothing EX 10",
            "GETEX k EX 0", "SETEX s 100 v", "SETEX s 0 v", "SETEX s abc v",
            "PSETEX p 100000 v", "PSETEX p -5 v",
        ])

    def test_encodings_follow_redis(self):
        self.script([
            "APPEND n1 123", "OBJECT ENCODING n1", "APPEND s1 abc", "OBJECT ENCODING s1",
            "SET e abc", "APPEND e ''", "OBJECT ENCODING e", "SET i 12", "APPEND i ''",
            "OBJECT ENCODING i", "INCRBYFLOAT f 1", "OBJECT ENCODING f", "INCR c",
            "OBJECT ENCODING c", "SETRANGE r 0 12", "OBJECT ENCODING r", "SET big " + "x" * 45,
            "OBJECT ENCODING big", "SET emb " + "x" * 44, "OBJECT ENCODING emb",
        ])
        self.same("APPEND", "z", "")
        self.same("OBJECT", "ENCODING", "z")

    def test_expiry_is_honoured(self):
        self.same("SET k v PX 50")
        time.sleep(0.15)
        self.same("GET k")


if __name__ == "__main__":
    main()
