#!/usr/bin/env bash
# Runs orivon's benchmark suite and prints one table: each benchmark's orivon
# time beside raw Wasmtime (same engine configuration, same run), the ratio,
# the target from issue 7, and peers (Node's WebAssembly, jco, the Wasmtime
# CLI).
#
#   scripts/bench.sh             the suite (about 8 minutes on 2 cores)
#   scripts/bench.sh --density   the suite, then the density sweep (services
#                                N = 1,000 ... 100,000; 15 minutes or more)
#
# Environment: ORIVON_BENCH_FILTER (a Google Benchmark regex, default all),
# ORIVON_BENCH_REPETITIONS (default 5), ORIVON_REGION_BENCH_OPS (region bucket
# operations per row, default 5000), ORIVON_DENSITY_STEPS (default
# 1000,10000,30000,100000), ORIVON_BENCH_BITCOIN=0 (skips the Bitcoin node
# rows, scripts/bench_bitcoin.sh), ORIVON_BENCH_BITCOIN_BLOCKS (default 1000).
# Results (JSON) are kept in build/bench-results/.
#
# The density sweep needs about 4 memory mappings per live service and Linux
# allows vm.max_map_count per process (default 65,530: about 16,000 services).
# Run as root, this script raises vm.max_map_count to 1,048,576 for the
# sweep, says so, and leaves it raised; otherwise the sweep stops where the
# limit is and says why. Each running service also keeps its log file open,
# so the public API sweep stops at the open-files limit (ulimit -n); a second
# sweep drives orivon's Supervisor with memory-only logs, and a third, the
# baseline, holds the same modules in plain Wasmtime stores (bench/README.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ORIVON_ROOT"

density=0
[ "${1:-}" = "--density" ] && density=1
build="$ORIVON_ROOT/build"
results="$build/bench-results"

if [ ! -f "$build/build.ninja" ]; then
  "$ORIVON_ROOT/scripts/setup.sh"   # first time: tool chain, Wasmtime, configure
fi
step "Building the benchmarks (preset dev: RelWithDebInfo, -O2)"
cmake --build "$build" --target orivon_bench orivon_calls_bench orivon_service_bench orivon_kv_bench \
  orivon_events_bench orivon_cluster_bench orivon_http_bench orivon_kv_region_bench orivon orivon_guests >&2
