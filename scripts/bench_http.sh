#!/usr/bin/env bash
# Inbound HTTP under load (issue 17): the hello-world wasi:http component
# (tests/guests/http_handler/hello.c) served by `orivon up --http`, by
# `wasmtime serve` (the Wasmtime CLI, when installed) and by the built-in
# baseline, each loaded by the same wrk command over loopback in the same run;
# then instance creation per request from the handler's template, and the
# baseline's.
#
# The Wasmtime CLI is looked for at $ORIVON_CACHE/wasmtime-cli-48.0.8/bin/wasmtime
# (bench/README.md, "Inbound HTTP", says how to install it); without it its row
# is skipped with a note. The baseline is what `wasmtime serve` does for a
# WASIp2 proxy (a ProxyPre, a fresh store per request, the pooling allocator),
# built into orivon's Wasmtime wrapper with the same wasmtime, wasi-http and
# hyper (bench/http_bench.cc), so it runs where the CLI is not installed.
#
#   scripts/bench_http.sh [BUILD_DIR]      (scripts/bench.sh runs it)
#
# Environment: ORIVON_HTTP_BENCH_SECONDS (default 10), ORIVON_HTTP_BENCH_CONNECTIONS
# (default 64), ORIVON_HTTP_BENCH_THREADS (default 2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build="${1:-$ORIVON_ROOT/build}"
seconds="${ORIVON_HTTP_BENCH_SECONDS:-10}"
connections="${ORIVON_HTTP_BENCH_CONNECTIONS:-64}"
threads="${ORIVON_HTTP_BENCH_THREADS:-2}"
command -v wrk >/dev/null || die "wrk not found (Debian package wrk; scripts/setup.sh installs it)"
hello="$build/guests/http_hello.component.wasm"
[ -f "$hello" ] || die "$hello is missing: build the orivon_guests target"
wasmtime_cli="$ORIVON_CACHE/wasmtime-cli-48.0.8/bin/wasmtime"
# `wasmtime serve` as near orivon's settings as is honest: the pooling
# allocator (serve's own default where the address space allows it, stated so
# that a machine without it fails loudly instead of measuring something else)
# and a 30 s per-request deadline, which turns on epoch interruption as orivon's
# [function] deadline does (supervisor.h). Everything else stays serve's
# default, including what orivon tunes differently (copy-on-write memory
# images on, nothing kept resident, no PAGEMAP_SCAN).
serve_options=(-O pooling-allocator=y -W timeout=30s)
# A Rust error captures a backtrace when these are set (a debugging setting of
# the shell, not of a server): `wasmtime serve` makes such errors under wrk,
# and with RUST_BACKTRACE=1 unwinding for them took about 6% of its CPU time
# (perf). No server here runs with them.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

