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

# The host: three modules installed into a fresh state directory, a host
# started on it, a module added while it runs, then a restart that finds them
# all and reads their compiled code from the cache instead of compiling.
state=$(mktemp -d)
trap 'kill "${host:-0}" 2>/dev/null || true; rm -rf "$state"' EXIT
step "orivon add (no host running yet: the state directory is changed directly)"
"$orivon" --state "$state" add "$guests/typed.component.wasm" --id app.typed.demo
"$orivon" --state "$state" add "$guests/reactor.core.wasm" --id lib.math.demo
step "orivon up (in the background), then add a third module through it"
"$orivon" --state "$state" up & host=$!
sleep 1
"$orivon" --state "$state" add "$guests/hello.component.wasm" --id app.hello.demo
"$orivon" --state "$state" list
step "a service: start it, call it, crash it (contained; restarted by its policy), read its logs"
"$orivon" --state "$state" add "$guests/service_probe.core.wasm" --id app.probe.demo
"$orivon" --state "$state" start app.probe.demo
"$orivon" --state "$state" call app.probe.demo 'add(40, 2)'
"$orivon" --state "$state" call app.probe.demo 'say(7)'
"$orivon" --state "$state" call app.probe.demo 'trap()' 2>&1 | tail -n 3 || true
sleep 0.5
"$orivon" --state "$state" call app.probe.demo 'add(1, 2)'
"$orivon" --state "$state" list
"$orivon" --state "$state" logs app.probe.demo
step "restart the host: everything is still there, nothing is recompiled, the service runs again"
kill -TERM "$host"; wait "$host" || true
"$orivon" --state "$state" up & host=$!
sleep 1
"$orivon" --state "$state" list
"$orivon" --state "$state" inspect lib.math.demo
kill -TERM "$host"; wait "$host" || true
