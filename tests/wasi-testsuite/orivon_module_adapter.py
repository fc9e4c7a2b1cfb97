"""wasi-testsuite runtime adapter for `orivon run`, as a Python module.

Since 2025-09-19 the suite's own runner (test-runner/) loads an adapter as a
module and asks it for the command line of each test, instead of calling a
script with options as orivon_adapter.py expects. This module is that form;
the translation to `orivon run` is orivon_adapter.py's build_argv, so both
forms run a test the same way.

The runner calls, once: get_name(), get_version(), get_wasi_versions(),
get_wasi_worlds(), get_timeout_seconds(); then per test
compute_argv(test_path, (args, env, root), proposals, wasi_world,
wasi_version). `root` (since 2026-06-18) is one directory the guest sees as
"/"; earlier runners passed `dirs`, a list of (host path, guest path).

Running this file does nothing and prints nothing: that is how the runner
tells a module adapter from a command-line one.
"""

import importlib.util
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _load_cli_adapter():
    spec = importlib.util.spec_from_file_location("orivon_adapter", _HERE / "orivon_adapter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CLI = _load_cli_adapter()


def get_name():
    return "orivon"


def get_version():
    # "orivon 0.1.0 (wasmtime 48.0.8)" -> "0.1.0"
    return _CLI.version_line(_CLI.orivon_command()).split()[1]


def get_wasi_versions():
    # Preview1 core modules and WASI 0.2 command components; not WASI 0.3.
    return ["wasm32-wasip1", "wasm32-wasip2"]


def get_wasi_worlds():
    return ["wasi:cli/command"]


def get_timeout_seconds():
    # The runner's default is 5 s, which a cold compile of a large Rust test
    # on a loaded 2-core machine can exceed.
    return 60.0


def _dir_grants(where):
    if where is None:
        return []
    if isinstance(where, (str, Path)):
        return [f"{where}::/"]
    return [f"{host}::{guest}" for host, guest in where]


def compute_argv(test_path, args_env_root, _proposals, *_world_and_version):
    args, env, where = args_env_root
    options = _CLI.Options()
    options.test_file = str(test_path)
    options.arg = [str(a) for a in args]
    options.env = [f"{name}={value}" for name, value in env.items()]
    options.dir = _dir_grants(where)
    return _CLI.build_argv(_CLI.orivon_command(), options)
