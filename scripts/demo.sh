#!/usr/bin/env bash
# The README's main command: sets everything up (scripts/setup.sh) and runs
# the bundled examples under orivon: a WASI program as a core module and as
# a component with grants; an HTTP request allowed to one origin and refused
# without the grant; the host with a supervised service; and the
# example application, six modules calling each other through grants.
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

# Outbound HTTP (wasi:http) reaches only granted origins: a throwaway server
# on loopback, the test suite's small HTTP client component.
step "Outbound HTTP: --allow-http grants one origin; without it the request never leaves"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$data" >/dev/null 2>&1 &
web=$!
python3 -c 'import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.1).close(); break
    except OSError:
        time.sleep(0.05)' "$port"
fetch="send(\"GET\", \"http\", \"127.0.0.1:$port\", \"/message.txt\", \"\")"
"$orivon" run --allow-http "http://127.0.0.1:$port" --invoke "$fetch" "$guests/http_probe.component.wasm"
"$orivon" run --invoke "$fetch" "$guests/http_probe.component.wasm"
kill "$web" 2>/dev/null || true

# The host: three modules installed into a fresh state directory, a host
# started on it, a module added while it runs, then a restart that finds them
# all and reads their compiled code from the cache instead of compiling.
state=$(mktemp -d)
app=$(mktemp -d)
trap 'kill "${host:-0}" 2>/dev/null || true; rm -rf "$state" "$app"' EXIT
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

# The example application (examples/app): modules that reach each other
# only through the grants below.
o() { "$orivon" --state "$app" "$@"; }
step "the example application from one file (examples/app/app.toml): modules, grants, starts"
# The bucket the greeters share (wasi:keyvalue atomics); then everything else
# the application needs, in one idempotent apply.
o kv create visits
o apply examples/app/app.toml
o up & host=$!
sleep 1
step "a second apply changes nothing"
o apply examples/app/app.toml
o grants
step "front -> group (first healthy member: app.greeter.en -> lib.text.demo) and -> app.stats.go (Go)"
o call app.front.demo 'hello("Ada")'
step "stop app.greeter.en: the group fails over to app.greeter.fr"
o stop app.greeter.en
o call app.front.demo 'hello("Grace")'
o call app.front.demo 'visitors()'
step "the greeters' shared count, read by the client"
o kv keys visits
o kv get visits greetings; echo
step "the visit events app.visits.demo received (counted in its private bucket)"
sleep 0.5
o call app.visits.demo 'seen()'
o events
step "a client calls the library directly (a fresh instance)"
o call lib.text.demo 'shout("quiet please")'
step "revoke front's grant to greet: the next call is denied and never reaches the group"
o revoke app.front.demo group.greeter.demo greet
o call app.front.demo 'hello("Eve")'
o logs app.front.demo | grep denied
o call app.stats.go 'count()'
kill -TERM "$host"; wait "$host" || true