mkdir -p "$results"
rm -f "$results"/*.json

load=$(cut -d' ' -f1 /proc/loadavg)
step "Running the suite (load average now: $load on $(nproc) cores)"
"$build/bin/orivon_bench" \
  --benchmark_filter="${ORIVON_BENCH_FILTER:-.}" \
  --benchmark_repetitions="${ORIVON_BENCH_REPETITIONS:-5}" \
  --benchmark_display_aggregates_only=true \
  --benchmark_enable_random_interleaving=true \
  --benchmark_min_time=0.3 \
  --benchmark_out="$results/suite.json" --benchmark_out_format=json >&2

step "Calls between modules: permission-checked vs the raw pair"
"$build/bin/orivon_calls_bench" \
  --benchmark_filter="${ORIVON_BENCH_FILTER:-.}" \
  --benchmark_repetitions="${ORIVON_BENCH_REPETITIONS:-5}" \
  --benchmark_display_aggregates_only=true \
  --benchmark_enable_random_interleaving=true \
  --benchmark_out="$results/calls.json" --benchmark_out_format=json >&2

step "Key-value: guest operations through wasi:keyvalue vs raw SQLite (same schema, same run)"
"$build/bin/orivon_kv_bench" | tee "$results/kv.txt"

step "Events: publish -> handler beside a typed call; durable beside SQLite alone"
"$build/bin/orivon_events_bench" "${ORIVON_EVENTS_BENCH_EVENTS:-2000}" | tee "$results/events.txt"

step "Several hosts: events host A -> host B over NATS beside one host and the C client alone"
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
"$build/bin/orivon_cluster_bench" "$nats_server" "${ORIVON_EVENTS_BENCH_EVENTS:-2000}" |
  tee "$results/cluster.txt"

if [ -x "$nats_server" ]; then
  step "Region buckets: KvStore on JetStream key-value vs raw libnats kvStore_* (same server, same run)"
  nats_dir=$(mktemp -d)
  nats_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$nats_server" -js -a 127.0.0.1 -p "$nats_port" -sd "$nats_dir" >"$nats_dir/log" 2>&1 &
  nats_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && break
    sleep 0.1
  done
  "$build/bin/orivon_kv_region_bench" --nats "nats://127.0.0.1:$nats_port" \
    --ops "${ORIVON_REGION_BENCH_OPS:-5000}" | tee "$results/kv_region.txt" || true
  kill "$nats_pid"
  wait "$nats_pid" 2>/dev/null || true
  rm -rf "$nats_dir"
else
  note "$nats_server not found (Debian package nats-server): no region bucket rows"
fi

if command -v node >/dev/null 2>&1; then
  step "Peer: Node's built-in WebAssembly ($(node --version))"
  "$build/bin/orivon_bench" --write-wasm="$results/wasm"
  node "$ORIVON_ROOT/bench/node/wasm_bench.mjs" "$results/wasm" > "$results/node.json"
else
  note "node not found: no Node peer"
fi

# jco: the same component, transpiled to JS + core modules, on Node.
if jco=$("$ORIVON_ROOT/scripts/jco.sh"); then
  step "Peer: jco $("$jco" --version) on Node's WebAssembly (component rows)"
  rm -rf "$results/jco"
  "$jco" transpile "$build/guests/bench_typed.component.wasm" -o "$results/jco" \
    --instantiation sync --no-typescript --quiet >&2
  node "$ORIVON_ROOT/bench/node/jco_bench.mjs" "$results/jco" > "$results/jco.json"
else
  note "no jco peer (scripts/jco.sh could not provide jco)"
fi

step "Process start-up: orivon run, compiling and cached (and wasmtime run when installed)"
hello="$build/guests/hello.core.wasm"
# A cache of compiled code of this run's own: the cached rows read it (warmed
# by one run first); the uncached rows compile every time.
export XDG_CACHE_HOME="$results/xdg-cache"
rm -rf "$XDG_CACHE_HOME"
"$build/bin/orivon" run "$hello" >/dev/null
cli=(cli_run_hello/orivon -- "$build/bin/orivon" run --no-cache "$hello"
     ::: cli_run_hello_cached/orivon -- "$build/bin/orivon" run "$hello")
wasmtime_cli="$ORIVON_CACHE/wasmtime-cli-48.0.8/bin/wasmtime"
if [ -x "$wasmtime_cli" ]; then
  # wasmtime run with its cache off compiles every time; with it on (its
  # default configuration, under the same XDG_CACHE_HOME) it reads its cache.
  "$wasmtime_cli" run -C cache=y "$hello" >/dev/null
  cli+=(::: cli_run_hello/wasmtime-cli -- "$wasmtime_cli" run -C cache=n "$hello"
        ::: cli_run_hello_cached/wasmtime-cli -- "$wasmtime_cli" run -C cache=y "$hello")
else
  note "Wasmtime CLI not installed at $wasmtime_cli: no CLI peer (optional; see bench/README.md)"
fi
python3 "$ORIVON_ROOT/scripts/bench_cli.py" "$results/cli.json" 20 "${cli[@]}"
unset XDG_CACHE_HOME

"$ORIVON_ROOT/scripts/bench_http.sh" "$build" | tee "$results/http.txt"

# The Bitcoin node beside native btcd on the same chain (needs Go for btcd;
# the set-up built it). ORIVON_BENCH_BITCOIN=0 skips it (about 1 minute, plus
# compiling btcd.wasm once, up to several minutes on a busy machine).
if [ "${ORIVON_BENCH_BITCOIN:-1}" = 1 ]; then
  "$ORIVON_ROOT/scripts/bench_bitcoin.sh" "$build" "${ORIVON_BENCH_BITCOIN_BLOCKS:-1000}" |
    tee "$results/bitcoin.txt"
fi

step "Results (load average at start: $load; ratios are from the same run)"
python3 "$ORIVON_ROOT/scripts/bench_table.py" "$results"/*.json

if [ "$density" = 1 ]; then
  needed=1048576
  current=$(cat /proc/sys/vm/max_map_count)
  if [ "$current" -lt "$needed" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      step "Raising vm.max_map_count from $current to $needed for the density sweep (left raised)"
      sysctl -q -w vm.max_map_count="$needed"
    else
      note "vm.max_map_count is $current and this is not root: the sweep stops near" \
           "$((current / 4)) services (raise it with: sysctl -w vm.max_map_count=$needed)"
    fi
  fi
  steps="${ORIVON_DENSITY_STEPS:-1000,10000,30000,100000}"
  step "Density: live, idle, callable services in one process (open files limit: $(ulimit -n))"
  "$build/bin/orivon_service_bench" --density "$steps"
  step "Density without per-service log files (Supervisor with memory-only logs)"
  "$build/bin/orivon_service_bench" --density "$steps" --memory-only-logs
  step "Density baseline: the same modules in plain Wasmtime stores (no orivon)"
  "$build/bin/orivon_service_bench" --density "$steps" --raw-wasmtime
fi
