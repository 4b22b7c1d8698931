"""Active replication's peer links (KeyDB's `active-replica yes` / `multi-master yes`):
several masters per node, REPLICAOF's KeyDB forms, the handshake with node uuids, a link
to ourselves dropped, partial resync of a cut peer link, INFO replication and ROLE as
KeyDB 6.3 prints them, replica-quorum, the seed's keydb.conf with its replicaof lines,
and peers found by DNS.

What the peers apply (RREPLAY, versions, merges) is tested with the data side; here only
the links are."""
import os
import re
import time
import unittest

import harness
from harness import RawConnection, RedisServer, Terndb, encode_command, main
from repl_util import Proxy, wait_until

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
UUID_RE = re.compile(rb"^\+[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\r\n$")


def active(*opts, **kw):
    return Terndb("--active-replica", "yes", "--multi-master", "yes",
                  "--repl-diskless-sync-delay", "0", *opts, **kw)


def call(srv, *args):
    """One command on a fresh connection: its raw reply."""
    conn = srv.raw()
    try:
        return conn.call(*args)
    finally:
        conn.close()


def repl_info(srv):
    return srv.client().info("replication")


def masters_of(info):
    """The master links an active replica lists, in order: [{host, port, link_status...}]."""
    out = []
    i = 0
    while True:
        p = "master" if i == 0 else "master_%d" % i
        if p + "_host" not in info:
            return out
        out.append({k[len(p) + 1:]: v for k, v in info.items()
                    if k.startswith(p + "_") and not k[len(p) + 1:][0].isdigit()})
        i += 1


def links_up(srv, n):
    info = repl_info(srv)
    ms = masters_of(info)
    return len(ms) == n and all(m["link_status"] == "up" for m in ms)


