"""CLIENT commands against redis-server 7.0: byte-identical where the answer is deterministic
(errors, names, reply modes), and by parsed shape where it carries live figures (LIST/INFO
fields, ids, KILL outcomes and counts), with every shape check run on both servers."""
import socket
import time
import unittest

from harness import RawConnection, RedisServer, SideBySide, Terndb, encode_command, main


class ClientSideBySide(SideBySide):
    def test_errors_and_arity(self):
        self.script([
            "CLIENT", "CLIENT nosuch", "CLIENT ID x", "CLIENT GETNAME x", "CLIENT INFO x",
            "CLIENT HELP x", "CLIENT SETNAME", "CLIENT SETNAME a b", "CLIENT REPLY",
            "CLIENT REPLY on x", "CLIENT REPLY foo", "CLIENT NO-EVICT", "CLIENT NO-EVICT maybe",
            "CLIENT NO-EVICT on", "CLIENT NO-EVICT OFF", "CLIENT KILL",
        ])

    def test_help(self):
        self.same("CLIENT", "HELP")
        self.same("client", "help")

    def test_names(self):
        self.script(["CLIENT GETNAME", "CLIENT SETNAME worker-1", "CLIENT GETNAME"])
        self.same("CLIENT", "SETNAME", "has space")
        self.same("CLIENT", "SETNAME", "new\nline")
        self.same("CLIENT", "SETNAME", "tab\there")
        self.same("CLIENT", "SETNAME", "caf\xc3\xa9")
        self.same("CLIENT", "GETNAME")
        # An empty name clears it.
        self.same("CLIENT", "SETNAME", "")
        self.same("CLIENT", "GETNAME")

    def test_names_resp3(self):
        for conn in (self.t, self.r):  # HELLO's reply carries the connection id
            conn.call("HELLO", "3", "SETNAME", "x")
        self.same("CLIENT", "GETNAME")
        self.same("CLIENT", "SETNAME", "")
        self.same("CLIENT", "GETNAME")

    def test_list_errors(self):
        self.script([
            "CLIENT LIST TYPE", "CLIENT LIST TYPE foo", "CLIENT LIST ID", "CLIENT LIST ID abc",
            "CLIENT LIST ID 1.5", "CLIENT LIST ID 99999 abc", "CLIENT LIST foo",
            "CLIENT LIST TYPE normal x", "CLIENT LIST TYPE normal ID 1",
            "CLIENT LIST ID 1 TYPE normal", "CLIENT LIST ID 99999", "CLIENT LIST ID -5",
            "CLIENT LIST TYPE master", "CLIENT LIST TYPE replica", "CLIENT LIST TYPE SLAVE",
            "CLIENT LIST TYPE pubsub",
        ])

    def test_kill_errors(self):
        self.script([
            "CLIENT KILL 1.2.3.4:5", "CLIENT KILL foo", "CLIENT KILL ID", "CLIENT KILL ADDR",
            "CLIENT KILL ID abc", "CLIENT KILL ID 0", "CLIENT KILL ID -1", "CLIENT KILL ID 99999",
            "CLIENT KILL TYPE foo", "CLIENT KILL TYPE pubsub", "CLIENT KILL TYPE master",
            "CLIENT KILL TYPE slave", "CLIENT KILL TYPE replica", "CLIENT KILL SKIPME maybe",
            "CLIENT KILL USER nosuch", "CLIENT KILL ADDR 1.2.3.4:5", "CLIENT KILL LADDR 1.2.3.4:5",
            "CLIENT KILL addr x laddr y", "CLIENT KILL FOO bar", "CLIENT KILL ID 1 ID",
            "CLIENT KILL ID 1 SKIPME", "CLIENT KILL a b c", "CLIENT KILL id 99999 skipme NO",
            "CLIENT KILL FOO bar ID abc", "CLIENT KILL ID abc FOO bar",
            # MAXAGE arrived after Redis 7.0.
            "CLIENT KILL MAXAGE 10",
        ])

    def reply_sequence(self, commands):
        """Pipelines `commands` then CLIENT REPLY ON + ECHO end-marker on a fresh connection of
        each server and returns everything both sent back, which must be equal."""
        outputs = []
        for server in (self.terndb, self.redis):
            conn = server.raw()
            try:
                cmds = [c.split() for c in commands] + [["CLIENT", "REPLY", "ON"],
                                                       ["ECHO", "end-marker"]]
                conn.send(b"".join(encode_command(*c) for c in cmds))
                data = b""
                while not data.endswith(b"$10\r\nend-marker\r\n"):
                    conn._fill()
                    data, conn.buf = data + conn.buf, b""
                outputs.append(data)
            finally:
                conn.close()
        self.assertEqual(outputs[0], outputs[1], "sequence %r" % (commands,))
        return outputs[0]

    def test_reply_modes(self):
        out = self.reply_sequence(["CLIENT REPLY OFF", "PING", "SET k v", "GET k"])
        self.assertEqual(out, b"+OK\r\n$10\r\nend-marker\r\n")
        out = self.reply_sequence(["CLIENT REPLY SKIP", "PING", "ECHO seen"])
        self.assertEqual(out, b"$4\r\nseen\r\n+OK\r\n$10\r\nend-marker\r\n")
        for seq in [
            ["CLIENT REPLY SKIP", "CLIENT REPLY ON", "PING"],
            ["CLIENT REPLY SKIP", "CLIENT REPLY SKIP", "PING", "PING"],
            ["CLIENT REPLY SKIP", "CLIENT REPLY OFF", "PING"],
            ["CLIENT REPLY OFF", "CLIENT REPLY SKIP", "PING", "CLIENT REPLY ON", "PING"],
            ["CLIENT REPLY OFF", "CLIENT REPLY foo", "NOSUCH", "GET"],
            ["CLIENT REPLY SKIP", "CLIENT REPLY foo", "PING"],
            ["CLIENT REPLY SKIP", "NOSUCH", "PING"],
            ["CLIENT REPLY SKIP", "CLIENT", "PING"],
            ["CLIENT REPLY OFF", "CLIENT REPLY OFF", "CLIENT REPLY ON", "PING"],
            ["CLIENT REPLY SKIP", "RESET", "PING"],
            ["CLIENT REPLY OFF", "RESET", "PING"],
            ["CLIENT REPLY OFF", "CLIENT REPLY SKIP", "RESET", "PING"],
        ]:
            self.reply_sequence(seq)


