#!/usr/bin/env python3
"""A minimal runner for wasi-testsuite test directories.

scripts/wasi-testsuite.sh prefers the suite's own runner (test-runner/) and
uses this one when that runner cannot drive a command-line adapter such as
orivon_adapter.py: upstream changed its adapter interface on 2025-09-19, so
newer checkouts need this runner, and it also works without any checkout of
the runner at all.

It reads a test directory the way the suite's runner does:

  DIR/manifest.json   {"name": ..., "version": "wasm32-wasip1"}; both optional
                      (without "version", a directory named wasm32-wasipN says it)
  DIR/NAME.wasm       one test
  DIR/NAME.json       optional spec: "args" (list), "env" (object), "root"
                      (a directory next to the test, granted as the guest's
                      "/"; the suite's format since 2025), "dirs" (list of
                      directories next to the test, each granted under its
                      own name; the format before), "exit_code" (default 0),
                      "stdout" and "stderr" (exact text, checked only when
                      given)

For each test it deletes stale *.cleanup files in the granted directories,
calls the adapter like the suite's runner does

  python3 ADAPTER --test-file DIR/NAME.wasm [--dir HOST::GUEST]...
                  [--env NAME=VALUE]... [--arg ARG]...

then compares the exit status (and stdout/stderr when the spec gives them)
and cleans up again. Specs in the newer operation-based form ("operations",
"proposals") and suites for WASI versions orivon cannot run are reported as
skipped, with the reason.
"""

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

# "root" replaced "dirs" upstream; a spec has one or the other.
LEGACY_KEYS = {"args", "env", "root", "dirs", "exit_code", "stdout", "stderr"}
OPERATION_KEYS = {"operations", "proposals", "world"}
# WASI versions orivon runs: preview1 core modules. (Suites built for
# wasm32-wasip2 would be components, which orivon also runs, but the suite
# has none; wasm32-wasip3 needs async component support orivon lacks.)
SUPPORTED_VERSIONS = {"wasm32-wasip1", "wasm32-wasip2"}

DEFAULT_ADAPTER = Path(__file__).resolve().parent / "orivon_adapter.py"


class Spec:
    def __init__(self, data):
        self.args = [str(a) for a in data.get("args", [])]
        self.env = {str(k): str(v) for k, v in data.get("env", {}).items()}
        # (host directory relative to the test's directory, guest path)
        self.dirs = [(str(d), str(d)) for d in data.get("dirs", [])]
        if data.get("root"):
            self.dirs.append((str(data["root"]), "/"))
        self.exit_code = int(data.get("exit_code", 0))
        self.stdout = data.get("stdout")
        self.stderr = data.get("stderr")


class Outcome:
    def __init__(self, name, status, reason="", argv=None, duration=0.0):
        self.name = name
        self.status = status  # "passed", "failed" or "skipped"
        self.reason = reason
        self.argv = argv or []
        self.duration = duration


def read_manifest(suite_dir):
    """Returns the suite's name and WASI version: the manifest's "version",
    else the directory's name when it is one (tests/rust/testsuite/wasm32-wasip3),
    like the suite's runner."""
    dir_version = suite_dir.name if suite_dir.name.startswith("wasm32-wasip") else None
    path = suite_dir / "manifest.json"
    if not path.exists():
        return str(suite_dir), dir_version
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("name", str(suite_dir)), data.get("version", dir_version)


def read_spec(wasm):
    """Returns (Spec, None) or (None, reason to skip)."""
    path = wasm.with_suffix(".json")
    if not path.exists():
        return Spec({}), None
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = set(data)
    if keys & OPERATION_KEYS:
        return None, ("operation-based spec (" + ", ".join(sorted(keys & OPERATION_KEYS))
                      + "): needs the suite's own runner")
    unknown = keys - LEGACY_KEYS
    if unknown:
        print(f"warning: {path}: unknown keys {sorted(unknown)}", file=sys.stderr)
    return Spec(data), None


