"""COMMAND and its subcommands describe terndb's command table as redis-server 7.0 describes
its own: every command terndb implements must have Redis's arity, flags and key positions,
errors and deterministic replies are byte-identical, and redis-cli's interactive start-up
(which reads COMMAND DOCS) runs without complaint."""
import os
import pty
import select
import time
import unittest

from harness import RedisServer, SideBySide, Terndb, main

# Commands whose arity, flags or key positions intentionally differ from Redis's:
# name -> reason.
INTENDED_DIFFERENCES = {
    # KeyDB's REPLICAOF REMOVE host port (active replicas); a plain server still answers
    # Redis's arity error (test_active_links.py compares it with redis-server).
    "replicaof": "arity -3, as KeyDB's",
    "slaveof": "arity -3, as KeyDB's",
}
# KeyDB's commands, which redis-server does not have.
KEYDB_ONLY = {"rreplay"}
# Intended differences in the other COMMAND INFO fields, for all commands:
# - tips (element 8) are always empty: the table has no request/response policy hints, so
#   byte-for-byte comparisons below use commands that have none in Redis either;
# - key specs are one range spec derived from first/last/step, with access flags derived
#   from the write/readonly flag (RW update / RO access) rather than per-key flags;
# - ACL categories are derived from flags and group; only the flag-implied ones and the
#   group's own category are required to agree (see test_acl_categories).

# ACL categories that follow from a command's flags alone (Redis's implicit categories).
FLAG_CATEGORIES = {"@read", "@write", "@admin", "@fast", "@slow", "@blocking"}
GROUP_CATEGORIES = {
    "generic": "@keyspace", "string": "@string", "list": "@list", "set": "@set",
    "sorted-set": "@sortedset", "hash": "@hash", "pubsub": "@pubsub",
    "transactions": "@transaction", "connection": "@connection", "scripting": "@scripting",
    "hyperloglog": "@hyperloglog", "geo": "@geo", "stream": "@stream", "bitmap": "@bitmap",
}


def parse_resp(data, i=0):
    """Parses one RESP2/RESP3 value from bytes; returns (value, next index). Maps become
    lists of pairs flattened, as in RESP2, so both protocols parse alike."""
    kind = data[i:i + 1]
    end = data.index(b"\r\n", i)
    line = data[i + 1:end]
    i = end + 2
    if kind in (b"+", b"-"):
        return line.decode(), i
    if kind == b":":
        return int(line), i
    if kind == b"_":
        return None, i
    if kind in (b"$", b"="):
        n = int(line)
        if n < 0:
            return None, i
        return data[i:i + n].decode(), i + n + 2
    if kind in (b"*", b"~", b"%"):
        n = int(line)
        if n < 0:
            return None, i
        if kind == b"%":
            n *= 2
        out = []
        for _ in range(n):
            value, i = parse_resp(data, i)
            out.append(value)
        return out, i
    raise ValueError("unexpected reply %r" % data[i - 1:i + 40])


def call(conn, *args):
    value, _ = parse_resp(conn.call(*args))
    return value


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


def info_by_name(entries):
    """COMMAND INFO entries (with their subcommands) keyed by full name."""
    out = {}
    for e in entries:
        if e is None:
            continue
        out[e[0]] = e
        out.update(info_by_name(e[9]))
    return out


def docs_by_name(flat_map):
    out = {}
    for name, doc in pairs(flat_map).items():
        doc = pairs(doc)
        out[name] = doc
        if "subcommands" in doc:
            out.update(docs_by_name(doc["subcommands"]))
    return out


