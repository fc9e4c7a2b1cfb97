#!/usr/bin/env bash
# The Bitcoin node under orivon, through the CLI (README, "Bitcoin node"):
# sets everything up (scripts/setup.sh builds btcd for wasip1 and natively),
# starts a native `btcd --regtest` peer on loopback and mines BLOCKS blocks
# on it (with txgen, examples/bitcoin/tools/txgen: from 1,000 blocks up, as
# many P2PKH and P2WPKH spends as blocks), then installs btcd.wasm as the command service bitcoin.node.orivon
# with only what it needs (its data directory, a connect grant for the peer,
# a listen grant for its JSON-RPC port, a publish grant for block events),
# starts a host, and shows the node syncing to the peer's tip, following a
# block mined meanwhile, a subscriber counting block events, typed queries
# through the facade bitcoin.rpc.orivon (tip, block hash, an address's
# balance from the node's address index), a graceful stop and a restart that
# resumes from the stored height. Last, a native btcd
# syncs the same chain from the same peer, for comparison.
#
#   scripts/bitcoin-demo.sh [BLOCKS]     (default 1000)
#
# Everything lives in a temporary directory, removed at the end; nothing
# leaves loopback.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
blocks="${1:-1000}"
[ "${ORIVON_SKIP_SETUP:-0}" = 1 ] || "$ORIVON_ROOT/scripts/setup.sh"
cd "$ORIVON_ROOT"
orivon="$ORIVON_ROOT/build/bin/orivon"
btcd_dir=$("$ORIVON_ROOT/scripts/build-btcd.sh")
node=bitcoin.node.orivon
watch=bitcoin.watch.orivon
rpc_facade=bitcoin.rpc.orivon

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
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
wait_for_height() {  # wait_for_height PORT HEIGHT
  for _ in $(seq 1 6000); do
    [ "$(rpc "$1" getblockcount || echo -1)" = "$2" ] && return 0
    sleep 0.05
  done
  die "127.0.0.1:$1 did not reach height $2"
}

step "A native btcd --regtest peer on 127.0.0.1:$peer_port, mining $blocks blocks"
"$btcd_dir/bin/btcd" --regtest --datadir="$work/peer" --logdir="$work/peer-logs" \
  --configfile="$work/none.conf" --listen="127.0.0.1:$peer_port" \
  --rpclisten="127.0.0.1:$peer_rpc" --rpcuser=orivon --rpcpass=orivon --notls \
  --miningaddr="$("$btcd_dir/bin/txgen" address)" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do rpc "$peer_rpc" getblockcount >/dev/null && break; sleep 0.1; done
# Before 1,000 blocks there are too few mature coinbases for as many spends.
txs=$((blocks >= 1000 ? blocks : 0))
"$btcd_dir/bin/txgen" grow -rpcserver="127.0.0.1:$peer_rpc" -height="$blocks" -txs="$txs" \
  2>&1 >/dev/null | sed 's/^/    /'
note "peer tip: $(rpc "$peer_rpc" getbestblockhash) at height $(rpc "$peer_rpc" getblockcount)"

step "Installing btcd.wasm ($(du -h "$btcd_dir/btcd.wasm" | cut -f1)) as $node (compiled once, then cached)"
t0=$(now)
"$orivon" add "$btcd_dir/btcd.wasm" --id "$node"
note "compiled and installed in $(elapsed "$t0" "$(now)") s"
mkdir -p "$work/node"
"$orivon" allow "$node" "fs:$work/node=/data:rw" \
  "net:connect:127.0.0.1:$peer_port" "net:listen:127.0.0.1:$node_rpc" \
  "topic:bitcoin.block.connected:publish" "topic:bitcoin.tx.accepted:publish" \
  arg:--regtest "arg:--connect=127.0.0.1:$peer_port" arg:--datadir=/data/btcd \
  arg:--logdir=/data/logs arg:--configfile=/data/btcd.conf "arg:--rpclisten=127.0.0.1:$node_rpc" \
  arg:--rpcuser=orivon arg:--rpcpass=orivon arg:--notls arg:--utxocachemaxsize=16 \
  arg:--txindex arg:--addrindex
