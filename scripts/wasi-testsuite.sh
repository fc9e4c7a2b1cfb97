#!/usr/bin/env bash
# Runs the WebAssembly/wasi-testsuite conformance tests against `orivon run`.
#
#   scripts/wasi-testsuite.sh [OPTIONS] SUITE_DIR [-- RUNNER_ARGS...]
#
# SUITE_DIR is a wasi-testsuite checkout whose tests are built: every
# directory under SUITE_DIR/tests holding a manifest.json and *.wasm files is
# run (see tests/wasi-testsuite/README.md for getting and building them).
#
# The suite's own runner (SUITE_DIR/test-runner) is used when it speaks one of
# the two adapter interfaces orivon has: command-line adapters
# (tests/wasi-testsuite/orivon_adapter.py; upstream until 2025-09-19) or
# adapters loaded as Python modules (orivon_module_adapter.py; upstream since,
# with a test's directory given as `root` since 2026-06-18). Its Python
# dependencies go into a virtualenv under ~/.cache/orivon. Otherwise
# tests/wasi-testsuite/run_suite.py runs the tests; it reads both spec formats.
#
# Options:
#   --runner auto|upstream|own  choose the runner (default auto)
#   --json FILE                 also write the results as JSON to FILE
#   --exclude-filter FILE       tests to skip: JSON ({"SUITE": {"TEST": "why"}}) for
#                               run_suite.py and runners before 2025-09-19; newer
#                               upstream runners want their TOML expectations format
#   -h, --help                  show this help
# Environment: ORIVON names the orivon binary (default build/bin/orivon).
# Exit status: 0 if every test that ran passed, 1 otherwise, 2 for bad usage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ADAPTER="$ORIVON_ROOT/tests/wasi-testsuite/orivon_adapter.py"
MODULE_ADAPTER="$ORIVON_ROOT/tests/wasi-testsuite/orivon_module_adapter.py"
OWN_RUNNER="$ORIVON_ROOT/tests/wasi-testsuite/run_suite.py"
PYTHON="${PYTHON:-python3}"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

runner=auto
json=""
excludes=()
suite=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runner) runner="${2:?--runner needs a value}"; shift 2 ;;
    --runner=*) runner="${1#*=}"; shift ;;
    --json) json="${2:?--json needs a file}"; shift 2 ;;
    --json=*) json="${1#*=}"; shift ;;
    --exclude-filter) excludes+=("$(realpath "${2:?--exclude-filter needs a file}")"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) usage >&2; exit 2 ;;
    *) [ -z "$suite" ] || { usage >&2; exit 2; }; suite="$1"; shift ;;
  esac
done
[ -n "$suite" ] || { usage >&2; exit 2; }
case "$runner" in auto|upstream|own) ;; *) die "--runner must be auto, upstream or own" ;; esac
[ -d "$suite/tests" ] || die "$suite: no tests/ directory; is this a wasi-testsuite checkout?"
suite="$(cd "$suite" && pwd)"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"

# The orivon binary the adapter will use; fail early with a clear message.
"$PYTHON" "$ADAPTER" --version >/dev/null ||
  die "the adapter cannot run orivon (build it, or set ORIVON=/path/to/orivon)"
note "runtime: $("$PYTHON" "$ADAPTER" --version)"

# Test directories: a manifest.json next to built tests.
suites=()
while IFS= read -r manifest; do
  dir="$(dirname "$manifest")"
  compgen -G "$dir/*.wasm" >/dev/null && suites+=("${dir#"$suite"/}")