class CommandTable(SideBySide):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t, r = cls.terndb.raw(), cls.redis.raw()
        cls.ours = info_by_name(call(t, "COMMAND"))
        cls.theirs = info_by_name(call(r, "COMMAND"))
        cls.our_docs = docs_by_name(call(t, "COMMAND", "DOCS"))
        cls.their_docs = docs_by_name(call(r, "COMMAND", "DOCS"))
        t.close()
        r.close()

    def test_count(self):
        count = call(self.t, "COMMAND", "COUNT")
        self.assertGreater(count, 0)
        self.assertEqual(count, len(call(self.t, "COMMAND")))
        self.assertEqual(count, len(call(self.t, "COMMAND", "INFO")))
        self.assertEqual(count, len([n for n in self.ours if "|" not in n]))

    def test_info_matches_redis_for_every_command(self):
        self.assertIn("client|list", self.ours)
        self.assertIn("command|docs", self.ours)
        for name, ours in sorted(self.ours.items()):
            if name in INTENDED_DIFFERENCES or name in KEYDB_ONLY:
                continue
            with self.subTest(command=name):
                self.assertIn(name, self.theirs, "redis-server has no %r" % name)
                theirs = self.theirs[name]
                self.assertEqual(ours[1], theirs[1], "arity")
                self.assertEqual(set(ours[2]), set(theirs[2]), "flags")
                self.assertEqual(len(ours[2]), len(set(ours[2])), "duplicate flags")
                self.assertEqual(ours[3:6], theirs[3:6], "first/last/step")
                # Subcommands: the same container shape; each one is checked on its own.
                self.assertEqual(bool(ours[9]), bool(theirs[9]), "container")
                self.assertTrue({s[0] for s in ours[9]} <= {s[0] for s in theirs[9]})

    def test_flag_order_is_redis_order(self):
        # Where the flag sets agree, Redis's listing order is kept too.
        for name, ours in self.ours.items():
            theirs = self.theirs.get(name)
            if theirs and set(ours[2]) == set(theirs[2]):
                self.assertEqual(ours[2], theirs[2], name)

    def test_acl_categories(self):
        for name, ours in sorted(self.ours.items()):
            theirs = self.theirs.get(name)
            if theirs is None:
                continue
            with self.subTest(command=name):
                cats, their_cats = set(ours[6]), set(theirs[6])
                self.assertEqual(cats & FLAG_CATEGORIES, their_cats & FLAG_CATEGORIES)
                if "@admin" in their_cats:
                    self.assertIn("@dangerous", cats)
                group_cat = GROUP_CATEGORIES.get(self.their_docs[name]["group"])
                if group_cat in their_cats:
                    self.assertIn(group_cat, cats)
                # Listed in Redis's category order.
                order = [c for c in theirs[6] if c in cats]
                self.assertEqual([c for c in ours[6] if c in their_cats], order)

    def test_key_specs_match_simple_redis_specs(self):
        checked = 0
        for name, ours in self.ours.items():
            theirs = self.theirs.get(name)
            if not theirs or len(theirs[8]) != 1:
                continue
            their_spec, = [pairs(s) for s in theirs[8]]
            if pairs(their_spec["find_keys"])["type"] != "range":
                continue
            self.assertEqual(len(ours[8]), 1, name)
            our_spec = pairs(ours[8][0])
            for part in ("begin_search", "find_keys"):
                self.assertEqual(pairs(our_spec[part])["type"], pairs(their_spec[part])["type"])
                self.assertEqual(pairs(pairs(our_spec[part])["spec"]),
                                 pairs(pairs(their_spec[part])["spec"]), (name, part))
            checked += 1
        self.assertGreater(checked, 0)
        # Commands without keys have no key specs.
        self.assertEqual(self.ours["ping"][8], [])

    def test_info_side_by_side(self):
        for args in [("COMMAND", "INFO", "nosuch"), ("COMMAND", "INFO", "get|x"),
                     ("COMMAND", "INFO", "client|nosuch"), ("COMMAND", "INFO", "client|list|x"),
                     ("COMMAND", "INFO", "echo"), ("COMMAND", "INFO", "ECHO", "nosuch"),
                     ("COMMAND", "INFO", "client|id"), ("COMMAND", "INFO", "CLIENT|GETNAME")]:
            self.same(*args)
        for conn in (self.t, self.r):
            conn.call("HELLO", "3")
        self.same("COMMAND", "INFO", "nosuch", "client|setname")
        self.same("COMMAND", "DOCS", "nosuch")

    def test_getkeys_side_by_side(self):
        self.script([
            "COMMAND GETKEYS SET k v", "COMMAND GETKEYS set k v EX 10 GET",
            "COMMAND GETKEYS GET k", "COMMAND GETKEYS MSET a 1 b 2 c 3",
            "COMMAND GETKEYS MSET a 1 b", "COMMAND GETKEYS mget a b c",
            "COMMAND GETKEYS", "COMMAND GETKEYS get", "COMMAND GETKEYS nosuch a b",
            "COMMAND GETKEYS get a b", "COMMAND GETKEYS set k", "COMMAND GETKEYS echo a",
            "COMMAND GETKEYS ping a b c", "COMMAND GETKEYS client list",
            "COMMAND GETKEYS client nosuch", "COMMAND GETKEYS command info",
            "COMMAND GETKEYSANDFLAGS get", "COMMAND GETKEYSANDFLAGS nosuch a",
            "COMMAND GETKEYSANDFLAGS echo a", "COMMAND GETKEYSANDFLAGS get a b",
        ])
        # Flags are derived from the command's read/write flag; keys are exact.
        for args, keys in [(("GET", "k"), ["k"]), (("MSET", "a", "1", "b", "2"), ["a", "b"])]:
            ours = call(self.t, "COMMAND", "GETKEYSANDFLAGS", *args)
            theirs = call(self.r, "COMMAND", "GETKEYSANDFLAGS", *args)
            self.assertEqual([k for k, _ in ours], keys)
            self.assertEqual([k for k, _ in theirs], keys)
        self.assertEqual(call(self.t, "COMMAND", "GETKEYSANDFLAGS", "GET", "k"),
                         [["k", ["RO", "access"]]])

    def test_errors_and_help_side_by_side(self):
        self.script([
            "COMMAND nosuch", "COMMAND COUNT x", "COMMAND HELP x", "COMMAND LIST x",
            "COMMAND LIST FILTERBY", "COMMAND LIST FILTERBY foo x", "COMMAND LIST FILTERBY x y z",
            "COMMAND LIST FILTERBY aclcat", "COMMAND LIST FILTERBY aclcat nosuch",
            "COMMAND LIST FILTERBY aclcat @read", "COMMAND LIST FILTERBY module x",
            "COMMAND LIST FILTERBY pattern nosuch*", "COMMAND LIST FILTERBY pattern get",
            "COMMAND LIST FILTERBY PATTERN CLIENT|ID", "COMMAND DOCS nosuch",
            "COMMAND INFO nosuch", "COMMAND HELP", "command help",
        ])

    def test_list(self):
        names = call(self.t, "COMMAND", "LIST")
        self.assertEqual(sorted(names), sorted(self.ours))
        self.assertEqual(len(names), len(set(names)))
        # Filters select the same commands as Redis among those terndb has.
        for args in [("ACLCAT", "read"), ("ACLCAT", "WRITE"), ("aclcat", "admin"),
                     ("aclcat", "fast"), ("aclcat", "slow"), ("ACLCAT", "connection"),
                     ("aclcat", "string"), ("PATTERN", "client|*"), ("pattern", "*GET*"),
                     ("pattern", "c?ient")]:
            with self.subTest(filter=args):
                ours = set(call(self.t, "COMMAND", "LIST", "FILTERBY", *args)) - KEYDB_ONLY
                theirs = set(call(self.r, "COMMAND", "LIST", "FILTERBY", *args))
                self.assertTrue(ours, args)
                self.assertEqual(ours, theirs & set(self.ours))

    def test_docs(self):
        self.assertEqual(set(self.our_docs), set(self.ours))
        for name, doc in sorted(self.our_docs.items()):
            with self.subTest(command=name):
                for field in ("summary", "since", "group"):
                    self.assertIsInstance(doc.get(field), str, field)
                    self.assertTrue(doc[field], field)
                if name in KEYDB_ONLY:
                    continue
                self.assertEqual(doc["group"], self.their_docs[name]["group"])
                self.assertEqual(doc["since"], self.their_docs[name]["since"])
                self.assertEqual(list(doc)[:3], ["summary", "since", "group"])
                for arg in doc.get("arguments", []):
                    arg = pairs(arg)
                    self.assertTrue(arg["name"])
                    self.assertIn(arg["type"], ("string", "integer", "double", "key", "pattern",
                                                "unix-time", "pure-token", "oneof", "block"))
        # Containers nest their subcommands' docs.
        client = pairs(call(self.t, "COMMAND", "DOCS", "client"))
        self.assertEqual(list(client), ["client"])
        subs = pairs(pairs(client["client"])["subcommands"])
        self.assertIn("client|list", subs)
        self.assertEqual(pairs(subs["client|list"])["group"], "connection")
        # Named lookups: unknown names are left out, subcommands found by full name.
        found = pairs(call(self.t, "COMMAND", "DOCS", "GET", "nosuch", "client|kill"))
        self.assertEqual(list(found), ["get", "client|kill"])


