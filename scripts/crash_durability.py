#!/usr/bin/env python3
"""Durability under repeated crashes: SIGKILLs `orivon up` at random moments
while clients install, grant and change state, then checks that the database
is intact and that nothing the CLI acknowledged was lost.

Run through scripts/crash-durability.sh (which finds the build); the options
are described by --help. What it covers, and what not yet:

- Operations, from several concurrent clients, through the host's control
  socket when one answers and on the state directory directly otherwise (the
  host is starting, or was just killed): `orivon add` (services and
  libraries), `remove`, `grant` / `revoke` (call grants), `allow` / `deny`
  (system grants, unique `env:` grants), `start` / `stop` (autostart marks,
  and a real start or stop in the host).
- Key-value writes and durable events do not exist in orivon yet, so they
  are not exercised; add them here when they do.
- Each round starts `orivon up`, lets the clients run, sends SIGKILL after a
  random delay (often while the host is still loading), waits for the
  clients' commands in flight to end, then (every --check-every rounds, and
  always after the last) runs `PRAGMA integrity_check` and
  `PRAGMA foreign_key_check` on STATE/state.db with Python's sqlite3 module
  and compares what `orivon list/grants/inspect --json` report with every
  acknowledged (exit status 0) command.

An acknowledged command is lost when the state a check finds differs from
the one that command set, and that command was the last on its object (a
module, a call grant, a system grant, an autostart mark). An object whose
last command failed is not checked: a command that fails when the host dies
under it may or may not have been applied, and either is correct. A command
that fails always ends before the next one on the same object starts (one
client at a time per module), and the host dies before the check, so no
failed command can take effect after a later acknowledged one.

Everything stays on this machine: the state directory is a temporary one and
the only socket is the host's Unix control socket.
"""

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# One client command: abandoned (and counted as failed) after this long. No
# command here takes more than a second or two, even while a host loads.
COMMAND_TIMEOUT_S = 120
HOST_EXIT_TIMEOUT_S = 30


class Module:
    def __init__(self, module_id, kind):
        self.id = module_id
        self.kind = kind          # "service" or "library"
        self.lock = threading.Lock()
        self.state = "adding"     # adding -> live | limbo -> removing
        self.acked = False        # its add was acknowledged
        self.decided = []         # system grants allowed or denied so far


