"""A dataset holding every type in every encoding Redis 7.0 keeps and writes to RDB.

build(client) fills databases 0, 3 and 15 through redis-py (Debian's python3-redis) and
returns {(db, key): ttl_ms} for the keys given an expiry. Used by the RDB tests on both
redis-server 7.0 and terndb.
"""
import random


def build(r, seed=6):
    rnd = random.Random(seed)
    ttls = {}

    def select(db):
        r.execute_command("SELECT", db)

    select(0)
    # Strings: int (small, large, negative), embstr, raw, compressible, incompressible,
    # binary, empty, numbers that are not canonical integers.
    r.set("s:int", "12345")
    r.set("s:int64min", "-9223372036854775808")
    r.set("s:neg", "-7")
    r.set("s:embstr", "hello world")
    r.set("s:raw", "x" * 100 + "y")
    r.set("s:lzf", ("abcdefgh" * 500) + "tail")
    r.set("s:random", bytes(rnd.getrandbits(8) for _ in range(300)))
    r.set("s:binary", b"\x00\x01\xff\r\n\x00")
    r.set("s:empty", "")
    r.set("s:float", "3.14")
    r.set("s:leading0", "007")
    r.set("s:big", "9" * 30)
    # Lists: one listpack node; many nodes; big elements; integers of every width.
    r.rpush("l:small", "a", "b", "1", "-1", "300", "70000", "5000000000")
    r.rpush("l:long", *["elem-%d" % i for i in range(5000)])
    r.rpush("l:bigelems", "z" * 9000, "short", "q" * 20000)
    r.rpush("l:ints", *[str(rnd.randint(-2**63, 2**63 - 1)) for _ in range(300)])
    # Sets: intset 16/32/64-bit, hashtable of strings, intset converted by size.
    r.sadd("set:int16", 1, 2, 3, -5)
    r.sadd("set:int32", 1, 70000, -70000)
    r.sadd("set:int64", 1, 5000000000, -5000000000)
    r.sadd("set:str", *["m%d" % i for i in range(50)])
    r.sadd("set:bigint", *range(600))
    r.sadd("set:mixed", 1, 2, "three")
    # Sorted sets: listpack (odd scores), skiplist by size, skiplist by member length.
    r.zadd("z:small", {"a": 1.5, "b": -2, "c": 1e17, "d": float("inf"), "e": float("-inf"),
                       "f": 1 / 3, "g": 0, "h": 123456789})
    r.zadd("z:big", {"m%d" % i: i * 0.25 for i in range(300)})
    r.zadd("z:longmember", {"x" * 100: 1, "y": 2})
    # Hashes: listpack, hashtable by size, hashtable by value length.
    r.hset("h:small", mapping={"f1": "v1", "n": "-77", "big": "5000000000", "": "empty"})
    r.hset("h:big", mapping={"field%d" % i: str(i) for i in range(600)})
    r.hset("h:longvalue", mapping={"k": "v" * 100, "k2": "short"})
    # Expiries on several types.
    for key, ttl in (("s:int", 100000), ("l:small", 200000), ("z:big", 300000),
                     ("h:small", 400000), ("set:str", 500000)):
        r.pexpire(key, ttl)
        ttls[(0, key)] = ttl

    select(3)
    r.set("db3:key", "value in db 3")
    r.hset("db3:hash", mapping={"a": "1"})
    r.pexpire("db3:key", 600000)
    ttls[(3, "db3:key")] = 600000

    select(15)
    r.rpush("db15:list", "x", "y")
    select(0)
    return ttls


def pttls(r, ttls):
    out = {}
    for (db, key) in ttls:
        r.execute_command("SELECT", db)
        out[(db, key)] = r.pttl(key)
    r.execute_command("SELECT", 0)
    return out
