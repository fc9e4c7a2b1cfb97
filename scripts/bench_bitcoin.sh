#!/usr/bin/env bash
# The Bitcoin node's numbers (README "Bitcoin node"), each beside its
# baseline in the same run, on the same chain from the same peer:
#
#   - a native `btcd --regtest` peer on loopback mines BLOCKS blocks with
#     txgen's spends (from 1,000 blocks up, as many spends as blocks);
#   - ROUNDS times, alternating: btcd.wasm as bitcoin.node.orivon under
#     `orivon up` (installed and compiled once before the rounds) syncs the
#     chain from an empty data directory, and the same btcd built natively,
#     with the same flags, does the same;
#   - per round: seconds from start to the peer's tip, blocks/s and
#     transactions/s validated (coinbases included), the resident memory at
#     the tip (the whole `orivon up` host beside the native process), and for
#     orivon the time `orivon start` takes with the compiled code cached.
#
#   scripts/bench_bitcoin.sh BUILD_DIR [BLOCKS] [ROUNDS]   (1000, 3)
#
# Everything lives in a temporary directory, removed at the end; nothing
# leaves loopback.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build="${1:?usage: scripts/bench_bitcoin.sh BUILD_DIR [BLOCKS] [ROUNDS]}"
blocks="${2:-1000}"
rounds="${3:-3}"
orivon="$build/bin/orivon"
btcd_dir=$("$ORIVON_ROOT/scripts/build-btcd.sh")
node=bitcoin.node.orivon

work=$(mktemp -d)
export ORIVON_STATE="$work/state"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
peer_port=$(free_port); peer_rpc=$(free_port); node_rpc=$(free_port); native_rpc=$(free_port)
rpc() {  # rpc PORT COMMAND...: btcctl against a btcd's RPC port
  local port=$1; shift
  HOME="$work" "$btcd_dir/bin/btcctl" --regtest --configfile="$work/none.conf" \
    --rpcserver="127.0.0.1:$port" --rpcuser=orivon --rpcpass=orivon --notls "$@" 2>/dev/null
}
now() { date +%s.%N; }
calc() { python3 -c "print(f'{$1:.${2:-2}f}')"; }
wait_for_height() {  # wait_for_height PORT HEIGHT
  for _ in $(seq 1 12000); do
    [ "$(rpc "$1" getblockcount || echo -1)" = "$2" ] && return 0
    sleep 0.02
  done
  die "127.0.0.1:$1 did not reach height $2"
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

load=$(cut -d' ' -f1 /proc/loadavg)
step "Bitcoin node: a native peer mining $blocks blocks (load average now: $load on $(nproc) cores)"
"$btcd_dir/bin/btcd" --regtest --datadir="$work/peer" --logdir="$work/peer-logs" \
  --configfile="$work/none.conf" --listen="127.0.0.1:$peer_port" \
  --rpclisten="127.0.0.1:$peer_rpc" --rpcuser=orivon --rpcpass=orivon --notls \
  --miningaddr="$("$btcd_dir/bin/txgen" address)" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do rpc "$peer_rpc" getblockcount >/dev/null && break; sleep 0.1; done
spends=$((blocks >= 1000 ? blocks : 0))
made=$("$btcd_dir/bin/txgen" grow -rpcserver="127.0.0.1:$peer_rpc" -height="$blocks" \
  -txs="$spends" 2>&1 >/dev/null | sed -n 's/.*, \([0-9]*\) transactions$/\1/p')
transactions=$((made + blocks))  # the spends and one coinbase a block
note "chain: $blocks blocks, $transactions transactions ($made spends)"

mkdir -p "$work/node"
t0=$(now)
"$orivon" add "$btcd_dir/btcd.wasm" --id "$node" >/dev/null
compile=$(calc "$(now) - $t0")
"$orivon" allow "$node" "fs:$work/node=/data:rw" \
  "net:connect:127.0.0.1:$peer_port" "net:listen:127.0.0.1:$node_rpc" \
  arg:--regtest "arg:--connect=127.0.0.1:$peer_port" arg:--datadir=/data/btcd \
  arg:--logdir=/data/logs arg:--configfile=/data/btcd.conf "arg:--rpclisten=127.0.0.1:$node_rpc" \
  arg:--rpcuser=orivon arg:--rpcpass=orivon arg:--notls arg:--utxocachemaxsize=16 >/dev/null
"$orivon" up >"$work/host.log" 2>&1 &
host=$!
pids+=("$host")
for _ in $(seq 1 600); do [ -S "$ORIVON_STATE/control.sock" ] && break; sleep 0.1; done
note "btcd.wasm ($(du -h "$btcd_dir/btcd.wasm" | cut -f1)) compiled at orivon add in $compile s (once)"

printf '%-8s %-8s %10s %10s %10s %10s %12s\n' round runtime "start s" "sync s" "blocks/s" "txs/s" "RSS MiB"
for round in $(seq 1 "$rounds"); do
  # Under orivon: an empty data directory, the compiled code from the cache.
  rm -rf "${work:?}/node/"*
  t0=$(now)
  "$orivon" start "$node" >/dev/null
  started=$(calc "$(now) - $t0")
  wait_for_height "$node_rpc" "$blocks"
  sync=$(calc "$(now) - $t0")
  rss=$(rss_mib "$host")
  "$orivon" stop "$node" >/dev/null
  printf '%-8s %-8s %10s %10s %10s %10s %12s\n' "$round" orivon "$started" "$sync" \
    "$(calc "$blocks / $sync" 0)" "$(calc "$transactions / $sync" 0)" "$rss"

  # Native: the same flags, a fresh data directory (process start included).
  rm -rf "${work:?}/native"
  t0=$(now)
  "$btcd_dir/bin/btcd" --regtest --datadir="$work/native" --logdir="$work/native-logs" \
    --configfile="$work/none.conf" --connect="127.0.0.1:$peer_port" \
    --rpclisten="127.0.0.1:$native_rpc" --rpcuser=orivon --rpcpass=orivon --notls \
    --utxocachemaxsize=16 >/dev/null 2>&1 &
  native=$!
  pids+=("$native")
  wait_for_height "$native_rpc" "$blocks"
  sync=$(calc "$(now) - $t0")
  rss=$(rss_mib "$native")
  kill "$native"
  wait "$native" 2>/dev/null || true
  printf '%-8s %-8s %10s %10s %10s %10s %12s\n' "$round" native - "$sync" \
    "$(calc "$blocks / $sync" 0)" "$(calc "$transactions / $sync" 0)" "$rss"
done
note "sync s: from start until the node's RPC reports the peer's height (polled every 20 ms);" \
     "RSS: the whole orivon host (node, runtime) beside the native btcd process; load average" \
     "at the end: $(cut -d' ' -f1 /proc/loadavg)"
