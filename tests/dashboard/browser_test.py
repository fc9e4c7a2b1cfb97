#!/usr/bin/env python3
"""The dashboard's page in a real browser.

Starts `orivon up --dashboard 127.0.0.1:0` on a fresh state directory with
three modules (a healthy service, a library, and a command service whose
log and description hold markup), then drives headless Chromium through
chromedriver's WebDriver HTTP API (only the standard library is used) and
checks that:
  - without the token the page is refused (401);
  - with the URL from `orivon dashboard-url` the page lists every module;
  - markup in a log line and in a description shows as text and never runs;
  - a click on Stop stops the service, as `orivon list --json` confirms.
It saves a screenshot of the page (--screenshot). Every wait is bounded.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
PAYLOAD = "<script>window.__orivonPwned = 1</script>"
DESCRIPTION = 'xss <img src=x onerror="window.__orivonPwned = 2"> probe'


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def wait_until(what, check, limit=30.0, step=0.2):
    """Calls check() until it returns a true value (returned), or fails."""
    give_up = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= give_up:
            fail("timed out waiting for " + what)
        time.sleep(step)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Orivon:
    def __init__(self, binary, state):
        self.binary = binary
        self.state = state

    def run(self, *args, check=True):
        result = subprocess.run([self.binary, "--state", self.state, *args],
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            fail("orivon %s: exit %d: %s" % (" ".join(args), result.returncode, result.stderr))
        return result

    def state_of(self, module):
        for entry in json.loads(self.run("list", "--json").stdout):
            if entry["id"] == module:
                return entry["state"]
        return None


class WebDriver:
    """The few WebDriver commands this test needs, over HTTP."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.session = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            fail("webdriver %s %s: %s" % (method, path, error.read()[:500]))

    def ready(self):
        try:
            with urllib.request.urlopen(self.base + "/status", timeout=2) as response:
                return json.loads(response.read())["value"]["ready"]
        except (OSError, ValueError, KeyError):
            return False

    def start(self, profile_dir):
        options = {"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--no-first-run",
                            "--user-data-dir=" + profile_dir, "--window-size=1500,1000"]}
        for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
            if os.path.exists(binary):
                options["binary"] = binary
                break
        value = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        self.session = value["sessionId"]

    def stop(self):
        if self.session:
            try:
                self.call("DELETE", "/session/" + self.session)
            except SystemExit:
                pass
            self.session = None

    def go(self, url):
        self.call("POST", "/session/%s/url" % self.session, {"url": url})

    def run(self, script, *args):
        return self.call("POST", "/session/%s/execute/sync" % self.session,
                         {"script": script, "args": list(args)})

    def find_all(self, css):
        return [e[ELEMENT] for e in self.call("POST", "/session/%s/elements" % self.session,
                                               {"using": "css selector", "value": css})]

    def click(self, css):
        elements = wait_until("an element " + css, lambda: self.find_all(css))
        self.call("POST", "/session/%s/element/%s/click" % (self.session, elements[0]), {})

    def screenshot(self, path):
        png = base64.b64decode(self.call("GET", "/session/%s/screenshot" % self.session))
        with open(path, "wb") as out:
            out.write(png)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orivon", required=True)
    parser.add_argument("--guests", required=True)
    parser.add_argument("--screenshot")
    options = parser.parse_args()

    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(chromedriver):
        fail("chromedriver is missing: scripts/setup.sh installs chromium and chromium-driver")

    work = tempfile.mkdtemp(prefix="orivon-dashboard-")
    host = driver_process = None
    driver = None
    try:
        orivon = Orivon(options.orivon, os.path.join(work, "state"))
        host = subprocess.Popen([options.orivon, "--state", orivon.state, "up",
                                 "--dashboard", "127.0.0.1:0"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        address = None
        give_up = time.monotonic() + 120
        for line in host.stdout:
            found = re.search(r"dashboard on http://(127\.0\.0\.1:\d+)/", line)
            if found:
                address = found.group(1)
            if "orivon host up" in line or time.monotonic() > give_up:
                break
        if not address:
            fail("the host did not report its dashboard")
        # Keep reading the host's output so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in host.stdout], daemon=True).start()

        guest = lambda name: os.path.join(options.guests, name + ".core.wasm")
        orivon.run("add", guest("service_probe"), "--id", "app.svc.test")
        orivon.run("add", guest("reactor"), "--id", "lib.math.test")
        manifest = os.path.join(work, "xss.json")
        with open(manifest, "w") as out:
            json.dump({"id": "app.xss.test", "description": DESCRIPTION}, out)
        orivon.run("add", guest("command_probe"), "--manifest", manifest)
        orivon.run("allow", "app.xss.test", "env:MODE=" + PAYLOAD)
        orivon.run("start", "app.svc.test")
        orivon.run("start", "app.xss.test", check=False)  # it prints, then exits: crashes
        for _ in range(5):
            orivon.run("call", "app.svc.test", "ping()")
        wait_until("the payload in the module's log",
                   lambda: PAYLOAD in orivon.run("logs", "app.xss.test").stdout)

        url = orivon.run("dashboard-url").stdout.strip()
        if not url.startswith("http://" + address + "/?token="):
            fail("dashboard-url printed " + url)

        # chromedriver takes a port, not port 0: a free one is picked, and
        # another if something took it meanwhile (at most three tries).
        for attempt in range(3):
            port = free_port()
            driver_process = subprocess.Popen([chromedriver, "--port=%d" % port],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            driver = WebDriver(port)
            give_up = time.monotonic() + 60
            while driver_process.poll() is None and not driver.ready() and time.monotonic() < give_up:
                time.sleep(0.2)
            if driver.ready():
                break
            driver_process.kill()
            driver_process.wait()
            driver = None
        if driver is None:
            fail("chromedriver did not start")
        driver.start(os.path.join(work, "profile"))

        # Without the token: refused.
        driver.go("http://" + address + "/")
        body = driver.run("return document.body ? document.body.innerText : ''")
        if "token is required" not in body:
            fail("the page without a token showed: " + body[:200])

        driver.go(url)
        wait_until("the page to load the status",
                   lambda: driver.run("return document.body.dataset.loaded === 'true'"))
        listed = wait_until("the modules in the table", lambda: (lambda ids: ids if len(ids) == 3 else None)(
            driver.run("return [...document.querySelectorAll('#modules tr')].map(r => r.dataset.module)")))
        if sorted(listed) != ["app.svc.test", "app.xss.test", "lib.math.test"]:
            fail("the table lists " + repr(listed))
        row_text = driver.run(
            "return document.querySelector('tr[data-module=\"app.xss.test\"]').innerText")
        if DESCRIPTION not in row_text:
            fail("the description is not shown as text: " + row_text)

        # The module's log, markup and all, as text.
        driver.click('button[data-action="logs"][data-module="app.xss.test"]')
        wait_until("the payload in the page's log view",
                   lambda: PAYLOAD in driver.run("return document.getElementById('logs').innerText"))
        injected = driver.run(
            "return document.querySelectorAll('#logs script, #logs img, #modules script, "
            "#modules img').length")
        if injected != 0:
            fail("markup from a module became %d elements" % injected)
        if driver.run("return window.__orivonPwned === undefined") is not True:
            fail("a module's markup ran in the page")

        if options.screenshot:
            # Rates need two readings: wait for them, for a screenshot that shows them.
            wait_until("calls per second on the page", lambda: driver.run(
                "return [...document.querySelectorAll('#cards .card')].some(c => "
                "c.firstChild.textContent === 'Calls/s' && c.children[1].textContent !== '-')"))
            driver.screenshot(options.screenshot)

        # Stop, by a click.
        if orivon.state_of("app.svc.test") != "running":
            fail("app.svc.test is not running before the click")
        driver.click('button[data-action="stop"][data-module="app.svc.test"]')
        wait_until("app.svc.test to stop (orivon list)",
                   lambda: orivon.state_of("app.svc.test") == "stopped")
        wait_until("the page to show it stopped", lambda: driver.run(
            "return document.querySelector('tr[data-module=\"app.svc.test\"] .state')"
            ".textContent === 'stopped'"))
        if driver.run("return window.__orivonPwned === undefined") is not True:
            fail("a module's markup ran in the page")
        print("ok: page listed 3 modules, showed markup as text, stopped app.svc.test")
    finally:
        if driver:
            driver.stop()
        for process in (driver_process, host):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
