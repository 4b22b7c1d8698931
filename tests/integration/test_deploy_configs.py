"""The deployment files: the example overlays of conf/examples/ start the server as the
image assembles them (conf/terndb.conf + conf/docker.conf + overlay) with the values their
comments promise; the fly.toml files of conf/examples/fly/ agree with them and with the
Dockerfile; the seed deployment's keydb.conf loads verbatim."""
import os
import shutil
import subprocess
import tempfile
import tomllib
import unittest

from harness import ROOT, Terndb, free_port, main, terndb_binary

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
MB = 1024 * 1024

# What each overlay promises: CONFIG GET values after terndb.conf + docker.conf + overlay.
EXPECTED = {
    "cache": {"maxmemory": str(100 * MB), "maxmemory-policy": "allkeys-lru", "save": "3600 1",
              "active-replica": "yes", "multi-master": "yes"},
    "cable": {"maxmemory": str(64 * MB), "maxmemory-policy": "allkeys-lru", "save": "",
              "active-replica": "yes", "multi-master": "yes"},
    "kredis": {"maxmemory": str(100 * MB), "maxmemory-policy": "noeviction",
               "save": "3600 1 300 100 60 10000", "active-replica": "yes", "multi-master": "yes"},
    "sidekiq": {"maxmemory": str(256 * MB), "maxmemory-policy": "noeviction",
                "save": "900 1 300 10 60 1000", "active-replica": "no", "multi-master": "no"},
}


def read(path):
    with open(path) as f:
        return f.read()


def local_dir(text, workdir="."):
    """The container's `dir /data` pointed at a directory that exists here: the server
    changes into `dir` while it reads the file, as redis-server does."""
    lines = text.split("\n")
    out = ["dir " + workdir if line.strip() in ("dir /data", "dir /data/") else line
           for line in lines]
    assert out != lines, "no dir /data line"
    return "\n".join(out)


def config_get(conn, name):
    lines = conn.call("CONFIG", "GET", name).split(b"\r\n")
    return lines[4].decode() if len(lines) > 4 else None


class Examples(unittest.TestCase):
    def test_every_example_has_expectations(self):
        names = sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, "conf", "examples"))
                       if f.endswith(".conf"))
        self.assertEqual(names, sorted(EXPECTED))
        tomls = sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, "conf", "examples", "fly")))
        self.assertEqual(tomls, sorted(EXPECTED))

    def test_overlays_start_as_the_image_assembles_them(self):
        base = read(os.path.join(ROOT, "conf", "terndb.conf")) + read(
            os.path.join(ROOT, "conf", "docker.conf"))
        for name, expected in EXPECTED.items():
            with self.subTest(example=name):
                overlay = read(os.path.join(ROOT, "conf", "examples", name + ".conf"))
                # The file's dir (/data) and metrics port are the container's; the test
                # moves them to its scratch directory and a free port.
                srv = Terndb("--metrics-port", free_port(), "--metrics-bind", "127.0.0.1",
                             config_text=local_dir(base + overlay), file_save=True)
                try:
                    conn = srv.raw()
                    for option, value in expected.items():
                        self.assertEqual(config_get(conn, option), value, option)
                    self.assertEqual(config_get(conn, "protected-mode"), "no")
                    conn.close()
                finally:
                    srv.stop()
                self.assertIn("metrics-port 9091\n", overlay)

    def test_fly_tomls_agree_with_the_overlays_and_dockerfile(self):
        dockerfile = read(os.path.join(ROOT, "Dockerfile"))
        self.assertIn("ARG TERNDB_CONF_OVERLAY", dockerfile)
        for name in EXPECTED:
            with self.subTest(app=name):
                with open(os.path.join(ROOT, "conf", "examples", "fly", name + ".toml"), "rb") as f:
                    fly = tomllib.load(f)
                self.assertEqual(fly["kill_signal"], "SIGINT")
                self.assertLessEqual(fly["kill_timeout"], 5)
                overlay = fly["build"]["args"]["TERNDB_CONF_OVERLAY"]
                self.assertEqual(overlay, "conf/examples/%s.conf" % name)
                self.assertTrue(os.path.exists(os.path.join(ROOT, overlay)))
                self.assertEqual(fly["build"]["dockerfile"], "Dockerfile")
                self.assertEqual(fly["mounts"][0]["destination"], "/data")
                self.assertEqual(fly["metrics"], {"port": 9091, "path": "/metrics"})
                self.assertEqual(fly["checks"]["terndb"]["port"], 6379)
                peers = fly.get("env", {}).get("TERNDB_PEERS")
                if EXPECTED[name]["multi-master"] == "yes":
                    self.assertEqual(peers, fly["app"] + ".internal")
                else:
                    self.assertIsNone(peers)


class SeedKeydbConf(unittest.TestCase):
    def test_loads_verbatim(self):
        # Verbatim but for `dir /data/`, which does not exist here (test_container_root
        # loads the file unchanged in a root that has /data).
        srv = Terndb(config_text=local_dir(read(os.path.join(FIXTURES, "keydb.conf"))),
                     file_save=True)
        try:
            conn = srv.raw()
            for option, value in (("protected-mode", "no"), ("appendonly", "no"),
                                  ("save", "900 1 300 10 60 10000"), ("active-replica", "yes"),
                                  ("multi-master", "yes"), ("replica-serve-stale-data", "no"),
                                  ("maxmemory", str(100 * MB)),
                                  ("maxmemory-policy", "allkeys-lru")):
                self.assertEqual(config_get(conn, option), value, option)
            conn.close()
        finally:
            srv.stop()

    def test_trailing_comments_are_refused_as_redis_refuses_them(self):
        # The article annotates `maxmemory 100mb # scale at your own leisure`: redis.conf
        # syntax has no trailing comments, so redis-server (and KeyDB) refuse that line.
        workdir = tempfile.mkdtemp(prefix="terndb-conf-")
        self.addCleanup(shutil.rmtree, workdir, True)
        text = local_dir(read(os.path.join(FIXTURES, "keydb.conf")), workdir)
        text = text.replace("maxmemory 100mb\n", "maxmemory 100mb # scale at your own leisure\n")
        # redis-server does not know KeyDB's directives: it gets the annotated line alone.
        for binary, content in ((terndb_binary(), text),
                                ("redis-server", "maxmemory 100mb # scale at your own leisure\n")):
            path = os.path.join(workdir, "annotated.conf")
            with open(path, "w") as f:
                f.write(content)
            res = subprocess.run([binary, path, "--port", str(free_port())],
                                 capture_output=True, text=True, timeout=20)
            out = res.stdout + res.stderr
            self.assertEqual(res.returncode, 1, binary)
            self.assertIn("'maxmemory 100mb # scale at your own leisure'", out, binary)


if __name__ == "__main__":
    main()