"$orivon" add build/guests/events_probe.component.wasm --id "$watch"
"$orivon" allow "$watch" topic:bitcoin.block.connected:subscribe
# The typed facade: the node's RPC port, reachable by nothing else it holds.
"$orivon" add build/guests/bitcoin_rpc.component.wasm --id "$rpc_facade"
"$orivon" allow "$rpc_facade" "net:connect:127.0.0.1:$node_rpc" "env:BITCOIN_RPC=127.0.0.1:$node_rpc" \
  env:BITCOIN_RPC_USER=orivon env:BITCOIN_RPC_PASS=orivon

step "orivon up, then start the subscriber and the node"
"$orivon" up >"$work/host.log" 2>&1 &
host=$!
pids+=("$host")
for _ in $(seq 1 600); do [ -S "$ORIVON_STATE/control.sock" ] && break; sleep 0.1; done
"$orivon" subscribe "$watch" bitcoin.block.connected
"$orivon" start "$watch"
t0=$(now)
"$orivon" start "$node"
note "started in $(elapsed "$t0" "$(now)") s (compiled code from the cache)"
wait_for_height "$node_rpc" "$blocks"
sync_orivon=$(elapsed "$t0" "$(now)")
note "synced $blocks blocks in $sync_orivon s: node tip $(rpc "$node_rpc" getbestblockhash)"
note "host resident memory at the tip: $(awk '/VmRSS/ {print $2, $3}' "/proc/$host/status")"

step "A block mined on the peer reaches the node, and the subscriber as an event"
rpc "$peer_rpc" generate 1 >/dev/null
wait_for_height "$node_rpc" "$((blocks + 1))"
note "node tip $(rpc "$node_rpc" getbestblockhash) = peer tip $(rpc "$peer_rpc" getbestblockhash)"
"$orivon" call "$watch" 'received()'
"$orivon" call "$watch" 'last()'

step "Typed queries through $rpc_facade (orivon:bitcoin/chain@1.0.0)"
"$orivon" start "$rpc_facade"
"$orivon" call "$rpc_facade" 'get-tip()'
"$orivon" call "$rpc_facade" 'get-block-hash(1)'
address=$("$btcd_dir/bin/txgen" address -witness)
"$orivon" call "$rpc_facade" "balance(\"$address\")"
note "txgen's count of the peer's chain for $address: $("$btcd_dir/bin/txgen" balance \
  -rpcserver="127.0.0.1:$peer_rpc" -address="$address") satoshis"
"$orivon" call "$rpc_facade" 'get-block("not-a-hash")' || true
"$orivon" list

step "orivon stop: btcd hears the request, flushes and shuts down; a restart resumes"
"$orivon" stop "$node"
grep -E "Flushing|Shutdown complete" "$work/node/logs/regtest/btcd.log" | tail -2
rpc "$peer_rpc" generate 2 >/dev/null
"$orivon" start "$node"
wait_for_height "$node_rpc" "$((blocks + 3))"
grep "Chain state" "$work/node/logs/regtest/btcd.log" | tail -1
"$orivon" stop "$node"

step "For comparison: the same btcd, native, syncing the same $((blocks + 3)) blocks"
t0=$(now)
"$btcd_dir/bin/btcd" --regtest --datadir="$work/native" --logdir="$work/native-logs" \
  --configfile="$work/none.conf" --connect="127.0.0.1:$peer_port" \
  --rpclisten="127.0.0.1:$native_rpc" --rpcuser=orivon --rpcpass=orivon --notls \
  --utxocachemaxsize=16 >/dev/null 2>&1 &
pids+=($!)
wait_for_height "$native_rpc" "$((blocks + 3))"
note "native: synced in $(elapsed "$t0" "$(now)") s (process start included); under orivon: $sync_orivon s"
