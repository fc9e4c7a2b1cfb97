#!/usr/bin/env python3
"""Several hosts on one machine sharing events through a real NATS server.

Each test starts Debian's nats-server with JetStream on a free loopback port
(its store in a temporary directory) and two or more `orivon up --nats`
hosts, each on its own state directory, with the events probe
(tests/guests/events) installed as publisher or subscriber. The server is
killed and restarted on the same store where a test needs it. No assertion
is about time: every wait is bounded only so that a broken host fails the
test instead of hanging it.

Run one class or test:  cluster_test.py --orivon BIN --guests DIR --nats-server BIN Events.test_x
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ORIVON = None
GUESTS = None
NATS_SERVER = None
WAIT = 60.0  # seconds; a bound on waits, never asserted
PUBLISHER = "app.orders.publisher"
SUBSCRIBER = "app.orders.subscriber"


def eventually(check, what, timeout=WAIT):
    give_up = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError("gave up waiting for " + what)
        time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NatsServer:
    """nats-server -js on loopback; stop() and start() keep its store."""

    def __init__(self, root, config=None):
        self.port = free_port()
        self.store = os.path.join(root, "nats-store")
        self.config = None
        if config is not None:
            self.config = os.path.join(root, "nats.conf")
            with open(self.config, "w") as f:
                f.write(config)
        self.log_path = os.path.join(root, "nats.log")
        self.process = None
        self.start()

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def start(self):
        args = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", self.store]
        if self.config:
            args += ["-c", self.config]
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            if self.process.poll() is not None:
                raise AssertionError("nats-server exited: " + open(self.log_path).read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    return s.recv(4096).startswith(b"INFO ")
            except OSError:
                return False
        eventually(up, "nats-server to listen")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT)
        self.log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.kill()

    def publish_raw(self, subject, payload):
        """Publishes bytes on a subject with the plain NATS protocol (a hostile host)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=WAIT) as s:
            s.recv(4096)  # INFO
            s.sendall(b'CONNECT {"verbose":false}\r\nPUB ' + subject.encode() + b" " +
                      str(len(payload)).encode() + b"\r\n" + payload + b"\r\nPING\r\n")
            reply = b""
            while b"PONG" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk


class Host:
    """A state directory, its modules, and `orivon up --nats`."""

    def __init__(self, root, name, nats_url, extra=()):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.state = os.path.join(self.dir, "state")
        self.name = name
        self.nats_url = nats_url
        self.extra = list(extra)
        self.process = None

    def orivon(self, *args, check=True):
        result = subprocess.run([ORIVON, "--state", self.state, *args], capture_output=True,
                                text=True, timeout=WAIT)
        if check and result.returncode != 0:
            raise AssertionError("%s: orivon %s failed (%d): %s" % (
                self.name, " ".join(args), result.returncode, result.stderr))
        return result

    def add_probe(self, module_id):
        self.orivon("add", os.path.join(GUESTS, "events_probe.component.wasm"), "--id", module_id)

    def up(self):
        self.log_path = os.path.join(self.dir, "up.log")
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [ORIVON, "--state", self.state, "up", "--nats", self.nats_url, "--host-name",
             self.name, *self.extra], stdout=self.log, stderr=subprocess.STDOUT)
        eventually(lambda: self.process.poll() is not None or "orivon host up" in self.output(),
                   self.name + " to come up")
        if self.process.poll() is not None:
            raise AssertionError(self.name + " did not come up: " + self.output())

    def down(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=WAIT)
            self.log.close()
        self.process = None

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def call(self, module_id, expression):
        result = self.orivon("call", module_id, expression, check=False)
        return result.stdout if result.returncode == 0 else "error: " + result.stderr

    def received(self):
        text = self.call(SUBSCRIBER, "received()").strip()
        return int(text) if text.isdigit() else -1

    def cluster(self):
        report = json.loads(self.orivon("events", "--json").stdout)
        return report.get("cluster", {})


