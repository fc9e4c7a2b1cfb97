#!/usr/bin/env python3
"""Runs every ```sh block of a Markdown guide, in order, as one bash script.

Usage: run_guide.py GUIDE.md ORIVON_BIN_DIR

The script runs in a fresh temporary directory with ORIVON_BIN_DIR first on
PATH and a state directory of its own (ORIVON_STATE). A line ending in
`# => TEXT` must print exactly TEXT. `orivon up &` starts a host in the
background and waits until it serves; it is stopped at the end. Exits
non-zero, naming the guide's line, when a command fails or prints something
else than the guide says.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

EXPECT = re.compile(r"^(?P<command>.*\S)\s+# => (?P<expected>.*)$")


def blocks(text):
    """(line number, line) of every line inside a ```sh block."""
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == "```sh":
            inside = True
        elif line.strip() == "```":
            inside = False
        elif inside:
            yield number, line


def script(guide_path, text):
    out = [
        "set -euo pipefail",
        'trap \'[ -n "${ORIVON_GUIDE_HOST:-}" ] && kill "$ORIVON_GUIDE_HOST" 2>/dev/null; true\' EXIT',
        "fail() { echo \"$1\" >&2; exit 1; }",
    ]
    for number, line in blocks(text):
        where = f"{guide_path}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.strip() == "orivon up &":
            out.append('orivon up >"$ORIVON_GUIDE_LOG" 2>&1 & ORIVON_GUIDE_HOST=$!')
            out.append(
                'for _ in $(seq 600); do grep -q "orivon host up" "$ORIVON_GUIDE_LOG" && break; '
                "sleep 0.1; done")
            out.append(f'grep -q "orivon host up" "$ORIVON_GUIDE_LOG" || '
                       f'fail {shlex.quote(where + ": the host did not come up")}')
            continue
        match = EXPECT.match(line)
        if match:
            command, expected = match.group("command"), match.group("expected")
            out.append(f"got=$({command}) || fail {shlex.quote(where + ': failed: ' + command)}")
            out.append(
                f'[ "$got" = {shlex.quote(expected)} ] || fail "{where}: '
                f'printed \'$got\'; the guide says \'"{shlex.quote(expected)}"\'"')
        else:
            out.append(f"{line} || fail {shlex.quote(where + ': failed: ' + line.strip())}")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    guide_path, bin_dir = sys.argv[1], os.path.abspath(sys.argv[2])
    with open(guide_path, encoding="utf-8") as f:
        text = f.read()
    with tempfile.TemporaryDirectory(prefix="orivon-guide-") as work:
        env = dict(os.environ)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env["ORIVON_STATE"] = os.path.join(work, "state")
        env["ORIVON_GUIDE_LOG"] = os.path.join(work, "up.log")
        result = subprocess.run(["bash", "-c", script(guide_path, text)], cwd=work, env=env,
                                timeout=600)
        if result.returncode != 0:
            log = env["ORIVON_GUIDE_LOG"]
            if os.path.exists(log):
                with open(log, encoding="utf-8", errors="replace") as f:
                    sys.stderr.write("host output:\n" + f.read())
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