def client_line_fields(line):
    """'a=1 b=2' -> [('a', '1'), ('b', '2')]; values never contain spaces."""
    return [tuple(item.split("=", 1)) for item in line.split(" ")]


def bulk_text(reply):
    """The payload of a RESP2 bulk reply as text."""
    assert reply.startswith(b"$"), reply
    header, body = reply.split(b"\r\n", 1)
    return body[:int(header[1:])].decode()


def client_lines(conn, *args):
    text = bulk_text(conn.call("CLIENT", "LIST", *args))
    assert text == "" or text.endswith("\n"), text
    return [dict(client_line_fields(l)) for l in text.splitlines()]


def wait_for_client_count(conn, n, timeout=5.0):
    """Waits until CLIENT LIST shows exactly n connections (closes are asynchronous)."""
    deadline = time.time() + timeout
    while True:
        lines = client_lines(conn)
        if len(lines) == n or time.time() > deadline:
            return lines
        time.sleep(0.02)


class ClientShapes(unittest.TestCase):
    """Checks that carry live values, each made against both servers."""

    @classmethod
    def setUpClass(cls):
        cls.servers = {"terndb": Terndb(threads=2), "redis": RedisServer()}

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers.values():
            s.stop()

    def each_server(self):
        for name, server in self.servers.items():
            with self.subTest(server=name):
                yield server

    def connect(self, server):
        conn = server.raw()
        self.addCleanup(conn.close)
        return conn

    def client_id(self, conn):
        reply = conn.call("CLIENT", "ID")
        self.assertTrue(reply.startswith(b":"), reply)
        return int(reply[1:-2])

    def test_list_fields_match_redis(self):
        field_names = {}
        for name, server in self.servers.items():
            conn = self.connect(server)
            conn.call("CLIENT", "SETNAME", "lister")
            mine = [l for l in client_lines(conn) if l["name"] == "lister"]
            self.assertEqual(len(mine), 1)
            line = bulk_text(conn.call("CLIENT", "INFO"))
            self.assertTrue(line.endswith("\n"))
            fields = client_line_fields(line.rstrip("\n"))
            field_names[name] = [k for k, _ in fields]
            info = dict(fields)
            self.assertEqual(info["name"], "lister")
            self.assertEqual(info["cmd"], "client|info")
            self.assertEqual(mine[0]["cmd"], "client|list")
            self.assertEqual(int(info["id"]), self.client_id(conn))
            self.assertEqual(info["flags"], "N")
            self.assertEqual(info["db"], "0")
            self.assertEqual(info["multi"], "-1")
            self.assertEqual(info["user"], "default")
            self.assertEqual(info["resp"], "2")
            self.assertEqual(info["laddr"], "127.0.0.1:%d" % server.port)
            self.assertEqual(info["addr"], "127.0.0.1:%d" % conn.sock.getsockname()[1])
            for numeric in ("fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem", "obl", "oll",
                            "omem", "tot-mem", "sub", "psub", "ssub"):
                self.assertGreaterEqual(int(info[numeric]), 0, numeric)
            conn.call("SELECT", "3")
            conn.call("CLIENT", "NO-EVICT", "on")
            info = dict(client_line_fields(bulk_text(conn.call("CLIENT", "INFO")).rstrip("\n")))
            self.assertEqual((info["db"], info["flags"]), ("3", "e"))
        self.assertEqual(field_names["terndb"], field_names["redis"])
        self.assertEqual(field_names["terndb"][-4:], ["cmd", "user", "redir", "resp"])

    def test_info_resp3_is_verbatim(self):
        for server in self.each_server():
            conn = self.connect(server)
            conn.call("HELLO", "3")
            reply = conn.call("CLIENT", "INFO")
            self.assertTrue(reply.startswith(b"="), reply)
            self.assertIn(b"\r\ntxt:id=", reply)
            self.assertIn(b" resp=3\n\r\n", reply)

    def test_ids_increase_and_list_filters(self):
        for server in self.each_server():
            conns = [self.connect(server) for _ in range(3)]
            ids = [self.client_id(c) for c in conns]
            self.assertEqual(ids, sorted(ids))
            self.assertEqual(len(set(ids)), 3)
            listed = [int(l["id"]) for l in client_lines(conns[0])]
            self.assertEqual(listed, sorted(listed))
            self.assertTrue(set(ids) <= set(listed))
            # ID filter: in the order asked for, unknown ids skipped.
            picked = client_lines(conns[0], "ID", ids[2], 99999999, ids[0])
            self.assertEqual([int(l["id"]) for l in picked], [ids[2], ids[0]])
            normal = [int(l["id"]) for l in client_lines(conns[0], "TYPE", "normal")]
            self.assertEqual(normal, listed)
            self.assertEqual(client_lines(conns[0], "TYPE", "pubsub"), [])

    def test_fresh_connection_has_no_command(self):
        for server in self.each_server():
            watcher = self.connect(server)
            watcher_id = self.client_id(watcher)
            fresh = socket.create_connection(("127.0.0.1", server.port))
            self.addCleanup(fresh.close)
            deadline = time.time() + 5
            while True:
                newer = [l for l in client_lines(watcher) if int(l["id"]) > watcher_id]
                if newer or time.time() > deadline:
                    break
                time.sleep(0.02)
            self.assertEqual(len(newer), 1)
            self.assertEqual(newer[0]["cmd"], "NULL")

    def test_last_command_of_another_connection(self):
        for server in self.each_server():
            watcher, other = self.connect(server), self.connect(server)
            other_id = self.client_id(other)
            for sent, shown in [(("GET",), "get"), (("NOSUCH",), "NULL"), (("PING",), "ping"),
                                (("CLIENT", "NOSUCH"), "NULL"), (("CLIENT",), "client"),
                                (("CLIENT", "GETNAME"), "client|getname")]:
                other.call(*sent)
                line = client_lines(watcher, "ID", other_id)[0]
                self.assertEqual(line["cmd"], shown, sent)

    def test_kill_by_id(self):
        for server in self.each_server():
            killer, victim = self.connect(server), self.connect(server)
            self.assertEqual(killer.call("CLIENT", "KILL", "ID", self.client_id(victim)),
                             b":1\r\n")
            self.assertTrue(victim.closed_by_peer())
            self.assertEqual(killer.call("PING"), b"+PONG\r\n")

    def test_kill_by_addr_new_and_old_form(self):
        for server in self.each_server():
            killer = self.connect(server)
            victim = self.connect(server)
            addr = "127.0.0.1:%d" % victim.sock.getsockname()[1]
            victim.call("PING")  # registered before the kill
            self.assertEqual(killer.call("CLIENT", "KILL", "ADDR", addr), b":1\r\n")
            self.assertTrue(victim.closed_by_peer())
            victim = self.connect(server)
            addr = "127.0.0.1:%d" % victim.sock.getsockname()[1]
            victim.call("PING")  # registered before the kill
            self.assertEqual(killer.call("CLIENT", "KILL", addr), b"+OK\r\n")
            self.assertTrue(victim.closed_by_peer())
            self.assertEqual(killer.call("CLIENT", "KILL", "127.0.0.1:1"),
                             b"-ERR No such client\r\n")

    def test_kill_by_laddr_and_user_counts(self):
        for server in self.each_server():
            killer = self.connect(server)
            wait_for_client_count(killer, 1)
            victims = [self.connect(server) for _ in range(3)]
            for v in victims:
                v.call("PING")
            laddr = "127.0.0.1:%d" % server.port
            self.assertEqual(killer.call("CLIENT", "KILL", "LADDR", laddr, "USER", "default"),
                             b":3\r\n")
            for v in victims:
                self.assertTrue(v.closed_by_peer())
            self.assertEqual(killer.call("PING"), b"+PONG\r\n")

    def test_kill_type_normal_counts_and_skips_caller(self):
        for server in self.each_server():
            killer = self.connect(server)
            wait_for_client_count(killer, 1)
            victims = [self.connect(server) for _ in range(2)]
            for v in victims:
                v.call("PING")
            self.assertEqual(killer.call("CLIENT", "KILL", "TYPE", "normal"), b":2\r\n")
            for v in victims:
                self.assertTrue(v.closed_by_peer())
            self.assertEqual(len(wait_for_client_count(killer, 1)), 1)
            self.assertEqual(killer.call("CLIENT", "KILL", "TYPE", "normal"), b":0\r\n")

    def test_kill_self(self):
        for server in self.each_server():
            # SKIPME yes (the default) spares the caller even when every filter matches it.
            conn = self.connect(server)
            me = str(self.client_id(conn))
            self.assertEqual(conn.call("CLIENT", "KILL", "ID", me), b":0\r\n")
            self.assertEqual(conn.call("CLIENT", "KILL", "ID", me, "SKIPME", "yes"), b":0\r\n")
            # SKIPME no: the count arrives, then the connection closes; later commands are
            # not answered.
            conn.send(encode_command("CLIENT", "KILL", "ID", me, "SKIPME", "no") +
                      encode_command("PING"))
            self.assertEqual(conn.read_reply(), b":1\r\n")
            self.assertEqual(conn.buf, b"")
            self.assertTrue(conn.closed_by_peer())
            # The old form on one's own address answers +OK, then closes.
            conn = self.connect(server)
            addr = "127.0.0.1:%d" % conn.sock.getsockname()[1]
            self.assertEqual(conn.call("CLIENT", "KILL", addr), b"+OK\r\n")
            self.assertTrue(conn.closed_by_peer())


if __name__ == "__main__":
    main()