class ClusterTest(unittest.TestCase):
    nats_config = None

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="orivon-cluster-")
        self.nats = NatsServer(self.root, self.nats_config)
        self.hosts = []

    def tearDown(self):
        for host in self.hosts:
            host.down()
        self.nats.stop()
        if self.id() and sys.exc_info() == (None, None, None):
            shutil.rmtree(self.root, ignore_errors=True)

    def host(self, name, extra=()):
        made = Host(self.root, name, self.nats.url, extra)
        self.hosts.append(made)
        return made

    def publisher_host(self, name="a"):
        host = self.host(name)
        host.add_probe(PUBLISHER)
        host.orivon("allow", PUBLISHER, "topic:orders.>:publish")
        host.up()
        host.orivon("start", PUBLISHER)
        return host

    def subscriber_host(self, name="b", durable=True, up=True):
        host = self.host(name)
        host.add_probe(SUBSCRIBER)
        host.orivon("allow", SUBSCRIBER, "topic:orders.>:subscribe")
        host.orivon("subscribe", SUBSCRIBER, "orders.>", *(["--durable"] if durable else []))
        if up:
            host.up()
            host.orivon("start", SUBSCRIBER)
        return host

    def publish(self, host, topic, count):
        reply = host.call(PUBLISHER, 'publish-many("%s", %d)' % (topic, count))
        self.assertEqual(reply.strip(), "ok(%d)" % count, reply)