done < <(find "$suite/tests" -name manifest.json -not -path '*/node_modules/*' | sort)
[ ${#suites[@]} -gt 0 ] ||
  die "no built tests under $suite/tests (directories with manifest.json and *.wasm); see tests/wasi-testsuite/README.md"
for dir in "${suites[@]}"; do note "suite: $dir"; done

# Which adapter interface does the suite's runner speak, if any we have?
# Command-line (--test-file ...), or modules whose compute_argv takes the
# world and version (upstream since 2026-02-26; older module runners passed
# fewer arguments and are left to run_suite.py).
upstream_adapter=""
adapter_py="$suite/test-runner/wasi_test_runner/runtime_adapter.py"
if [ -f "$suite/test-runner/wasi_test_runner.py" ] && [ -f "$adapter_py" ]; then
  if grep -q -- '--test-file' "$adapter_py"; then
    upstream_adapter="$ADAPTER"
  elif grep -q 'get_wasi_worlds' "$adapter_py" && grep -q 'wasi_world.value' "$adapter_py"; then
    upstream_adapter="$MODULE_ADAPTER"
  fi
fi
# Module-adapter runners need Python 3.12 (`str in StrEnum`): the first
# interpreter new enough, else none.
runner_python="$PYTHON"
if [ "$upstream_adapter" = "$MODULE_ADAPTER" ]; then
  runner_python=""
  for candidate in "$PYTHON" python3.13 python3.12; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      runner_python="$(command -v "$candidate")"; break
    fi
  done
fi
if [ "$runner" = auto ]; then
  runner=own
  if [ -n "$upstream_adapter" ] && [ -n "$runner_python" ]; then runner=upstream; fi
  if [ -n "$upstream_adapter" ] && [ -z "$runner_python" ]; then
    note "the suite's runner needs Python 3.12 or newer (set PYTHON to one); using run_suite.py"
  fi
fi
if [ "$runner" = upstream ] && [ -z "$upstream_adapter" ]; then
  die "$suite/test-runner speaks no adapter interface orivon has (see tests/wasi-testsuite/README.md); use --runner own"
fi
if [ "$runner" = upstream ] && [ -z "$runner_python" ]; then
  die "the suite's runner needs Python 3.12 or newer: set PYTHON to one, or use --runner own"
fi

json_out="${json:-$(mktemp "${TMPDIR:-/tmp}/wasi-testsuite-results.XXXXXX.json")}"
[ -n "$json" ] || trap 'rm -f "$json_out"' EXIT
filter_args=()
if [ "$runner" = upstream ]; then
  requirements="$suite/test-runner/requirements.txt"
  [ -f "$requirements" ] || requirements="$suite/test-runner/requirements/common.txt"
  # Keyed by the requirement files, so a different runner gets its own.
  mapfile -t requirement_files < <(find "$suite/test-runner" -maxdepth 2 -name '*.txt' \
                                     -path '*requirements*' | sort)
  python_version="$("$runner_python" -c 'import sys; print(sys.version.split()[0])')"
  venv="$ORIVON_CACHE/wasi-testsuite-venv-$(hash_files "${requirement_files[@]}")-py$python_version"
  if [ ! -x "$venv/bin/python" ]; then
    step "Setting up the suite runner's Python environment in $venv"
    rm -rf "$venv.tmp"
    "$runner_python" -m venv "$venv.tmp"
    (cd "$(dirname "$requirements")" && "$venv.tmp/bin/python" -m pip install -q -r "$requirements")
    rm -rf "$venv" && mv "$venv.tmp" "$venv"
  fi
  for f in ${excludes[@]+"${excludes[@]}"}; do filter_args+=(--exclude-filter "$f"); done
  step "Running wasi-testsuite with its own runner (Python $python_version)"
  set +e
  (cd "$suite" && "$venv/bin/python" test-runner/wasi_test_runner.py \
      --test-suite "${suites[@]}" --runtime-adapter "$upstream_adapter" \
      --json-output-location "$json_out" --disable-colors \
      ${filter_args[@]+"${filter_args[@]}"} ${extra[@]+"${extra[@]}"})
  status=$?
  set -e
else
  for f in ${excludes[@]+"${excludes[@]}"}; do filter_args+=(--exclude-filter "$f"); done
  step "Running wasi-testsuite with tests/wasi-testsuite/run_suite.py"
  set +e
  (cd "$suite" && "$PYTHON" "$OWN_RUNNER" "${suites[@]}" --runtime-adapter "$ADAPTER" \
      --json-output-location "$json_out" \
      ${filter_args[@]+"${filter_args[@]}"} ${extra[@]+"${extra[@]}"})
  status=$?
  set -e
fi

# One line per test directory, from either runner's JSON.
if [ -s "$json_out" ]; then
  step "Results ($runner runner)"
  "$PYTHON" - "$json_out" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
for suite in results:
    failed = [t["name"] for t in suite["tests"] if t.get("failures")]
    line = (f"{suite['name']}: {suite['passed']} passed, {suite['failed']} failed, "
            f"{suite['skipped']} skipped")
    print(line + (f"  (failed: {', '.join(sorted(failed))})" if failed else ""))
EOF
fi
[ -z "$json" ] || note "JSON results: $json_out"
exit "$status"