work=$(mktemp -d)
host_pid=""
serve_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  exec 8>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# CPU time (user + system) process PID has used, in clock ticks.
cpu_ticks() {
  # Fields after the command name, which is in parentheses and may hold spaces.
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# One wrk run against URL while server PID serves it:
# "REQUESTS_PER_S P50 P99 ERRORS CPU_US_PER_REQUEST". The CPU time is the
# server's alone, so it does not depend on how much of the machine the
# server's threads win from other processes, as its throughput does.
load() {
  local before after
  before=$(cpu_ticks "$2")
  wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$1" > "$work/wrk.txt"
  after=$(cpu_ticks "$2")
  python3 - "$work/wrk.txt" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
cpu_ticks, ticks_per_s = int(sys.argv[2]), int(sys.argv[3])
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
requests = int(re.search(r"(\d+) requests in", text).group(1))
def pct(p):
    m = re.search(r"\b%s%%\s+([\d.]+)(us|ms|s)\b" % p, text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = 0
m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
if m: errors += int(m.group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m: errors += sum(int(g) for g in m.groups())
cpu_us = cpu_ticks * 1e6 / ticks_per_s / max(requests, 1)
print("%s %.2f %.2f %d %.0f" % (rps, pct(50), pct(99), errors, cpu_us))
PY
}

state="$work/state"
manifest="$work/hello.toml"
# As many instances as the server runs handlers at once (limits.h).
printf '[function]\nmax-instances = 64\n' > "$manifest"
"$build/bin/orivon" --state "$state" add "$hello" --id hello.bench.example --manifest "$manifest" >/dev/null
"$build/bin/orivon" --state "$state" route add / hello.bench.example >/dev/null
# The same handler with a max-memory above a pooled slot: served by the
# on-demand engine (fresh mappings per instance), for comparison.
printf '[function]\nmax-instances = 64\nmax-memory = "1GiB"\n' > "$work/big.toml"
"$build/bin/orivon" --state "$state" add "$hello" --id big.bench.example --manifest "$work/big.toml" >/dev/null

step "HTTP: instance creation per request (fresh store + instance from the template)"
instantiate_us=$("$build/bin/orivon_http_bench" instantiate "$state" hello.bench.example)
baseline_instantiate_us=$("$build/bin/orivon_http_bench" instantiate-baseline "$hello")
on_demand_us=$("$build/bin/orivon_http_bench" instantiate "$state" big.bench.example)
pagemap=$("$build/bin/orivon_http_bench" pagemap-scan)

step "HTTP: baseline (wasmtime-serve-like) under wrk -t$threads -c$connections -d${seconds}s"
mkfifo "$work/stdin"
"$build/bin/orivon_http_bench" baseline "$hello" 127.0.0.1:0 < "$work/stdin" > "$work/baseline.addr" &
baseline_pid=$!
exec 8>"$work/stdin"
for _ in $(seq 100); do [ -s "$work/baseline.addr" ] && break; sleep 0.1; done
baseline=$(load "http://$(cat "$work/baseline.addr")/" "$baseline_pid")
exec 8>&-

step "HTTP: orivon up --http under the same load"
"$build/bin/orivon" --state "$state" up --http 0 > "$work/up.log" 2>&1 &
host_pid=$!
for _ in $(seq 100); do [ -s "$state/http-address" ] && break; sleep 0.1; done
[ -s "$state/http-address" ] || die "the host did not come up: $(cat "$work/up.log")"
orivon=$(load "http://$(cat "$state/http-address")/" "$host_pid")
kill "$host_pid"; wait "$host_pid" 2>/dev/null || true; host_pid=""

# True once a GET of URL has been answered with a 2xx status.
answers() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "$1" 2>/dev/null
}

# Starts `wasmtime serve` on a port the kernel picks and sets serve_address
# once the server has answered a request; leaves it empty (with a note) if the
# server exits or does not answer within 30 s.
start_wasmtime_serve() {
  serve_address=""
  # Made here, not only by the server's redirection, which the background
  # process may not have opened yet when the loop first reads it.
  : > "$work/serve.log"
  "$wasmtime_cli" serve --addr 127.0.0.1:0 "${serve_options[@]}" "$hello" \
    > "$work/serve.out" 2> "$work/serve.log" &
  serve_pid=$!
  local address=""
  for _ in $(seq 300); do
    address=$(sed -n 's|^Serving HTTP on http://\(.*\)/$|\1|p' "$work/serve.log")
    if [ -n "$address" ] && answers "http://$address/"; then
      serve_address="$address"
      return 0
    fi
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  note "wasmtime serve did not come up: $(tail -n 3 "$work/serve.log")"
}

wasmtime_serve=""
if [ -x "$wasmtime_cli" ]; then
  step "HTTP: wasmtime serve ${serve_options[*]} under the same load"
  start_wasmtime_serve
  if [ -n "$serve_address" ]; then
    wasmtime_serve=$(load "http://$serve_address/" "$serve_pid")
  fi
  kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
fi

read -r b_rps b_p50 b_p99 b_err b_cpu <<<"$baseline"
read -r o_rps o_p50 o_p99 o_err o_cpu <<<"$orivon"
ratio=$(python3 -c "print('%.2f' % ($o_rps / $b_rps))")
if [ -n "$wasmtime_serve" ]; then
  read -r w_rps w_p50 w_p99 w_err w_cpu <<<"$wasmtime_serve"
  serve_ratio=$(python3 -c "print('%.2f' % ($o_rps / $w_rps))")
fi
{
  echo "HTTP hello (wrk -t$threads -c$connections -d${seconds}s, loopback; load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores)"
  printf '%-34s %12s %10s %10s %8s\n' "server" "requests/s" "p50 ms" "p99 ms" "errors"
  printf '%-34s %12.0f %10s %10s %8s\n' "orivon up --http" "$o_rps" "$o_p50" "$o_p99" "$o_err"
  if [ -n "$wasmtime_serve" ]; then
    printf '%-34s %12.0f %10s %10s %8s\n' "wasmtime serve (CLI 48.0.8)" "$w_rps" "$w_p50" "$w_p99" "$w_err"
  fi
  printf '%-34s %12.0f %10s %10s %8s\n' "baseline (wasmtime-serve-like)" "$b_rps" "$b_p50" "$b_p99" "$b_err"
  if [ -n "$wasmtime_serve" ]; then
    echo "throughput orivon / wasmtime serve: $serve_ratio (target >= 1.0; serve ${serve_options[*]})"
  elif [ -x "$wasmtime_cli" ]; then
    echo "wasmtime serve: did not come up (see the note above); its row is skipped"
  else
    echo "wasmtime serve: no Wasmtime CLI at $wasmtime_cli (bench/README.md says how to install it); its row is skipped"
  fi
  echo "throughput orivon / baseline: $ratio (target >= 1.0)"
  cpu_line="server CPU time per request: orivon $o_cpu us"
  [ -n "$wasmtime_serve" ] && cpu_line+=", wasmtime serve $w_cpu us"
  echo "$cpu_line, baseline $b_cpu us (user + system, the server process only)"
  echo "instance creation per request: $instantiate_us us pooled (target <= 5 us), $on_demand_us us on demand; baseline: $baseline_instantiate_us us"
  echo "orivon's pool, unlike the baseline's defaults: memories keep 1 MiB and tables 64 KiB of"
  echo "their slots resident (zeroed with memset, not handed back with madvise and faulted in"
  echo "again), only the pages an instance wrote when the kernel has PAGEMAP_SCAN (here: $pagemap),"
  echo "and no copy-on-write images. A slot is all zeros again before it is reused:"
  echo "nothing passes between invocations (tests/http/http_test.py,"
  echo "test_state_does_not_leak_between_invocations)."
}