def run_redis_cli_session(port, lines, timeout=20.0):
    """Drives an interactive redis-cli (on a pseudo-terminal, TERM=dumb so it reads plain
    lines): waits for each prompt before typing the next line, then quits. Returns all it
    printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "dumb"
        os.execvp("redis-cli", ["redis-cli", "-p", str(port)])
    prompt = b"127.0.0.1:%d> " % port
    output = b""
    deadline = time.time() + timeout

    def read_until(done):
        nonlocal output
        while not done() and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the terminal closed: redis-cli exited
                    return
                if not chunk:
                    return
                output += chunk

    try:
        for i, line in enumerate(lines + ["quit"]):
            read_until(lambda: output.count(prompt) > i)
            os.write(fd, line.encode() + b"\n")
        read_until(lambda: False)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return output.decode(errors="replace")


class RedisCliSession(unittest.TestCase):
    def test_interactive_session_uses_command_docs_cleanly(self):
        server = Terndb()
        self.addCleanup(server.stop)
        out = run_redis_cli_session(server.port, [
            "set greeting hello", "get greeting", "client setname cli", "client getname",
            "command count", "help set", "help client kill",
        ])
        self.assertIn('"hello"', out)
        self.assertIn('"cli"', out)
        self.assertIn("(integer) ", out)
        # `help` is answered from COMMAND DOCS: summary, since and group of the command.
        self.assertIn("Sets the string value of a key", out)
        self.assertIn("since:", out)
        self.assertIn("group:", out)
        self.assertIn("Terminates open connections", out)
        self.assertNotIn("ERR", out)
        self.assertNotIn("rror", out)


if __name__ == "__main__":
    main()
