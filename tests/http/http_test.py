#!/usr/bin/env python3
"""Inbound HTTP on a real host: `orivon up --http 127.0.0.1:0` over loopback.

Each test class starts one host on a fresh state directory with two function
modules built from tests/guests/http_handler (hello.c and hostile.c), routed
with `orivon route add`, and talks to it with http.client or a raw socket.
No assertion is about time: every wait is bounded only so that a broken host
fails the test instead of hanging it.

Run one class or test:  http_test.py --orivon BIN --guests DIR HttpServing.test_hello
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ORIVON = None
GUESTS = None
HELLO = "hello.app.example"
HOSTILE = "hostile.app.example"
MANIFEST = """[function]
max-instances = 64
deadline = "2s"
max-memory = "64MiB"
"""
WAIT = 60.0  # seconds; a bound on waits, never asserted


def orivon(state, *args, check=True):
    result = subprocess.run([ORIVON, "--state", state, *args], capture_output=True, text=True,
                            timeout=WAIT)
    if check and result.returncode != 0:
        raise AssertionError("orivon %s failed (%d): %s" % (" ".join(args), result.returncode,
                                                             result.stderr))
    return result


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


class Host:
    """A state directory with the two modules and a host serving HTTP."""

    def __init__(self, up_args=()):
        self.dir = tempfile.mkdtemp(prefix="orivon-http-")
        self.state = os.path.join(self.dir, "state")
        manifest = os.path.join(self.dir, "function.toml")
        with open(manifest, "w") as f:
            f.write(MANIFEST)
        orivon(self.state, "add", os.path.join(GUESTS, "http_hello.component.wasm"), "--id", HELLO,
               "--manifest", manifest)
        orivon(self.state, "add", os.path.join(GUESTS, "http_hostile.component.wasm"), "--id",
               HOSTILE, "--manifest", manifest)
        # Routes set before the host runs (straight into the state directory).
        orivon(self.state, "route", "add", "/hello", HELLO)
        orivon(self.state, "route", "add", "/h", HOSTILE)
        self.log = open(os.path.join(self.dir, "up.log"), "w")
        self.process = subprocess.Popen([ORIVON, "--state", self.state, "up", "--http", "0",
                                         *up_args],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        address_file = os.path.join(self.state, "http-address")
        give_up = time.monotonic() + WAIT
        while not read_text(address_file):
            if self.process.poll() is not None or time.monotonic() > give_up:
                raise AssertionError("the host did not come up: " + self.output())
            time.sleep(0.05)
        host, port = read_text(address_file).rsplit(":", 1)
        self.host, self.port = host, int(port)

    def output(self):
        self.log.flush()
        with open(os.path.join(self.dir, "up.log")) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes) of one request on a new connection."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get(self, path):
        return self.request("GET", path)

    def raw(self, data):
        """Sends raw bytes; returns the status line's code (0 when the host closed)."""
        with socket.create_connection((self.host, self.port), timeout=WAIT) as s:
            try:
                s.sendall(data)
            except OSError:
                pass
            reply = b""
            try:
                while b"\r\n" not in reply:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
        if not reply.startswith(b"HTTP/1.1 "):
            return 0
        return int(reply[9:12])

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def assert_alive(self, test):
        status, body = self.get("/hello")
        test.assertEqual(status, 200)
        test.assertEqual(body, b"hello from orivon\n")
        test.assertIsNone(self.process.poll(), "the host exited: " + self.output())


class HostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.host = Host()

    @classmethod
    def tearDownClass(cls):
        cls.host.stop()


