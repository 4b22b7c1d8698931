"""Helpers for the RDB tests: a terndb started over a directory the test owns (kept
between restarts), waiting on INFO fields, and running terndb to a refused start."""
import os
import subprocess
import time

import harness


class TerndbIn(harness._Server):
    """terndb with `dir` set to a directory that outlives the server (restarts load it)."""

    def __init__(self, workdir, *options, threads=2, wait_loaded=True):
        port = harness.free_port()
        argv = [harness.terndb_binary(), "--port", str(port), "--bind", "127.0.0.1",
                "--dir", workdir, "--server-threads", str(threads),
                "--enable-debug-command", "yes"] + [str(o) for o in options]
        log = os.path.join(workdir, "terndb-%d.log" % port)
        super().__init__(argv, port, workdir, log)
        if wait_loaded:
            c = self.client()
            wait_for(lambda: info_field(c, "loading") == "0", 60, "the dataset to load")


def info_field(client, name, section="persistence"):
    info = client.execute_command("INFO", section)
    if isinstance(info, bytes):
        info = info.decode()
    if isinstance(info, dict):
        return str(info.get(name))
    for line in info.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def wait_for(pred, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def wait_bgsave_done(client, timeout=60.0):
    wait_for(lambda: info_field(client, "rdb_bgsave_in_progress") == "0", timeout, "BGSAVE end")


def refused_start(workdir, timeout=30):
    """Starts terndb over `workdir` expecting it to refuse; returns (exit code, output)."""
    port = harness.free_port()
    argv = [harness.terndb_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir",
            workdir, "--save", ""]
    res = subprocess.run(argv, capture_output=True, timeout=timeout)
    return res.returncode, (res.stdout + res.stderr).decode("utf-8", "replace")