class Events(ClusterTest):
    def test_a_module_on_one_host_receives_what_a_module_on_another_publishes(self):
        b = self.subscriber_host(durable=False)
        a = self.publisher_host()
        eventually(lambda: a.cluster().get("state") == "connected", "a to connect")
        reply = a.call(PUBLISHER, 'publish("orders.eu.created", [104, 105])')
        self.assertEqual(reply.strip(), "ok", reply)
        eventually(lambda: b.received() == 1, "the event on b")
        last = b.call(SUBSCRIBER, "last()")
        self.assertIn("orders.eu.created|hi|text/plain|k=v", last)
        self.assertIn("orivon-publisher=" + PUBLISHER, last)
        # The client's publish on a reaches b too, and a's counters say so.
        a.orivon("publish", "orders.us.created", "from the client")
        eventually(lambda: b.received() == 2, "the client's event on b")
        self.assertGreaterEqual(a.cluster()["sent"], 2)
        self.assertEqual(b.cluster()["received"], 2)
        self.assertEqual(b.cluster()["host"], "b")
        self.assertIn("NATS " + self.nats.url + " as host 'b': connected",
                      b.orivon("events").stdout)

    def test_events_no_durable_subscription_wants_are_not_stored(self):
        # Only an ephemeral subscriber on b: a's events go by core NATS, at
        # most once. When b also subscribes durably, a hears of it and stores
        # what that pattern matches, for b to take even after a restart.
        b = self.subscriber_host(durable=False)
        a = self.publisher_host()
        # Until a has read the registry of durable patterns it stores every
        # event; a client event nobody subscribes to shows when it stops.
        def a_sends_core():
            a.orivon("publish", "warmup.x", "w")
            return a.cluster()["sent_core"] > 0
        eventually(a_sends_core, "a to read the registry")
        core_before = a.cluster()["sent_core"]
        self.publish(a, "orders.eu.created", 5)
        eventually(lambda: b.received() == 5, "the ephemeral events on b")
        self.assertEqual(a.cluster()["sent_core"], core_before + 5)
        b.down()
        self.publish(a, "orders.eu.created", 3)  # nobody stores these
        b.up()
        b.orivon("start", SUBSCRIBER)
        time.sleep(1)
        self.assertEqual(b.received(), 0)

        b.orivon("unsubscribe", SUBSCRIBER, "orders.>")
        b.orivon("subscribe", SUBSCRIBER, "orders.us.*", "--durable")
        eventually(lambda: a.cluster().get("remote_durable_patterns") == 1,
                   "a to learn b's durable pattern")
        b.down()
        self.publish(a, "orders.us.created", 4)   # stored for b
        self.publish(a, "orders.eu.created", 2)   # still at most once
        self.assertEqual(a.cluster()["sent_core"], core_before + 5 + 3 + 2)
        b.up()
        b.orivon("start", SUBSCRIBER)
        eventually(lambda: b.received() == 4, "the durable pattern's events after b's restart")
        time.sleep(0.5)
        self.assertEqual(b.received(), 4)
        # b unsubscribes: a stops storing for it.
        b.orivon("unsubscribe", SUBSCRIBER, "orders.us.*")
        eventually(lambda: a.cluster().get("remote_durable_patterns") == 0,
                   "a to forget b's durable pattern")

    def test_grants_stay_each_hosts_own(self):
        b = self.host("b")
        b.add_probe(SUBSCRIBER)
        b.orivon("allow", SUBSCRIBER, "topic:orders.>:subscribe")
        b.orivon("subscribe", SUBSCRIBER, "orders.>", "--durable")
        b.up()
        b.orivon("start", SUBSCRIBER)
        a = self.host("a")
        a.add_probe(PUBLISHER)
        a.orivon("allow", PUBLISHER, "topic:orders.eu.*:publish")  # not orders.us
        a.up()
        a.orivon("start", PUBLISHER)
        refused = a.call(PUBLISHER, 'publish("orders.us.created", [1])')
        self.assertIn("permission-denied", refused)
        self.assertIn("ok", a.call(PUBLISHER, 'publish("orders.eu.created", [1])'))
        eventually(lambda: b.received() == 1, "the granted event on b")
        # b takes the grant back: what a publishes now is not delivered there.
        b.orivon("deny", SUBSCRIBER, "topic:orders.>:subscribe")
        self.assertIn("ok", a.call(PUBLISHER, 'publish("orders.eu.created", [2])'))
        eventually(lambda: b.cluster()["received"] == 2, "b to take the second event")
        time.sleep(0.5)
        self.assertEqual(b.received(), 1)

    def test_a_durable_subscriber_that_was_down_receives_everything(self):
        b = self.subscriber_host()
        a = self.publisher_host()
        # The module stopped on a running host.
        b.orivon("stop", SUBSCRIBER)
        self.publish(a, "orders.eu.created", 20)
        eventually(lambda: b.cluster().get("received", 0) == 20, "b to store the events")
        b.orivon("start", SUBSCRIBER)
        eventually(lambda: b.received() == 20, "20 events on b")
        # The whole host down: JetStream keeps them for its consumer.
        b.down()
        self.publish(a, "orders.eu.created", 30)
        b.up()
        b.orivon("start", SUBSCRIBER)
        eventually(lambda: b.received() == 30, "30 more events on b after its restart")

    def test_killing_the_server_loses_no_acknowledged_durable_event(self):
        b = self.subscriber_host()
        b.down()  # its consumer exists; the events wait in the stream
        a = self.publisher_host()
        self.publish(a, "orders.eu.created", 50)  # each acknowledged by JetStream
        self.nats.kill()
        self.nats.start()
        b.up()
        b.orivon("start", SUBSCRIBER)
        eventually(lambda: b.received() == 50, "all 50 events on b after the server's restart")

    def test_a_host_without_its_server_keeps_working_and_catches_up(self):
        b = self.subscriber_host()
        a = self.publisher_host()
        # a also has a local subscriber of its own.
        a.add_probe(SUBSCRIBER)
        a.orivon("allow", SUBSCRIBER, "topic:orders.>:subscribe")
        a.orivon("subscribe", SUBSCRIBER, "orders.>", "--durable")
        a.orivon("start", SUBSCRIBER)
        self.nats.kill()
        eventually(lambda: a.cluster().get("state") == "down", "a to see the server gone")
        self.assertIn("down", a.orivon("events").stdout)
        # Local events still flow on a; what it could not send waits.
        self.publish(a, "orders.eu.created", 10)
        eventually(lambda: a.received() == 10, "a's own subscriber to get its events")
        self.assertEqual(a.cluster()["outbox"], 10)
        self.nats.start()
        eventually(lambda: a.cluster().get("state") == "connected", "a to reconnect")
        eventually(lambda: a.cluster()["outbox"] == 0, "a's outbox to drain")
        eventually(lambda: b.received() == 10, "b to get what a published while down")

    def test_a_host_that_crashes_while_its_server_is_away_sends_its_outbox_later(self):
        b = self.subscriber_host()
        a = self.publisher_host()
        eventually(lambda: a.cluster().get("remote_durable_patterns") == 1,
                   "a to learn b's durable pattern")
        self.nats.kill()
        eventually(lambda: a.cluster().get("state") == "down", "a to see the server gone")
        self.publish(a, "orders.eu.created", 7)
        self.assertEqual(a.cluster()["outbox"], 7)
        a.process.send_signal(signal.SIGKILL)  # no shutdown of any kind
        a.process.wait(timeout=WAIT)
        a.log.close()
        a.process = None
        self.nats.start()
        a.up()
        eventually(lambda: a.cluster().get("outbox") == 0, "a's outbox to drain after its restart")
        eventually(lambda: b.received() == 7, "b to get what a accepted before it crashed")

    def test_a_hostile_message_on_the_subjects_is_dropped_and_the_rest_flows(self):
        b = self.subscriber_host()
        a = self.publisher_host()
        # Both ways events travel: the stream (".d.") and core NATS (".e.").
        for subject in ("orivon.d.orders.eu.created", "orivon.e.orders.eu.created"):
            for garbage in (b"", b"\x01", b"\x07not an envelope", b"\x01" + b"\xff" * 64):
                self.nats.publish_raw(subject, garbage)
        self.publish(a, "orders.eu.created", 3)
        eventually(lambda: b.received() == 3, "the real events after the garbage")
        self.assertIn("dropped a message from NATS", b.cluster()["last_error"])


    def test_a_full_host_pushes_back_and_loses_nothing(self):
        # b's durable queue holds 10,000 events; its subscriber is stopped, so
        # more than that from a must wait in JetStream, not in b's memory.
        b = self.subscriber_host()
        b.orivon("stop", SUBSCRIBER)
        a = self.publisher_host()
        total = 10_500
        self.publish(a, "orders.eu.created", total)
        eventually(lambda: b.cluster().get("received", 0) >= 10_000, "b to fill its queue")
        time.sleep(1)
        report = json.loads(b.orivon("events", "--json").stdout)
        self.assertLessEqual(report["subscriptions"][0]["pending"], 10_000)
        self.assertLess(report["cluster"]["received"], total)
        self.assertIn("put back", report["cluster"]["last_error"])
        b.orivon("start", SUBSCRIBER)
        eventually(lambda: b.received() >= total, "every event on b", timeout=300)
        self.assertEqual(b.received(), total)


