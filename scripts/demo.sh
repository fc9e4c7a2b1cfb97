#!/usr/bin/env bash
# The README's main command: sets everything up (scripts/setup.sh) and runs
# the bundled example under orivon, as a core module and as a component,
# with an argument, one environment variable and one read-only directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ORIVON_ROOT/scripts/setup.sh"
cd "$ORIVON_ROOT"
orivon=build/bin/orivon
guests=build/guests
data=examples/guests/hello/data

step "orivon --version"
"$orivon" --version
for kind in core component; do
  step "orivon run ($kind): hello.$kind.wasm with --env GREETING and --dir-ro $data::/data"
  "$orivon" run --env GREETING=Hello --dir-ro "$data::/data" \
    "$guests/hello.$kind.wasm" world /data/message.txt
done
step "A write into a read-only grant is refused"
"$orivon" run --dir-ro "$data::/data" "$guests/hello.core.wasm" --write /data/new.txt || true