class ActiveLinks(harness.StartsServers):
    def wait_links(self, srv, n, timeout=30):
        try:
            wait_until(lambda: links_up(srv, n), timeout, what="%d links up" % n)
        except AssertionError:
            raise AssertionError("links not up:\n%s\nlog:\n%s" %
                                 (repl_info(srv), srv.log()[-3000:]))

    def test_two_nodes_link_each_other_and_both_take_writes(self):
        a = self.start(active())
        b = self.start(active())
        self.assertEqual(a.client().execute_command("REPLICAOF", "127.0.0.1", b.port), b"OK")
        self.assertEqual(b.client().execute_command("REPLICAOF", "127.0.0.1", a.port), b"OK")
        self.wait_links(a, 1)
        self.wait_links(b, 1)
        ia, ib = repl_info(a), repl_info(b)
        for info, peer, peer_info in ((ia, b, ib), (ib, a, ia)):
            self.assertEqual(info["role"], "active-replica")
            self.assertEqual(info["master_global_link_status"], "up")
            self.assertEqual(info["connected_masters"], 1)
            self.assertEqual(info["master_host"], "127.0.0.1")
            self.assertEqual(info["master_port"], peer.port)
            self.assertEqual(info["master_sync_in_progress"], 0)
            self.assertEqual(info["slave_read_only"], 0)
            self.assertEqual(info["master_state"], "connected")
            self.assertEqual(info["master_uuid"], peer_info["node_uuid"])
            self.assertEqual(info["master_peer_replid"], peer_info["master_replid"])
            self.assertEqual(len(info["node_uuid"]), 36)
            # The peer reads our stream as our replica.
            self.assertEqual(info["connected_slaves"], 1)
            self.assertEqual(info["slave0"]["state"], "online")
        self.assertNotEqual(ia["node_uuid"], ib["node_uuid"])
        # KeyDB's field order: role, global status, count, then the first master.
        text = call(a, "INFO", "replication").decode()
        keys = [line.split(":")[0] for line in text.split("\r\n")[1:] if ":" in line]
        self.assertEqual(keys[:10], ["role", "master_global_link_status", "connected_masters",
                                     "master_host", "master_port", "master_link_status",
                                     "master_last_io_seconds_ago", "master_sync_in_progress",
                                     "slave_read_repl_offset", "slave_repl_offset"])
        # Writable, both of them (a plain replica would answer -READONLY).
        for srv in (a, b):
            conn = srv.raw()
            self.assertEqual(conn.call("SET", "k%d" % srv.port, "v"), b"+OK\r\n")
            conn.close()
        # ROLE: KeyDB's "active-replica" entry for the one master.
        role = a.client().execute_command("ROLE")
        self.assertEqual(role[:4], [b"active-replica", b"127.0.0.1", b.port, b"connected"])
        self.assertGreaterEqual(role[4], 0)
        # An active node's WAIT counts its replicas (a plain replica refuses WAIT).
        self.assertEqual(a.client().execute_command("WAIT", 1, 5000), 1)

    def test_replicaof_forms_answer_as_keydb(self):
        a = self.start(active())
        b = self.start(active())
        c = self.start(active())
        conn = a.raw()
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", b.port), b"+OK\r\n")
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", b.port),
                         b"+OK Already connected to specified master\r\n")
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", c.port), b"+OK\r\n")
        self.wait_links(a, 2)
        info = repl_info(a)
        self.assertEqual(info["connected_masters"], 2)
        self.assertEqual((info["master_port"], info["master_1_port"]), (b.port, c.port))
        self.assertEqual(info["master_1_link_status"], "up")
        # Several masters: ROLE is one entry per master, inside an array.
        role = a.client().execute_command("ROLE")
        self.assertEqual([r[:3] for r in role], [[b"active-replica", b"127.0.0.1", b.port],
                                                 [b"active-replica", b"127.0.0.1", c.port]])
        self.assertEqual(conn.call("REPLICAOF", "REMOVE", "127.0.0.1", 1),
                         b"-ERR Master not found\r\n")
        self.assertEqual(conn.call("REPLICAOF", "REMOVE", "127.0.0.1", b.port), b"+OK\r\n")
        info = repl_info(a)
        self.assertEqual(info["master_port"], c.port)
        self.assertNotIn("master_1_host", info)
        self.assertEqual(conn.call("REPLICAOF", "a", "b", "c", "d"),
                         b"-ERR Invalid arguments\r\n")
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", b.port), b"+OK\r\n")
        self.assertEqual(conn.call("REPLICAOF", "NO", "ONE"), b"+OK\r\n")
        info = repl_info(a)
        self.assertEqual(info["role"], "master")
        self.assertNotIn("master_host", info)
        self.assertEqual(conn.call("REPLICAOF", "NO", "ONE"), b"+OK\r\n")
        conn.close()

    def test_without_multi_master_the_last_master_wins(self):
        b = self.start(active())
        c = self.start(active())
        a = self.start(Terndb("--active-replica", "yes", config_text=(
            "replicaof 127.0.0.1 %d\nreplicaof 127.0.0.1 %d\n" % (b.port, c.port))))
        self.wait_links(a, 1)
        self.assertEqual(repl_info(a)["master_port"], c.port)
        conn = a.raw()
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", b.port), b"+OK\r\n")
        self.wait_links(a, 1)
        self.assertEqual(repl_info(a)["master_port"], b.port)
        conn.close()

    def test_plain_server_answers_replicaof_remove_as_redis(self):
        ours = self.start(Terndb())
        ref = self.start(RedisServer())
        for args in (("REPLICAOF", "REMOVE", "127.0.0.1", "1"), ("SLAVEOF", "a", "b", "c")):
            got = [call(srv, *args) for srv in (ours, ref)]
            self.assertEqual(got[0], got[1], args)

    def test_active_link_to_a_plain_redis_master(self):
        # Redis does not know REPLCONF uuid: not fatal; its writes are plain commands,
        # which the active node applies (active::on_peer_command leaves them to the link).
        ref = self.start(RedisServer("--repl-diskless-sync", "yes",
                                     "--repl-diskless-sync-delay", "0"))
        a = self.start(active())
        self.assertEqual(call(a, "REPLICAOF", "127.0.0.1", ref.port), b"+OK\r\n")
        self.wait_links(a, 1)
        self.assertIn("does not understand REPLCONF uuid", a.log())
        info = repl_info(a)
        self.assertEqual(info["master_uuid"], "")
        self.assertEqual(info["master_peer_replid"], ref.client().info("replication")[
            "master_replid"])
        ref.client().set("from-redis", "1")
        wait_until(lambda: a.client().get("from-redis") == b"1", 10, what="redis write applied")
        self.caught_up(ref, a)

    def test_handshake_of_a_keydb_peer(self):
        a = self.start(active())
        my_uuid = a.client().info("replication")["node_uuid"]
        conn = RawConnection(a.port)
        self.assertEqual(conn.call("PING"), b"+PONG\r\n")
        self.assertEqual(conn.call("REPLCONF", "listening-port", "4321"), b"+OK\r\n")
        self.assertEqual(conn.call("REPLCONF", "capa", "eof", "capa", "psync2", "capa",
                                   "activeExpire"), b"+OK active-replica\r\n")
        self.assertEqual(conn.call("REPLCONF", "uuid", "not-a-uuid"), b"-ERR Invalid UUID\r\n")
        reply = conn.call("REPLCONF", "uuid", "0b0e5a4c-3a51-4d1c-9f65-2b9c1a1e4d77")
        self.assertRegex(reply, UUID_RE)
        self.assertEqual(reply[1:37].decode(), my_uuid)
        conn.send(encode_command("PSYNC", "?", "-1"))
        line = conn._line().lstrip(b"\n")  # newlines keep the link alive meanwhile
        while line == b"\r\n":
            line = conn._line().lstrip(b"\n")
        m = re.match(rb"^\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n$", line)
        self.assertIsNotNone(m, line)
        self.assertEqual(m.group(1).decode(), a.client().info("replication")["master_replid"])
        header = conn._line().lstrip(b"\n")
        if header.startswith(b"$EOF:"):
            mark = header[5:-2]
            self.assertEqual(len(mark), 40)
            while not conn.buf.endswith(mark):
                conn._fill()
            rdb = conn.buf[:-len(mark)]
        else:
            n = int(header[1:-2])
            while len(conn.buf) < n:
                conn._fill()
            rdb = conn.buf[:n]
        self.assertTrue(rdb.startswith(b"REDIS"), rdb[:16])
        conn.send(encode_command("REPLCONF", "ACK", m.group(2).decode()))
        wait_until(lambda: repl_info(a).get("slave0", {}).get("state") == "online", 10,
                   what="fake peer online")
        self.assertEqual(repl_info(a)["slave0"]["port"], 4321)
        conn.close()

    def test_a_plain_server_answers_replconf_uuid_too(self):
        # KeyDB answers every REPLCONF uuid with its own; a plain node keeps "+OK" for capa.
        a = self.start(Terndb())
        conn = a.raw()
        self.assertEqual(conn.call("REPLCONF", "capa", "eof", "capa", "activeExpire"),
                         b"+OK\r\n")
        self.assertRegex(conn.call("REPLCONF", "uuid", "0b0e5a4c-3a51-4d1c-9f65-2b9c1a1e4d77"),
                         UUID_RE)
        conn.close()

    def test_a_link_to_ourselves_is_dropped(self):
        a = self.start(active())
        conn = a.raw()
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", a.port), b"+OK\r\n")
        wait_until(lambda: repl_info(a)["role"] == "master", 15, what="self link dropped")
        self.assertIn("is this very server", a.log())
        # Not retried: it stays gone.
        time.sleep(1.5)
        self.assertEqual(repl_info(a)["role"], "master")
        self.assertEqual(a.log().count("is this very server"), 1)
        conn.close()
        # Next to a real peer (from the config file), whose link stays.
        b = self.start(active())
        c = self.start(active(config_text="replicaof 127.0.0.1 %d\n" % b.port))
        self.wait_links(c, 1)
        self.assertEqual(call(c, "REPLICAOF", "127.0.0.1", c.port), b"+OK\r\n")
        wait_until(lambda: "is this very server" in c.log(), 15, what="self link seen")
        self.wait_links(c, 1)
        self.assertEqual(repl_info(c)["master_port"], b.port)

    def test_cut_peer_link_resumes_by_partial_resync(self):
        a = self.start(active("--repl-backlog-size", "16mb"))
        proxy = Proxy(a.port)
        try:
            b = self.start(active("--repl-timeout", "60"))
            self.assertEqual(b.client().execute_command("REPLICAOF", "127.0.0.1", proxy.port),
                             b"OK")
            self.wait_links(b, 1)
            ac = a.client()
            for i in range(200):
                ac.set("before:%d" % i, "x" * 100)
            self.caught_up(a, b)
            stats = ac.info("stats")
            full_before, partial_before = stats["sync_full"], stats["sync_partial_ok"]
            proxy.cut()
            wait_until(lambda: repl_info(b)["master_link_status"] == "down", 10,
                       what="link down")
            info = repl_info(b)
            self.assertEqual(info["master_global_link_status"], "down")
            self.assertEqual(info["connected_masters"], 0)
            self.assertIn("master_link_down_since_seconds", info)
            for i in range(200):
                ac.set("during:%d" % i, "y" * 100)
            time.sleep(1)
            proxy.heal()
            self.wait_links(b, 1)
            self.caught_up(a, b)
            stats = ac.info("stats")
            self.assertEqual(stats["sync_full"], full_before)
            self.assertEqual(stats["sync_partial_ok"], partial_before + 1)
            self.assertIn("Successful partial resynchronization", b.log())
        finally:
            proxy.close()

    def caught_up(self, master, replica, timeout=20):
        """The replica's position in the peer's stream equals the peer's own offset."""
        def same():
            m = repl_info(master)
            r = repl_info(replica)
            return (r["master_link_status"] == "up" and
                    r["master_peer_replid"] == m["master_replid"] and
                    r["master_peer_offset"] == m["master_repl_offset"] and
                    r["slave_repl_offset"] == m["master_repl_offset"])
        wait_until(same, timeout, what="peer link caught up")

    def test_restarted_link_without_history_asks_for_a_full_sync(self):
        a = self.start(active())
        b = self.start(active())
        self.assertEqual(b.client().execute_command("REPLICAOF", "127.0.0.1", a.port), b"OK")
        self.wait_links(b, 1)
        self.assertEqual(a.client().info("stats")["sync_full"], 1)
        # A fresh link (removed and added again) has no position: PSYNC ? -1.
        self.assertEqual(call(b, "REPLICAOF", "REMOVE", "127.0.0.1", a.port), b"+OK\r\n")
        self.assertEqual(call(b, "REPLICAOF", "127.0.0.1", a.port), b"+OK\r\n")
        self.wait_links(b, 1)
        stats = a.client().info("stats")
        self.assertEqual((stats["sync_full"], stats["sync_partial_err"]), (2, 0))

    def test_seed_keydb_conf_with_two_replicaof_lines(self):
        b = self.start(active())
        c = self.start(active())
        with open(os.path.join(FIXTURES, "keydb.conf")) as f:
            text = f.read()
        lines = ["dir ." if l.strip() in ("dir /data", "dir /data/") else l
                 for l in text.split("\n")]
        text = "\n".join(lines) + "\nreplicaof 127.0.0.1 %d\nreplicaof 127.0.0.1 %d\n" % (
            b.port, c.port)
        a = self.start(Terndb(config_text=text, file_save=True))
        self.wait_links(a, 2)
        info = repl_info(a)
        self.assertEqual(info["role"], "active-replica")
        self.assertEqual(info["connected_masters"], 2)
        self.assertEqual((info["master_port"], info["master_1_port"]), (b.port, c.port))
        self.assertEqual(info["master_1_uuid"], repl_info(c)["node_uuid"])
        conn = a.raw()
        self.assertEqual(conn.call("SET", "k", "v"), b"+OK\r\n")
        # replica-serve-stale-data no with replica-quorum -1: a majority of the three nodes
        # (this one and a master) still sees each other, so one master down is not enough
        # for -MASTERDOWN (KeyDB's -1 asks for every master and would refuse here).
        c.stop()
        self.servers.remove(c)
        wait_until(lambda: repl_info(a)["master_1_link_status"] == "down", 15,
                   what="second link down")
        info = repl_info(a)
        self.assertEqual((info["master_global_link_status"], info["connected_masters"]),
                         ("up", 1))
        self.assertEqual(conn.call("GET", "k"), b"$1\r\nv\r\n")
        # KeyDB's explicit count: two links asked for, one up.
        self.assertEqual(conn.call("CONFIG", "SET", "replica-quorum", "2"), b"+OK\r\n")
        self.assertEqual(conn.call("GET", "k"), b"-MASTERDOWN Link with MASTER is down and "
                         b"replica-serve-stale-data is set to 'no'.\r\n")
        self.assertEqual(repl_info(a)["master_global_link_status"], "down")
        self.assertEqual(conn.call("CONFIG", "SET", "replica-quorum", "1"), b"+OK\r\n")
        self.assertEqual(conn.call("GET", "k"), b"$1\r\nv\r\n")
        # Both masters gone: this node alone is a minority under -1.
        self.assertEqual(conn.call("CONFIG", "SET", "replica-quorum", "-1"), b"+OK\r\n")
        b.stop()
        self.servers.remove(b)
        wait_until(lambda: repl_info(a)["connected_masters"] == 0, 15, what="both links down")
        self.assertTrue(conn.call("GET", "k").startswith(b"-MASTERDOWN"))
        conn.close()

    def test_peers_found_by_dns(self):
        # The name resolved is `localhost` (127.0.0.1 here, through getaddrinfo and
        # /etc/hosts as the machine has it); what changes between resolutions is the
        # option itself, set with CONFIG SET.
        b = self.start(active())
        c = self.start(active())
        a = self.start(active("--active-replica-peers-dns", "localhost %d" % b.port,
                              "--active-replica-peers-dns-interval", "1"))
        self.wait_links(a, 1)
        info = repl_info(a)
        self.assertEqual((info["master_host"], info["master_port"]), ("127.0.0.1", b.port))
        self.assertEqual(info["master_discovered"], 1)
        self.assertEqual(info["master_uuid"], repl_info(b)["node_uuid"])
        conn = a.raw()
        self.assertEqual(conn.call("CONFIG", "SET", "active-replica-peers-dns",
                                   "localhost %d" % c.port), b"+OK\r\n")
        wait_until(lambda: repl_info(a).get("master_port") == c.port and links_up(a, 1), 15,
                   what="link moved to the new address")
        self.assertIn("Peer 127.0.0.1:%d is gone" % b.port, a.log())
        # A configured peer is not the name's: it stays when the name changes.
        self.assertEqual(conn.call("REPLICAOF", "127.0.0.1", b.port), b"+OK\r\n")
        self.wait_links(a, 2)
        # The name resolving to ourselves: that link is dropped and not made again.
        self.assertEqual(conn.call("CONFIG", "SET", "active-replica-peers-dns",
                                   "localhost %d" % a.port), b"+OK\r\n")
        wait_until(lambda: "is this very server" in a.log(), 15, what="self link found")
        time.sleep(2.5)  # two more resolutions
        self.assertEqual(a.log().count("is this very server"), 1)
        ms = masters_of(repl_info(a))
        self.assertEqual([(m["host"], m["port"]) for m in ms], [("127.0.0.1", b.port)])
        self.assertEqual(conn.call("CONFIG", "SET", "active-replica-peers-dns", ""), b"+OK\r\n")
        time.sleep(1.5)
        self.assertEqual(len(masters_of(repl_info(a))), 1)
        conn.close()


if __name__ == "__main__":
    main()
