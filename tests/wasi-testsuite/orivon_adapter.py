#!/usr/bin/env python3
"""wasi-testsuite runtime adapter for `orivon run`.

The WebAssembly/wasi-testsuite runner drives a runtime through an adapter
script it calls as `python3 ADAPTER OPTIONS`:

  --version          print "<NAME> <VERSION>" on stdout and exit 0
  --test-file PATH   the .wasm file to run
  --arg ARG          a program argument (repeatable, in order)
  --env NAME=VALUE   an environment variable (repeatable, in order)
  --dir DIR          a directory to grant (repeatable); either HOST::GUEST
                     (newer runners) or a plain path, which the guest sees
                     under the same name (older runners, which run the adapter
                     in the test's directory)

The adapter's exit status must be the guest's exit status. This script
translates those options to `orivon run` and then becomes orivon (exec), so
the status, stdout, stderr and any signal the runner sends (SIGTERM on a
timeout) go straight to and from orivon.

ORIVON may name the orivon binary (a path, or a command with extra words such
as "orivon --something", split like a shell would); by default it is the
build tree's build/bin/orivon relative to this script.
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

DEFAULT_ORIVON = Path(__file__).resolve().parents[2] / "build" / "bin" / "orivon"


def orivon_command():
    configured = os.environ.get("ORIVON")
    if configured:
        return shlex.split(configured)
    return [str(DEFAULT_ORIVON)]


def dir_grant(text):
    """Turns one runner --dir value into orivon's HOST::GUEST form."""
    host, separator, guest = text.partition("::")
    if not separator:
        # A plain path: granted under the name it was given, as the test
        # opens it relative to its working directory.
        guest = text
    if not host or not guest:
        raise ValueError(f"--dir '{text}': expected HOST::GUEST or a path")
    return f"{host}::{guest}"


def env_entry(text):
    name, separator, _value = text.partition("=")
    if not separator or not name:
        raise ValueError(f"--env '{text}': expected NAME=VALUE")
    # Always NAME=VALUE: a bare NAME would make orivon pass its own variable
    # through, which the suite never asks for.
    return text


class Options:
    def __init__(self):
        self.version = False
        self.test_file = None
        self.arg = []
        self.env = []
        self.dir = []


USAGE = ("usage: orivon_adapter.py --version | --test-file PATH "
         "[--arg ARG]... [--env NAME=VALUE]... [--dir HOST::GUEST|PATH]...")


def parse_args(argv):
    """Parses the runner's options by hand: every value is taken as is, so
    a program argument such as "--foo" or "-" passes through untouched
    (argparse would read it as an option)."""
    options = Options()
    lists = {"--arg": options.arg, "--env": options.env, "--dir": options.dir}
    i = 0
    while i < len(argv):
        token = argv[i]
        name, separator, inline = token.partition("=")
        if token in ("-h", "--help"):
            print(USAGE)
            sys.exit(0)
        if token == "--version":
            options.version = True
            i += 1
            continue
        if name not in lists and name != "--test-file":
            raise ValueError(f"unknown option '{token}'")
        if separator:
            value = inline
            i += 1
        elif i + 1 < len(argv):
            value = argv[i + 1]
            i += 2
        else:
            raise ValueError(f"{token} needs a value")
        if name == "--test-file":
            options.test_file = value
        else:
            lists[name].append(value)
    return options


def version_line(command):
    # `orivon --version` prints e.g. "orivon 0.1.0 (wasmtime 48.0.8)"; the
    # runner splits ours on spaces and wants exactly NAME VERSION.
    output = subprocess.run(command + ["--version"], check=True,
                            capture_output=True, text=True).stdout.split()
    if len(output) < 2:
        raise RuntimeError(f"unexpected `orivon --version` output: {output!r}")
    return f"{output[0]} {output[1]}"


def build_argv(command, options):
    argv = command + ["run"]
    for text in options.dir:
        argv += ["--dir", dir_grant(text)]
    for text in options.env:
        argv += ["--env", env_entry(text)]
    # Everything after FILE goes to the program verbatim, even "--x".
    argv.append(options.test_file)
    argv += options.arg
    return argv


def main(argv):
    try:
        options = parse_args(argv)
    except ValueError as error:
        print(f"orivon_adapter: {error}\n{USAGE}", file=sys.stderr)
        return 2
    command = orivon_command()
    if options.version:
        try:
            print(version_line(command))
        except (OSError, subprocess.CalledProcessError, RuntimeError) as error:
            print(f"orivon_adapter: cannot run {command[0]}: {error}", file=sys.stderr)
            return 1
        return 0
    if not options.test_file:
        print("orivon_adapter: --test-file is required", file=sys.stderr)
        return 2
    try:
        run_argv = build_argv(command, options)
    except ValueError as error:
        print(f"orivon_adapter: {error}", file=sys.stderr)
        return 2
    if os.environ.get("ORIVON_ADAPTER_TRACE"):
        print("orivon_adapter: " + shlex.join(run_argv), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        # Searches PATH only for a bare name, like a shell.
        os.execvp(run_argv[0], run_argv)
    return subprocess.run(run_argv, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
