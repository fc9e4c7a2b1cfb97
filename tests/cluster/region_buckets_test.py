#!/usr/bin/env python3
"""Region buckets across two hosts: one nats-server with JetStream on
loopback (Debian's /usr/sbin/nats-server, started here), two `orivon up
--nats` hosts on separate state directories. A bucket created and written
through host A's control socket is read through host B's, and by a module
(the kv_probe guest, through wasi:keyvalue) running on host B.

Skipped when nats-server is not installed. No assertion is about time:
every wait is bounded only so that a broken host fails instead of hanging.

Run:  region_buckets_test.py --orivon BIN --guests DIR [TestName]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ORIVON = None
GUESTS = None
NATS_SERVER = "/usr/sbin/nats-server"
PROBE = "app.kv.probe"
WAIT = 60.0  # seconds; a bound on waits, never asserted


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orivon(state, *args, check=True):
    result = subprocess.run([ORIVON, "--state", state, *args], capture_output=True, text=True,
                            timeout=WAIT)
    if check and result.returncode != 0:
        raise AssertionError("orivon %s failed (%d): %s" % (" ".join(args), result.returncode,
                                                             result.stderr))
    return result


class Host:
    """`orivon up --nats URL` on a state directory of its own."""

    def __init__(self, root, name, url):
        self.dir = os.path.join(root, name)
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.dir)
        self.log_path = os.path.join(self.dir, "up.log")
        self.url = url
        self.name = name
        self.process = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [ORIVON, "--state", self.state, "up", "--nats", self.url, "--nats-prefix",
             "regiontest", "--host-name", self.name],
            stdout=self.log, stderr=subprocess.STDOUT)
        give_up = time.monotonic() + WAIT
        while "orivon host up" not in self.output():
            if self.process.poll() is not None or time.monotonic() > give_up:
                raise AssertionError("host %s did not come up: %s" % (self.name, self.output()))
            time.sleep(0.05)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def run(self, *args, check=True):
        return orivon(self.state, *args, check=check)

    def stop(self):
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@unittest.skipUnless(os.access(NATS_SERVER, os.X_OK), NATS_SERVER + " is absent")
class RegionBuckets(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="orivon-region-")
        port = free_port()
        self.url = "nats://127.0.0.1:%d" % port
        self.server_log = open(os.path.join(self.root, "nats.log"), "w")
        self.server = subprocess.Popen(
            [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd",
             os.path.join(self.root, "jetstream")],
            stdout=self.server_log, stderr=subprocess.STDOUT)
        give_up = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if self.server.poll() is not None or time.monotonic() > give_up:
                    raise AssertionError("nats-server did not start")
                time.sleep(0.05)
        self.a = Host(self.root, "a", self.url)
        self.b = Host(self.root, "b", self.url)

    def tearDown(self):
        self.a.stop()
        self.b.stop()
        self.server.kill()
        self.server.wait()
        self.server_log.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def test_written_on_a_read_on_b_by_the_cli_and_a_module(self):
        # The module on B is installed and granted before its host runs.
        self.b.run("add", os.path.join(GUESTS, "kv_probe.component.wasm"), "--id", PROBE)
        self.b.run("allow", PROBE, "kv:shared:rw")
        self.a.start()
        self.b.start()

        created = self.a.run("kv", "create", "shared", "--scope", "region")
        self.assertIn("shared  region", created.stdout)
        # JetStream has no key limit of its own: said in words, not as 2^64 - 1.
        self.assertIn("no key limit", created.stdout)
        self.assertNotIn("18446744073709551615", created.stdout)
        self.assertIn("answered by the running host", created.stderr)
        self.a.run("kv", "set", "shared", "greeting", "hello from a")
        self.a.run("kv", "set", "shared", "key with spaces ✓", "odd key")

        got = self.b.run("kv", "get", "shared", "greeting")
        self.assertEqual(got.stdout, "hello from a")
        self.assertIn("answered by the running host", got.stderr)
        keys = self.b.run("kv", "keys", "shared")
        self.assertEqual(keys.stdout.splitlines(), ["greeting", "key with spaces ✓"])
        buckets = self.b.run("kv", "buckets")
        self.assertIn("shared  region", buckets.stdout)

        self.b.run("start", PROBE)
        read = self.b.run("call", PROBE, 'get("shared", "greeting")')
        self.assertIn("hello from a", read.stdout)
        wrote = self.b.run("call", PROBE, 'set("shared", "from-module", "module on b")')
        self.assertIn('"ok"', wrote.stdout)
        counted = self.b.run("call", PROBE, 'increment("shared", "visits", 5)')
        self.assertIn('"5"', counted.stdout)
        self.assertEqual(self.a.run("kv", "get", "shared", "from-module").stdout, "module on b")
        self.assertEqual(self.a.run("kv", "get", "shared", "visits").stdout, "5")

        # Without a host, the state directory alone has no NATS: a clear refusal.
        self.a.stop()
        refused = self.a.run("kv", "create", "other", "--scope", "region", check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("orivon up --nats", refused.stderr)


def main():
    global ORIVON, GUESTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--orivon", required=True)
    parser.add_argument("--guests", required=True)
    args, rest = parser.parse_known_args()
    ORIVON, GUESTS = args.orivon, args.guests
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
