#!/usr/bin/env bash
# The README's test command: sets everything up (scripts/setup.sh) and runs
# every test through ctest, then builds the library with clang's thread-safety
# analysis (preset clang-thread-safety, build-clang/), then the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer (preset
# asan-ubsan, build-asan/), then a short bounded run of every fuzz target
# (scripts/fuzz.sh, build-fuzz/). Exits non-zero if any test fails, the
# analysis warns, a sanitizer reports anything, or a fuzz target crashes.
#
# Environment: ORIVON_SANITIZERS=0 skips the analysis, sanitizer and fuzz
# steps (a quick local run); ORIVON_FUZZ_SECONDS sets the time per fuzz target
# (default 20). ctest options (--output-on-failure, -R ...) pass through to
# the first ctest run only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ORIVON_ROOT/scripts/setup.sh"
step "Running tests"
cd "$ORIVON_ROOT"
ctest --preset "${ORIVON_PRESET:-dev}" "$@"

[ "${ORIVON_SANITIZERS:-1}" != 0 ] || exit 0

step "Thread-safety analysis (preset clang-thread-safety: the library, -Wthread-safety -Werror)"
# The library target only: the analysis checks what the ORIVON_GUARDED_BY and
# ORIVON_REQUIRES annotations in src/ claim. About 2.5 minutes from cold.
ORIVON_PRESET=clang-thread-safety "$ORIVON_ROOT/scripts/setup.sh"

step "Unit tests under ASan + UBSan (preset asan-ubsan)"
ORIVON_PRESET=asan-ubsan "$ORIVON_ROOT/scripts/setup.sh"
# detect_leaks: LeakSanitizer runs at exit of every test process. UBSan
# aborts on its first report (-fno-sanitize-recover in the preset). The trap
# storm already ran its full minute above; 15 s of it is enough for ASan.
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
  ORIVON_TRAP_STORM_SECONDS="${ORIVON_TRAP_STORM_SECONDS:-15}" ctest --preset asan-ubsan

step "Fuzzing (scripts/fuzz.sh)"
"$ORIVON_ROOT/scripts/fuzz.sh" --time "${ORIVON_FUZZ_SECONDS:-20}"