def clean_outputs(host_dirs):
    for host in host_dirs:
        if not host.is_dir():
            continue
        for path in sorted(host.glob("**/*.cleanup"), reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()


def adapter_argv(adapter, wasm, spec):
    argv = [sys.executable, str(adapter), "--test-file", str(wasm)]
    for host, guest in spec.dirs:
        argv += ["--dir", f"{wasm.parent / host}::{guest}"]
    for name, value in spec.env.items():
        argv += ["--env", f"{name}={value}"]
    for arg in spec.args:
        argv += ["--arg", arg]
    return argv


def describe(text):
    return repr(text if len(text) <= 400 else text[:400] + "...")


def run_test(adapter, wasm, spec, timeout):
    argv = adapter_argv(adapter, wasm, spec)
    host_dirs = [wasm.parent / host for host, _ in spec.dirs]
    clean_outputs(host_dirs)
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True,
                              errors="replace", timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(wasm.stem, "failed", f"timed out after {timeout} s", argv,
                       time.monotonic() - start)
    finally:
        clean_outputs(host_dirs)
    duration = time.monotonic() - start
    problems = []
    if proc.returncode != spec.exit_code:
        problems.append(f"exit status {proc.returncode}, expected {spec.exit_code}")
    if spec.stdout is not None and proc.stdout != spec.stdout:
        problems.append(f"stdout {describe(proc.stdout)}, expected {describe(spec.stdout)}")
    if spec.stderr is not None and proc.stderr != spec.stderr:
        problems.append(f"stderr {describe(proc.stderr)}, expected {describe(spec.stderr)}")
    if not problems:
        return Outcome(wasm.stem, "passed", "", argv, duration)
    reason = "; ".join(problems)
    if proc.stdout and spec.stdout is None:
        reason += "\n    stdout: " + proc.stdout.rstrip().replace("\n", "\n            ")
    if proc.stderr and spec.stderr is None:
        reason += "\n    stderr: " + proc.stderr.rstrip().replace("\n", "\n            ")
    return Outcome(wasm.stem, "failed", reason, argv, duration)


def load_excludes(paths):
    """Upstream's exclude-filter format: {"SUITE NAME": {"TEST": "reason"}}."""
    excludes = {}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for suite, tests in data.items():
            excludes.setdefault(suite, {}).update(tests)
    return excludes


def run_suite(suite_dir, adapter, timeout, excludes, only):
    name, version = read_manifest(suite_dir)
    outcomes = []
    print(f"== {name} ({suite_dir})")
    for wasm in sorted(suite_dir.glob("*.wasm")):
        if only and wasm.stem not in only:
            continue
        if version and version not in SUPPORTED_VERSIONS:
            outcome = Outcome(wasm.stem, "skipped", f"suite targets {version}")
        elif wasm.stem in excludes.get(name, {}):
            outcome = Outcome(wasm.stem, "skipped", "excluded: " + excludes[name][wasm.stem])
        else:
            spec, skip_reason = read_spec(wasm)
            if spec is None:
                outcome = Outcome(wasm.stem, "skipped", skip_reason)
            else:
                outcome = run_test(adapter, wasm, spec, timeout)
        outcomes.append(outcome)
        line = f"  {outcome.status.upper():7} {outcome.name}"
        if outcome.reason:
            line += ": " + outcome.reason
        if outcome.status == "failed":
            line += "\n    command: " + shlex.join(outcome.argv)
        print(line, flush=True)
    return name, outcomes


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="+", type=Path,
                        help="test directories (each with *.wasm and optional *.json)")
    parser.add_argument("-r", "--runtime-adapter", type=Path, default=DEFAULT_ADAPTER,
                        help="adapter script (default: orivon_adapter.py next to this file)")
    parser.add_argument("-f", "--exclude-filter", action="append", default=[],
                        help="JSON file of tests to skip, in the suite's format")
    parser.add_argument("--test", action="append", default=[],
                        help="run only this test (repeatable)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before a test is stopped (default 60)")
    parser.add_argument("--json-output-location", type=Path,
                        help="write results as JSON here")
    options = parser.parse_args(argv)

    version = subprocess.run([sys.executable, str(options.runtime_adapter), "--version"],
                             capture_output=True, text=True, check=False)
    if version.returncode != 0:
        print(f"error: {options.runtime_adapter} --version failed:\n{version.stderr}",
              file=sys.stderr)
        return 1
    runtime = version.stdout.strip()
    print(f"runtime: {runtime}")

    excludes = load_excludes(options.exclude_filter)
    results = []
    for suite_dir in options.suites:
        if not suite_dir.is_dir():
            print(f"error: {suite_dir}: not a directory", file=sys.stderr)
            return 1
        start = time.monotonic()
        name, outcomes = run_suite(suite_dir, options.runtime_adapter.resolve(),
                                   options.timeout, excludes, set(options.test))
        results.append((name, suite_dir, outcomes, time.monotonic() - start))

    print("\n===== summary =====")
    failed_total = 0
    for name, suite_dir, outcomes, _ in results:
        counts = {s: sum(1 for o in outcomes if o.status == s)
                  for s in ("passed", "failed", "skipped")}
        failed_total += counts["failed"]
        print(f"{name}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped")
    if options.json_output_location:
        runtime_name, _, runtime_version = runtime.partition(" ")
        document = {"results": [
            {
                "name": name,
                "path": str(suite_dir),
                "runtime": {"name": runtime_name, "version": runtime_version},
                "duration_s": duration,
                "passed": sum(1 for o in outcomes if o.status == "passed"),
                "failed": sum(1 for o in outcomes if o.status == "failed"),
                "skipped": sum(1 for o in outcomes if o.status == "skipped"),
                "tests": [
                    {"name": o.name, "status": o.status, "executed": o.status != "skipped",
                     "duration_s": o.duration, "argv": o.argv,
                     "failures": [o.reason] if o.status == "failed" else [],
                     "reason": o.reason}
                    for o in outcomes
                ],
            }
            for name, suite_dir, outcomes, duration in results
        ]}
        options.json_output_location.write_text(json.dumps(document, indent=2) + "\n",
                                                encoding="utf-8")
    return 1 if failed_total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