class Tracker:
    """Every command issued, and the objects they act on. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.modules = {}         # id -> Module
        # object key -> (sequence, desired state, acknowledged) of the last
        # command on it (commands on one object never overlap)
        self.last = {}
        self.sequence = 0
        self.acknowledged = 0
        self.failed = 0
        self.via_host = 0
        self.direct = 0
        self.failure_kinds = {}   # first line of stderr -> count
        self.by_op = {}           # op -> [acknowledged, failed]

    def next_sequence(self):
        with self.lock:
            self.sequence += 1
            return self.sequence

    def record(self, op, keys_and_states, result, sequence):
        acked = result.returncode == 0
        with self.lock:
            counts = self.by_op.setdefault(op, [0, 0])
            counts[0 if acked else 1] += 1
            if acked:
                self.acknowledged += 1
                if "(answered by the running host)" in result.stderr:
                    self.via_host += 1
                else:
                    self.direct += 1
            else:
                self.failed += 1
                reason = next((line for line in result.stderr.splitlines()
                               if line.startswith("error:")), result.stderr.strip()[:120])
                reason = re.sub(r"'[a-z0-9-]+(\.[a-z0-9-]+){2,}'", "'ID'", reason)
                self.failure_kinds[reason] = self.failure_kinds.get(reason, 0) + 1
            for key, state in keys_and_states:
                if key not in self.last or self.last[key][0] < sequence:
                    self.last[key] = (sequence, state, acked)
        return acked

    def expected(self):
        """{key: state} for every object whose last command was acknowledged."""
        with self.lock:
            return {key: state for key, (_, state, acked) in self.last.items() if acked}

    def last_state(self, key):
        """The state the last command on `key` set, if it was acknowledged."""
        with self.lock:
            _, state, acked = self.last.get(key, (0, None, False))
            return state if acked else None

    def forget(self, predicate):
        with self.lock:
            for key in [k for k in self.last if predicate(k)]:
                del self.last[key]


class Load:
    """Clients issuing random commands until told to stop."""

    def __init__(self, orivon, state, guests, tracker, rng_seed, max_modules):
        self.orivon = orivon
        self.state = state
        self.guests = guests
        self.tracker = tracker
        self.rng = random.Random(rng_seed)
        self.rng_lock = threading.Lock()
        self.max_modules = max_modules
        self.stop = threading.Event()
        self.names = 0

    def cli(self, *args):
        env = dict(os.environ, ORIVON_STATE=str(self.state))
        try:
            return subprocess.run([self.orivon, *args], capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT_S, env=env, check=False)
        except subprocess.TimeoutExpired as timeout:
            return subprocess.CompletedProcess(timeout.cmd, 124, "", "error: timed out")

    def choice(self, items):
        with self.rng_lock:
            return self.rng.choice(items) if items else None

    def random(self):
        with self.rng_lock:
            return self.rng.random()

    def pick(self, kind=None, states=("live",)):
        with self.tracker.lock:
            candidates = [m for m in self.tracker.modules.values()
                          if m.state in states and (kind is None or m.kind == kind)]
        return self.choice(candidates)

    # --- operations -------------------------------------------------------

    def add(self):
        kind = "service" if self.random() < 0.7 else "library"
        with self.tracker.lock:
            self.names += 1
            prefix = "app" if kind == "service" else "lib"
            module = Module(f"{prefix}.crash{self.names}.durability", kind)
            self.tracker.modules[module.id] = module
        with module.lock:
            sequence = self.tracker.next_sequence()
            result = self.cli("add", str(self.guests[kind]), "--id", module.id)
            acked = self.tracker.record("add", [(("module", module.id), True)], result, sequence)
            with self.tracker.lock:
                module.acked = acked
                module.state = "live" if acked else "limbo"

    def remove(self, module):
        # Its grants, decisions and marks go with it: stop checking them.
        with self.tracker.lock:
            module.state = "removing"
        self.tracker.forget(lambda key: key[0] != "module" and module.id in key[1:])
        sequence = self.tracker.next_sequence()
        # --force: its grants go with it even while others hold grants on it.
        result = self.cli("remove", "--force", module.id)
        self.tracker.record("remove", [(("module", module.id), False)], result, sequence)

    def grant(self, caller, target, give):
        key = ("call", caller.id, target.id)
        sequence = self.tracker.next_sequence()
        result = self.cli("grant" if give else "revoke", caller.id, target.id, "add")
        self.tracker.record("grant" if give else "revoke", [(key, give)], result, sequence)

    def decide(self, module, allow):
        with self.tracker.lock:
            self.names += 1
            text = f"env:CRASH{self.names}=v"
        # Sometimes decide again on a grant decided before, to flip it.
        if self.random() < 0.3:
            text = self.choice(module.decided) or text
        key = ("decision", module.id, text)
        sequence = self.tracker.next_sequence()
        if text not in module.decided:
            module.decided.append(text)
        result = self.cli("allow" if allow else "deny", module.id, text)
        self.tracker.record("allow" if allow else "deny", [(key, "granted" if allow else "denied")],
                            result, sequence)

    def mark(self, module, start):
        key = ("autostart", module.id)
        sequence = self.tracker.next_sequence()
        result = self.cli("start" if start else "stop", module.id)
        self.tracker.record("start" if start else "stop", [(key, start)], result, sequence)

    def step(self):
        with self.tracker.lock:
            live = sum(1 for m in self.tracker.modules.values() if m.state in ("live", "adding"))
            limbo = [m for m in self.tracker.modules.values() if m.state == "limbo"]
        roll = self.random()
        if limbo and roll < 0.1:
            module = self.choice(limbo)
            if module.lock.acquire(blocking=False):
                try:
                    if module.state == "limbo":
                        self.remove(module)
                finally:
                    module.lock.release()
            return
        if live < 4 or (live < self.max_modules and roll < 0.25):
            self.add()
            return
        if live >= self.max_modules and roll < 0.35:
            module = self.pick()
            if module and module.lock.acquire(blocking=False):
                try:
                    if module.state == "live":
                        self.remove(module)
                finally:
                    module.lock.release()
            return
        # Operations on live modules; one client at a time per module.
        caller = self.pick("service")
        if roll < 0.55:
            target = self.pick()
            if not caller or not target or caller is target:
                return
            first, second = sorted([caller, target], key=lambda m: m.id)
            if not first.lock.acquire(blocking=False):
                return
            try:
                if not second.lock.acquire(blocking=False):
                    return
                try:
                    if caller.state == "live" and target.state == "live":
                        held = self.tracker.last_state(("call", caller.id, target.id))
                        # Revoke only what is held, so a revoke fails only by a crash.
                        self.grant(caller, target, give=not held or self.random() < 0.5)
                finally:
                    second.lock.release()
            finally:
                first.lock.release()
            return
        module = self.pick() if roll < 0.8 else caller
        if not module or not module.lock.acquire(blocking=False):
            return
        try:
            if module.state != "live":
                return
            if roll < 0.8:
                self.decide(module, allow=self.random() < 0.75)
            else:
                self.mark(module, start=self.random() < 0.6)
        finally:
            module.lock.release()

    def client(self):
        while not self.stop.is_set():
            self.step()


def integrity(state):
    """'ok', or what SQLite says is wrong."""
    database = state / "state.db"
    if not database.exists():
        return "ok"
    connection = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=30)
    try:
        rows = [r[0] for r in connection.execute("PRAGMA integrity_check")]
        foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    problems = [] if rows == ["ok"] else rows
    problems += [f"foreign key: {row}" for row in foreign]
    return "ok" if not problems else "; ".join(map(str, problems))[:2000]


def observed(load):
    """What the state directory holds now, read through the CLI (no host runs)."""
    listing = load.cli("list", "--json")
    if listing.returncode != 0:
        raise RuntimeError(f"orivon list failed: {listing.stderr.strip()}")
    modules = {m["id"]: m for m in json.loads(listing.stdout)}
    grants = load.cli("grants", "--json")
    if grants.returncode != 0:
        raise RuntimeError(f"orivon grants failed: {grants.stderr.strip()}")
    calls = set()
    for grant in json.loads(grants.stdout):
        if grant["all"] or "add" in grant["functions"]:
            calls.add((grant["caller"], grant["target"]))
    return modules, calls


def decisions_of(load, module_id):
    shown = load.cli("inspect", module_id, "--json")
    if shown.returncode != 0:
        raise RuntimeError(f"orivon inspect {module_id} failed: {shown.stderr.strip()}")
    return {g["grant"]: g["status"] for g in json.loads(shown.stdout).get("grants", [])}


def check(load):
    """Returns (objects checked, [lost acknowledged commands])."""
    expected = load.tracker.expected()
    modules, calls = observed(load)
    lost = []
    decisions = {}
    for key, state in sorted(expected.items(), key=str):
        kind = key[0]
        if kind == "module":
            present = key[1] in modules
            if present != state:
                lost.append(f"{'add' if state else 'remove'} {key[1]}: "
                            f"{'missing' if state else 'still installed'}")
        elif kind == "call":
            if ((key[1], key[2]) in calls) != state:
                lost.append(f"{'grant' if state else 'revoke'} {key[1]} {key[2]} add: "
                            f"{'missing' if state else 'still granted'}")
        elif kind == "decision":
            if key[1] not in modules:
                found = "its module is missing"
            else:
                if key[1] not in decisions:
                    decisions[key[1]] = decisions_of(load, key[1])
                found = decisions[key[1]].get(key[2], "absent")
            if found != state:
                lost.append(f"{'allow' if state == 'granted' else 'deny'} {key[1]} {key[2]}: {found}")
        elif kind == "autostart":
            found = modules.get(key[1], {}).get("autostart")
            if found != state:
                lost.append(f"{'start' if state else 'stop'} {key[1]}: autostart is {found}")
    # A removed module takes its call grants with it.
    removed = {key[1] for key, state in expected.items() if key[0] == "module" and not state}
    for caller, target in calls:
        if caller in removed or target in removed:
            lost.append(f"remove: grant {caller} -> {target} outlived its module")
    return len(expected), lost


def run(options):
    orivon = str(options.orivon)
    guests = {"service": options.guests / "service_probe.core.wasm",
              "library": options.guests / "reactor.core.wasm"}
    for path in [Path(orivon), *guests.values()]:
        if not path.exists():
            sys.exit(f"error: {path} not found (build orivon first)")
    seed = options.seed if options.seed is not None else random.randrange(1 << 31)
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="orivon-crash-", dir=options.work_dir))
    state = work / "state"
    host_log = work / "host.log"
    tracker = Tracker()
    load = Load(orivon, state, guests, tracker, rng.randrange(1 << 31), options.max_modules)
    print(f"crash durability: {options.rounds} rounds, {options.clients} clients, "
          f"kill within {options.max_delay} s, check every {options.check_every}, seed {seed}")
    print(f"state directory: {state}")

    started = time.monotonic()
    integrity_failures = []
    all_lost = {}  # lost command -> round it was first seen
    checks = 0
    checked_objects = 0
    early_exits = 0
    rounds_done = 0
    for round_number in range(1, options.rounds + 1):
        if options.time_limit and time.monotonic() - started > options.time_limit:
            print(f"time limit of {options.time_limit} s reached after {rounds_done} rounds")
            break
        with open(host_log, "w", encoding="utf-8") as log:
            host = subprocess.Popen([orivon, "up", "--state", str(state)],
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        load.stop.clear()
        clients = [threading.Thread(target=load.client, daemon=True)
                   for _ in range(options.clients)]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0, options.max_delay))
        if host.poll() is not None:
            early_exits += 1
            print(f"round {round_number}: the host exited by itself ({host.returncode}):\n"
                  + host_log.read_text(encoding="utf-8", errors="replace")[-2000:])
        host.send_signal(signal.SIGKILL)
        host.wait(timeout=HOST_EXIT_TIMEOUT_S)
        load.stop.set()
        for client in clients:
            client.join()
        rounds_done = round_number

        if round_number % options.check_every == 0 or round_number == options.rounds:
            checks += 1
            verdict = integrity(state)
            if verdict != "ok":
                integrity_failures.append((round_number, verdict))
                print(f"round {round_number}: integrity check failed: {verdict}")
            objects, lost = check(load)
            checked_objects += objects
            # A loss stays visible at every later check; count it once.
            for item in lost:
                if item not in all_lost:
                    all_lost[item] = round_number
                    print(f"round {round_number}: LOST {item}")
        if round_number % 50 == 0:
            print(f"  {round_number} rounds, {tracker.acknowledged} acknowledged, "
                  f"{len(all_lost)} lost, {len(integrity_failures)} integrity failures, "
                  f"{time.monotonic() - started:.0f} s", flush=True)

    elapsed = time.monotonic() - started
    summary = {
        "rounds": rounds_done,
        "seed": seed,
        "clients": options.clients,
        "checks": checks,
        "objects_checked": checked_objects,
        "commands": tracker.acknowledged + tracker.failed,
        "acknowledged": tracker.acknowledged,
        "acknowledged_via_host": tracker.via_host,
        "acknowledged_direct": tracker.direct,
        "failed": tracker.failed,
        "by_command": {op: {"acknowledged": a, "failed": f}
                       for op, (a, f) in sorted(tracker.by_op.items())},
        "lost_acknowledged": len(all_lost),
        "integrity_failures": len(integrity_failures),
        "host_exited_early": early_exits,
        "seconds": round(elapsed, 1),
        "failure_reasons": dict(sorted(tracker.failure_kinds.items(), key=lambda kv: -kv[1])[:10]),
    }
    print(json.dumps(summary, indent=2))
    if options.json:
        Path(options.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not options.keep:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    else:
        print(f"kept {work}")
    return 1 if all_lost or integrity_failures or early_exits else 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orivon", type=Path, required=True, help="the orivon binary")
    parser.add_argument("--guests", type=Path, required=True, help="build/guests")
    parser.add_argument("--rounds", type=int, default=1000, help="host kills (default 1000)")
    parser.add_argument("--clients", type=int, default=3, help="concurrent clients (default 3)")
    parser.add_argument("--max-delay", type=float, default=2.0,
                        help="longest time from a host's start to its kill, s (default 2)")
    parser.add_argument("--check-every", type=int, default=1,
                        help="check after every K-th kill (default 1)")
    parser.add_argument("--max-modules", type=int, default=12,
                        help="modules installed at once, about (default 12)")
    parser.add_argument("--seed", type=int, help="random seed (default: random, printed)")
    parser.add_argument("--time-limit", type=float, default=4 * 3600,
                        help="stop starting rounds after this many seconds (default 4 h; 0: none)")
    parser.add_argument("--work-dir", help="where the temporary state directory goes")
    parser.add_argument("--json", help="also write the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
