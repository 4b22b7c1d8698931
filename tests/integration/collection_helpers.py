"""Helpers for side-by-side tests of collection types whose element order may legitimately
differ between terndb and redis-server (hashtable encodings): replies are parsed and
compared as sets or multisets, with their RESP type byte still compared exactly."""
from harness import SideBySide


def parse(data, i=0):
    """Parses one RESP2/RESP3 reply; returns (value, next index). Bulk strings stay bytes,
    aggregates become lists (maps flattened), errors become ('error', text)."""
    kind = data[i:i + 1]
    end = data.index(b"\r\n", i)
    line = data[i + 1:end]
    i = end + 2
    if kind == b"+":
        return line, i
    if kind == b"-":
        return ("error", line), i
    if kind == b":":
        return int(line), i
    if kind == b"_":
        return None, i
    if kind in (b"$", b"="):
        n = int(line)
        if n < 0:
            return None, i
        return data[i:i + n], i + n + 2
    if kind in (b"*", b"~", b"%"):
        n = int(line)
        if n < 0:
            return None, i
        if kind == b"%":
            n *= 2
        out = []
        for _ in range(n):
            value, i = parse(data, i)
            out.append(value)
        return out, i
    raise ValueError("unexpected reply %r" % data[i - 1:i + 40])


def value(data):
    v, _ = parse(data)
    return v


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


class CollectionSideBySide(SideBySide):
    def both(self, *args):
        """Sends a command to both servers; returns (ours, theirs) raw replies."""
        return self.t.call(*args), self.r.call(*args)

    def same_kind(self, *args):
        """Asserts both replies have the same RESP type byte; returns them parsed."""
        ours, theirs = self.both(*args)
        self.assertEqual(ours[:1], theirs[:1], "reply type of %r: %r vs %r" % (args, ours, theirs))
        return value(ours), value(theirs)

    def same_set(self, *args):
        """Asserts the replies hold the same elements, in any order."""
        ours, theirs = self.same_kind(*args)
        self.assertEqual(sorted(ours), sorted(theirs), "command %r" % (args,))
        self.assertEqual(len(ours), len(set(ours)))
        return ours

    def same_map(self, *args):
        """Asserts the field/value replies (flat pairs) hold the same pairs, in any order."""
        ours, theirs = self.same_kind(*args)
        self.assertEqual(len(ours), len(theirs), "command %r" % (args,))
        self.assertEqual(pairs(ours), pairs(theirs), "command %r" % (args,))
        return ours

    def encoding(self, key):
        """OBJECT ENCODING on both servers, which must agree; returns it."""
        return self.same("OBJECT", "ENCODING", key)

    def load(self, *args):
        """Runs a setup command on both servers, requiring equal replies."""
        return self.same(*args)

    def resp3(self):
        for conn in (self.t, self.r):
            conn.call("HELLO", "3")
