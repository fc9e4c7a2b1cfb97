#!/usr/bin/env bash
# The README's test command: sets everything up (scripts/setup.sh) and runs
# every test through ctest. Exits non-zero if any test fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ORIVON_ROOT/scripts/setup.sh"
step "Running tests"
cd "$ORIVON_ROOT"
ctest --preset "${ORIVON_PRESET:-dev}" "$@"