class HttpServing(HostTest):
    def test_hello(self):
        status, body = self.host.get("/hello")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"hello from orivon\n")
        # Below the prefix, and with a query.
        self.assertEqual(self.host.get("/hello/there?x=1")[0], 200)

    def test_no_route_is_404(self):
        self.assertEqual(self.host.get("/nothing")[0], 404)
        # A prefix matches whole segments only.
        self.assertEqual(self.host.get("/hellothere")[0], 404)

    def test_state_does_not_leak_between_invocations(self):
        # The guest counts its calls in a global and writes its heap: a fresh
        # instance says 1 and finds all 2 MiB of the heap zeroed, though the
        # pool prefers to give it the slot the one before used (same module,
        # one request at a time). Each way of writing is followed by the
        # others, so every one is checked by a later instance: more than the
        # pool keeps resident, less (reset page by page, nothing handed
        # back), and in more separate runs than one page scan reports.
        for path in ["/h/state", "/h/state", "/h/state/small", "/h/state/small",
                     "/h/state/sparse", "/h/state/sparse", "/h/state/small",
                     "/h/state", "/h/state/sparse", "/h/state"]:
            status, body = self.host.get(path)
            self.assertEqual((status, body), (200, b"1 clean\n"), path)

    def test_request_body_streams_to_the_guest_and_back(self):
        data = os.urandom(3 << 20)
        status, body = self.host.request("POST", "/h/echo", body=data)
        self.assertEqual(status, 200)
        self.assertEqual(body, data)

    def test_response_starts_before_the_request_body_ends(self):
        # A chunked upload: the echo of the first chunk must arrive while the
        # rest of the body has not been sent yet (both directions stream).
        with socket.create_connection((self.host.host, self.host.port), timeout=WAIT) as s:
            s.sendall(b"POST /h/echo HTTP/1.1\r\nHost: localhost\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
            seen = b""
            while b"first" not in seen:
                chunk = s.recv(4096)
                self.assertTrue(chunk, "the host closed before echoing the first chunk")
                seen += chunk
            self.assertTrue(seen.startswith(b"HTTP/1.1 200"))
            s.sendall(b"6\r\nsecond\r\n0\r\n\r\n")
            while not seen.endswith(b"0\r\n\r\n"):
                chunk = s.recv(4096)
                self.assertTrue(chunk, "the host closed before the end of the echo")
                seen += chunk
            self.assertIn(b"second", seen)

    def test_huge_response_is_streamed_whole(self):
        # 96 MiB: half again the guest's 64 MiB, so it cannot have been built
        # in guest memory first, and small enough to stream within the 2 s
        # deadline on a loaded machine (256 MiB did not, once).
        connection = http.client.HTTPConnection(self.host.host, self.host.port, timeout=WAIT)
        connection.request("GET", "/h/huge/96")
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        # Streamed: no Content-Length, chunked as the guest writes.
        self.assertIsNone(response.getheader("content-length"))
        total = 0
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
        connection.close()
        self.assertEqual(total, 96 << 20)
        self.host.assert_alive(self)

    def test_thousand_concurrent_requests_are_all_answered(self):
        start = threading.Barrier(1000, timeout=WAIT)

        def one(_):
            start.wait()
            return self.host.get("/hello")

        with concurrent.futures.ThreadPoolExecutor(max_workers=1000) as pool:
            results = list(pool.map(one, range(1000)))
        statuses = [status for status, _ in results]
        self.assertEqual(statuses.count(200), 1000, sorted(set(statuses)))
        self.assertTrue(all(body == b"hello from orivon\n" for _, body in results))


class HostileHandlers(HostTest):
    def test_trap_is_500_and_the_healthy_route_keeps_answering(self):
        status, body = self.host.get("/h/trap")
        self.assertEqual(status, 500)
        self.assertNotIn(b"wasm", body.lower())  # the cause goes to the module's log, not out
        self.host.assert_alive(self)
        logs = orivon(self.host.state, "logs", HOSTILE).stdout
        self.assertIn("an HTTP request failed", logs)

    def test_endless_loop_is_504_while_others_answer(self):
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            looping = pool.submit(self.host.get, "/h/loop")
            self.host.assert_alive(self)
            status, body = looping.result(timeout=WAIT)
        self.assertEqual(status, 504)
        self.assertIn(b"deadline", body)
        self.host.assert_alive(self)

    def test_memory_bomb_is_contained(self):
        status, _ = self.host.get("/h/bomb")
        self.assertEqual(status, 500)
        self.host.assert_alive(self)

    def test_body_over_the_limit_is_413(self):
        # Said up front by Content-Length: refused before any guest runs (and
        # before the body is sent).
        self.assertEqual(self.host.raw(b"POST /h/echo HTTP/1.1\r\nHost: a\r\n"
                                       b"Content-Length: 16777217\r\n\r\n"), 413)
        # Chunked, to a handler that reads it all before answering: its read
        # fails past the limit and the host answers 413. The upload runs in a
        # thread, since the host may answer (and close) before it ends.
        with socket.create_connection((self.host.host, self.host.port), timeout=WAIT) as s:
            def upload():
                try:
                    s.sendall(b"POST /h/count HTTP/1.1\r\nHost: a\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n")
                    block = b"100000\r\n" + b"y" * (1 << 20) + b"\r\n"
                    for _ in range(17):
                        s.sendall(block)
                    s.sendall(b"0\r\n\r\n")
                except OSError:
                    pass

            sender = threading.Thread(target=upload)
            sender.start()
            reply = b""
            try:
                while b"\r\n" not in reply:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
            sender.join(WAIT)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:80])
        # Under the limit, the same handler counts it all.
        status, body = self.host.request("POST", "/h/count", body=b"z" * (1 << 20))
        self.assertEqual((status, body), (200, b"1048576\n"))
        self.host.assert_alive(self)

    def test_hostile_requests_get_clean_errors(self):
        h = self.host
        self.assertEqual(h.raw(b"GET /hello HTTP/1.1\r\nHost: bad host!\r\n\r\n"), 400)
        self.assertEqual(h.raw(b"GET /hello HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400)
        self.assertEqual(h.raw(b"GET /hello HTTP/1.1\r\nHost: a:99999999\r\n\r\n"), 400)
        self.assertEqual(h.raw(b"GET /hello HTTP/1.1\r\n\r\n"), 400)  # no Host
        self.assertEqual(
            h.raw(b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400)
        self.assertEqual(
            h.raw(b"POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n"), 400)
        long_path = b"/hello/" + b"a" * (100 << 10)
        self.assertIn(h.raw(b"GET " + long_path + b" HTTP/1.1\r\nHost: a\r\n\r\n"), (414, 431))
        many = b"".join(b"X-%d: v\r\n" % i for i in range(500))
        self.assertEqual(h.raw(b"GET /hello HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n"), 431)
        self.assertEqual(h.raw(b"\x00\xff garbage\r\n\r\n"), 400)
        # Both framings: hyper reads it as chunked and drops Content-Length
        # (RFC 9112 6.3 allows either that or a 400).
        self.assertIn(h.raw(b"GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), (200, 400))
        h.assert_alive(self)


class RoutesOnARunningHost(HostTest):
    def test_routes_are_added_and_removed_without_a_restart(self):
        h = self.host
        self.assertEqual(h.get("/new")[0], 404)
        orivon(h.state, "route", "add", "/new", HELLO)
        self.assertEqual(h.get("/new/x")[0], 200)
        orivon(h.state, "route", "remove", "/new")
        self.assertEqual(h.get("/new/x")[0], 404)

    def test_the_longest_prefix_and_the_host_win(self):
        h = self.host
        orivon(h.state, "route", "add", "/h/deeper", HELLO)
        self.assertEqual(h.get("/h/deeper/state"), (200, b"hello from orivon\n"))
        self.assertEqual(h.get("/h/state"), (200, b"1 clean\n"))
        orivon(h.state, "route", "remove", "/h/deeper")
        # A route for the request's host beats a longer host-less one.
        orivon(h.state, "route", "add", "Example.COM/", HOSTILE)
        status, body = h.request("GET", "/hello", headers={"Host": "example.com:8080"})
        self.assertEqual((status, body), (200, b"hostile handler\n"))
        self.assertEqual(h.get("/hello")[1], b"hello from orivon\n")
        orivon(h.state, "route", "remove", "example.com/")

    def test_removing_a_module_takes_its_routes_off_the_running_host(self):
        h = self.host
        manifest = os.path.join(h.dir, "function.toml")
        orivon(h.state, "add", os.path.join(GUESTS, "http_hello.component.wasm"), "--id",
               "gone.app.example", "--manifest", manifest)
        orivon(h.state, "route", "add", "/gone", "gone.app.example")
        self.assertEqual(h.get("/gone")[0], 200)
        orivon(h.state, "remove", "gone.app.example")
        self.assertEqual(h.get("/gone")[0], 404)
        self.assertNotIn("/gone", orivon(h.state, "routes").stdout)

    def test_routes_json_lists_them(self):
        routes = json.loads(orivon(self.host.state, "routes", "--json").stdout)
        self.assertIn({"route": "/hello", "host": None, "prefix": "/hello", "id": HELLO}, routes)


class ManifestRoutes(HostTest):
    """A manifest's `[[triggers]] kind = "http"` routes requests to its module."""

    def write_manifest(self, name, routes):
        path = os.path.join(self.host.dir, name)
        with open(path, "w") as f:
            f.write(MANIFEST)
            for route in routes:
                f.write('\n[[triggers]]\nkind = "http"\nroute = "%s"\n' % route)
        return path

    def add(self, module, manifest, check=True):
        return orivon(self.host.state, "add", os.path.join(GUESTS, "http_hello.component.wasm"),
                      "--id", module, "--manifest", manifest, check=check)

    def test_routes_come_with_the_module_are_listed_and_go_with_it(self):
        h = self.host
        module = "routed.app.example"
        self.add(module, self.write_manifest("routed.toml", ["/routed", "Example.org/api"]))
        self.assertEqual(h.get("/routed/x"), (200, b"hello from orivon\n"))
        status, body = h.request("GET", "/api/v1", headers={"Host": "example.org"})
        self.assertEqual((status, body), (200, b"hello from orivon\n"))
        routes = json.loads(orivon(h.state, "routes", "--json").stdout)
        self.assertIn({"route": "/routed", "host": None, "prefix": "/routed", "id": module}, routes)
        self.assertIn({"route": "example.org/api", "host": "example.org", "prefix": "/api",
                       "id": module}, routes)
        self.assertIn("route /routed", orivon(h.state, "triggers", module).stdout)
        orivon(h.state, "remove", module)
        self.assertEqual(h.get("/routed/x")[0], 404)
        self.assertNotIn("/routed", orivon(h.state, "routes").stdout)

    def test_a_route_that_leads_elsewhere_is_refused_at_add_time(self):
        h = self.host
        result = self.add("clash.app.example", self.write_manifest("clash.toml", ["/hello"]),
                          check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("already leads to '%s'" % HELLO, result.stderr)
        # Nothing was installed, and the route still leads where it did.
        self.assertNotIn("clash.app.example", orivon(h.state, "list").stdout)
        h.assert_alive(self)

    def test_a_bad_route_or_a_module_that_is_no_handler_is_refused(self):
        h = self.host
        result = self.add("bad.app.example", self.write_manifest("bad.toml", ["/a/../b"]),
                          check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("bad route", result.stderr)
        result = orivon(h.state, "add", os.path.join(GUESTS, "reactor.component.wasm"), "--id",
                        "reactor.app.example", "--manifest",
                        self.write_manifest("reactor.toml", ["/reactor"]), check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("wasi:http/incoming-handler", result.stderr)
        listed = orivon(h.state, "list").stdout
        self.assertNotIn("bad.app.example", listed)
        self.assertNotIn("reactor.app.example", listed)
        self.assertEqual(h.get("/reactor")[0], 404)

    def test_a_bulk_add_applies_each_manifests_routes_or_installs_none(self):
        h = self.host

        def folder(name, modules):
            path = os.path.join(h.dir, name)
            os.mkdir(path)
            for module, route in modules:
                shutil.copy(os.path.join(GUESTS, "http_hello.component.wasm"),
                            os.path.join(path, module + ".wasm"))
                with open(os.path.join(path, module + ".toml"), "w") as f:
                    f.write('id = "%s.app.example"\n%s\n[[triggers]]\nkind = "http"\n'
                            'route = "%s"\n' % (module, MANIFEST, route))
            return path

        # Two modules in one batch (`orivon add DIR`), through the running host.
        orivon(h.state, "add", folder("bulk", [("bulkone", "/bulk-one"),
                                               ("bulktwo", "bulk.example/two")]))
        self.assertEqual(h.get("/bulk-one/x"), (200, b"hello from orivon\n"))
        status, body = h.request("GET", "/two", headers={"Host": "bulk.example"})
        self.assertEqual((status, body), (200, b"hello from orivon\n"))
        routes = json.loads(orivon(h.state, "routes", "--json").stdout)
        self.assertIn({"route": "/bulk-one", "host": None, "prefix": "/bulk-one",
                       "id": "bulkone.app.example"}, routes)
        self.assertIn({"route": "bulk.example/two", "host": "bulk.example", "prefix": "/two",
                       "id": "bulktwo.app.example"}, routes)

        # A batch one of whose routes leads elsewhere installs none of it.
        result = orivon(h.state, "add", folder("clash", [("bulkthree", "/bulk-three"),
                                                         ("bulkfour", "/hello")]), check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("already leads to '%s'" % HELLO, result.stderr)
        # Nor one whose modules ask for the same route.
        result = orivon(h.state, "add", folder("twice", [("bulkfive", "/bulk-same"),
                                                         ("bulksix", "/bulk-same")]), check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("both ask for the http trigger route '/bulk-same'", result.stderr)
        listed = orivon(h.state, "list").stdout
        for module in ("bulkthree", "bulkfour", "bulkfive", "bulksix"):
            self.assertNotIn(module + ".app.example", listed)
        self.assertEqual(h.get("/bulk-three")[0], 404)
        self.assertEqual(h.get("/bulk-same")[0], 404)
        self.assertEqual(h.get("/hello")[0], 200)
        for module in ("bulkone", "bulktwo"):
            orivon(h.state, "remove", module + ".app.example")
        self.assertEqual(h.get("/bulk-one/x")[0], 404)

    def test_an_update_moves_the_modules_routes(self):
        h = self.host
        module = "moving.app.example"
        self.add(module, self.write_manifest("one.toml", ["/one"]))
        self.assertEqual(h.get("/one")[0], 200)
        orivon(h.state, "update", module, "--manifest", self.write_manifest("two.toml", ["/two"]))
        self.assertEqual(h.get("/one")[0], 404)
        self.assertEqual(h.get("/two")[0], 200)
        orivon(h.state, "remove", module)


class PooledSlots(unittest.TestCase):
    """Function instances come from a pool of --function-slots slots."""

    @classmethod
    def setUpClass(cls):
        cls.host = Host(up_args=("--function-slots", "1"))

    @classmethod
    def tearDownClass(cls):
        cls.host.stop()

    def hold_the_only_slot(self, pool):
        """Sends /h/loop, which holds the only slot until its 2 s deadline, and
        returns its future and the body of a /hello refused meanwhile. The loop
        itself is refused when it arrives while a /hello holds the slot: then it
        is sent again."""
        h = self.host
        give_up = time.monotonic() + WAIT
        while time.monotonic() < give_up:
            looping = pool.submit(h.get, "/h/loop")
            while not looping.done() and time.monotonic() < give_up:
                status, body = h.get("/hello")
                if status == 503:
                    return looping, body
                self.assertEqual(status, 200)
            self.assertEqual(looping.result(timeout=WAIT)[0], 503,
                             "the loop ended without a /hello refused meanwhile")
        self.fail("the loop never held the slot")

    def test_a_full_pool_is_503_and_the_host_carries_on(self):
        h = self.host
        h.assert_alive(self)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            looping, busy = self.hold_the_only_slot(pool)
            status, _ = looping.result(timeout=WAIT)
        self.assertEqual(status, 504)
        self.assertIn(b"capacity", busy)
        h.assert_alive(self)

    def test_a_function_above_a_slot_runs_on_demand(self):
        h = self.host
        manifest = os.path.join(h.dir, "big.toml")
        with open(manifest, "w") as f:
            f.write(MANIFEST.replace('"64MiB"', '"1GiB"'))
        big = "big.app.example"
        orivon(h.state, "add", os.path.join(GUESTS, "http_hello.component.wasm"), "--id", big,
               "--manifest", manifest)
        orivon(h.state, "route", "add", "/big", big)
        self.assertEqual(h.get("/big"), (200, b"hello from orivon\n"))
        self.assertIn("on-demand engine", orivon(h.state, "logs", big).stdout)
        # Not pooled, so it answers while the one slot is taken.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            looping, _ = self.hold_the_only_slot(pool)
            self.assertEqual(h.get("/big"), (200, b"hello from orivon\n"))
            self.assertEqual(looping.result(timeout=WAIT)[0], 504)
        orivon(h.state, "remove", big)


class RouteCommands(unittest.TestCase):
    """The CLI without a host: what it accepts and how it refuses."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="orivon-route-")
        self.state = os.path.join(self.dir, "state")
        manifest = os.path.join(self.dir, "function.toml")
        with open(manifest, "w") as f:
            f.write(MANIFEST)
        orivon(self.state, "add", os.path.join(GUESTS, "http_hello.component.wasm"), "--id", HELLO,
               "--manifest", manifest)
        # The same code without [function]: not a function module.
        orivon(self.state, "add", os.path.join(GUESTS, "http_hello.component.wasm"), "--id",
               "plain.app.example")
        # A function that is not an HTTP handler.
        orivon(self.state, "add", os.path.join(GUESTS, "reactor.component.wasm"), "--id",
               "reactor.app.example", "--manifest", manifest)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused(self, *args):
        result = orivon(self.state, *args, check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        return result.stderr

    def test_add_list_remove(self):
        out = orivon(self.state, "route", "add", "api.example.com/v1/", HELLO, "--json").stdout
        self.assertEqual(json.loads(out), {"route": "api.example.com/v1", "host": "api.example.com",
                                           "prefix": "/v1", "id": HELLO})
        self.assertIn("api.example.com/v1", orivon(self.state, "routes").stdout)
        orivon(self.state, "route", "remove", "API.example.com/v1")
        self.assertEqual(json.loads(orivon(self.state, "routes", "--json").stdout), [])
        self.assertIn("no routes", orivon(self.state, "routes").stdout)

    def test_bad_routes_are_refused(self):
        for bad in ["", "hello", "/a b", "/a?q", "http://x/a", "/a//b", "/a/../b", "bad host/a",
                    "x:80/a", "/" + "a" * 2000]:
            self.assertIn("bad route", self.refused("route", "add", bad, HELLO), bad)

    def test_unknown_non_function_and_non_http_modules_are_refused(self):
        self.assertIn("no module", self.refused("route", "add", "/x", "missing.app.example"))
        self.assertIn("not a function module",
                      self.refused("route", "add", "/x", "plain.app.example"))
        self.assertIn("wasi:http/incoming-handler",
                      self.refused("route", "add", "/x", "reactor.app.example"))
        self.assertIn("no route", self.refused("route", "remove", "/x"))
        self.assertEqual(orivon(self.state, "route", "add", "/x", "Bad Id!", check=False).returncode,
                         2)

    def test_removing_a_module_removes_its_routes(self):
        orivon(self.state, "route", "add", "/x", HELLO)
        orivon(self.state, "remove", HELLO)
        self.assertEqual(json.loads(orivon(self.state, "routes", "--json").stdout), [])

    def test_up_refuses_a_bad_http_address(self):
        result = orivon(self.state, "up", "--http", "not-an-address", check=False)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--http", result.stderr)

    def test_help(self):
        for command in (["route", "--help"], ["route", "add", "--help"], ["routes", "--help"]):
            self.assertIn("PREFIX", orivon(self.state, *command).stdout)
        self.assertIn("--http", orivon(self.state, "up", "--help").stdout)


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