class Limits(ClusterTest):
    nats_config = "max_payload: 4096\n"

    def test_an_event_over_the_servers_max_payload_is_a_clear_error(self):
        b = self.subscriber_host()
        a = self.publisher_host()
        eventually(lambda: a.cluster().get("max_payload") == 4096, "a to read max_payload")
        refused = a.call(PUBLISHER, 'publish-size("orders.eu.big", 5000)')
        self.assertIn("max_payload of 4096", refused)
        small = a.call(PUBLISHER, 'publish-size("orders.eu.small", 1000)')
        self.assertEqual(small.strip(), "ok", small)
        eventually(lambda: b.received() == 1, "the small event on b")
        over = a.orivon("publish", "orders.eu.big", "x" * 5000, check=False)
        self.assertEqual(over.returncode, 1)
        self.assertIn("max_payload of 4096", over.stderr)


class Credentials(ClusterTest):
    nats_config = ("authorization {\n  user: orivon\n  password: s3cret-pass\n}\n")

    def write(self, name, text):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        return path

    def test_credentials_come_from_a_file(self):
        good = self.host("a", ["--nats-creds", self.write("good", "orivon:s3cret-pass\n")])
        good.up()
        eventually(lambda: good.cluster().get("state") == "connected", "a to connect")
        # A server that refuses the credentials is an error at start, not a silent retry.
        bad_file = self.write("bad", "orivon:wrong-pass\n")
        state = os.path.join(self.root, "bad-state")
        refused = subprocess.run([ORIVON, "--state", state, "up", "--nats", self.nats.url,
                                  "--nats-creds", bad_file],
                                 capture_output=True, text=True, timeout=WAIT)
        self.assertEqual(refused.returncode, 1, refused.stderr)
        self.assertIn("Authorization", refused.stderr)
        self.assertNotIn("wrong-pass", refused.stderr + refused.stdout)  # never printed
        missing = self.host("c", ["--nats-creds", os.path.join(self.root, "absent")])
        result = subprocess.run([ORIVON, "--state", missing.state, "up", "--nats", self.nats.url,
                                 "--nats-creds", os.path.join(self.root, "absent")],
                                capture_output=True, text=True, timeout=WAIT)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("credentials file", result.stderr)


class Flags(unittest.TestCase):
    def test_bad_flags_are_usage_errors(self):
        root = tempfile.mkdtemp(prefix="orivon-cluster-flags-")
        try:
            state = os.path.join(root, "state")
            for args, text in ((["--nats-prefix", "x"], "need --nats"),
                               (["--nats", "nats://127.0.0.1:1", "--nats-prefix", "a..b"],
                                "subject prefix"),
                               (["--nats", "nats://127.0.0.1:1", "--host-name", "a b"],
                                "host name")):
                result = subprocess.run([ORIVON, "--state", state, "up", *args],
                                        capture_output=True, text=True, timeout=WAIT)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(text, result.stderr)
            help_text = subprocess.run([ORIVON, "up", "--help"], capture_output=True, text=True,
                                       timeout=WAIT).stdout
            for flag in ("--nats", "--nats-creds", "--nats-prefix", "--host-name"):
                self.assertIn(flag, help_text)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def main():
    global ORIVON, GUESTS, NATS_SERVER
    parser = argparse.ArgumentParser()
    parser.add_argument("--orivon", required=True)
    parser.add_argument("--guests", required=True)
    parser.add_argument("--nats-server", required=True)
    args, rest = parser.parse_known_args()
    ORIVON, GUESTS, NATS_SERVER = args.orivon, args.guests, args.nats_server
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
