#!/usr/bin/env bash
# Builds btcd (the Bitcoin node orivon runs, examples/bitcoin) into a cache
# outside the source tree and prints that directory, which holds:
#   btcd.wasm    btcd for GOOS=wasip1 with orivon's files added
#                (examples/bitcoin/btcd: overlay/ copied in, patches/ applied),
#                the core module `bitcoin.node.orivon` runs
#   bin/btcd     the same btcd built natively: the regtest peer tests start
#   bin/btcctl   its command-line RPC client (generate, getbestblockhash ...)
#   bin/txgen    orivon's regtest traffic maker (examples/bitcoin/tools/txgen):
#                spends, chains of spends, a block with a tampered signature
#
# btcd and goleveldb come from the Go module proxy, pinned below; they are
# build inputs only (copied into the cache, never into the source tree).
# The cache key is the pins and a hash of orivon's own files, so a change
# to them builds a new copy and an unchanged one is reused at once.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

btcd_version=v0.26.2
goleveldb_version=v1.0.1-0.20210819022825-2ae1ddf74ef7
go_bin="${ORIVON_GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[ -x "$go_bin" ] || die "Go not found (needed to build btcd); get it from https://go.dev/dl/"

own="$ORIVON_ROOT/examples/bitcoin/btcd"
txgen="$ORIVON_ROOT/examples/bitcoin/tools/txgen"
key=$( (echo "$btcd_version $goleveldb_version $("$go_bin" env GOVERSION)"; \
        cd "$ORIVON_ROOT/examples/bitcoin" && find btcd tools -type f | LC_ALL=C sort | xargs cat) |
      sha256sum | cut -c1-12)
dest="$ORIVON_CACHE/btcd-$btcd_version-$key"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi

step "Building btcd $btcd_version for wasip1 and natively (first time only; about 2 minutes on 2 cores)"
note "cache: $dest"
go_cache="$ORIVON_CACHE/btcd-go"
export GOPATH="$go_cache/path" GOMODCACHE="$go_cache/mod" GOCACHE="$go_cache/build" \
  GOFLAGS=-modcacherw GOTOOLCHAIN=local GOENV=off GOWORK=off GOTELEMETRY=off \
  XDG_CONFIG_HOME="$go_cache/config"
mkdir -p "$go_cache"
work=$(mktemp -d "$ORIVON_CACHE/btcd-work.XXXXXX")
trap 'rm -rf "$work"' EXIT

module_dir() { "$go_bin" mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
btcd_src=$(module_dir "github.com/btcsuite/btcd@$btcd_version")
leveldb_src=$(module_dir "github.com/syndtr/goleveldb@$goleveldb_version")
[ -d "$btcd_src" ] && [ -d "$leveldb_src" ] || die "could not download btcd's sources"

# Native: the peer and its RPC client, exactly as published.
GOBIN="$work/bin" "$go_bin" install -trimpath "github.com/btcsuite/btcd@$btcd_version" \
  "github.com/btcsuite/btcd/cmd/btcctl@$btcd_version" >&2

# txgen: our own program on btcd's published packages, pinned in its go.mod
# and go.sum. The install above filled the module cache with all of them,
# so it builds offline, from a copy (the build never writes the tree).
cp -r "$txgen" "$work/txgen"
(cd "$work/txgen" && GOFLAGS="-modcacherw -mod=mod" GOPROXY=off \
  "$go_bin" build -trimpath -buildvcs=false -o "$work/bin/txgen" . >&2)

# wasip1: a copy of both modules with orivon's files added.
cp -r "$btcd_src" "$work/btcd"
cp -r "$leveldb_src" "$work/goleveldb"
chmod -R u+w "$work/btcd" "$work/goleveldb"
cp -r "$own/overlay/btcd/." "$work/btcd/"
cp -r "$own/overlay/goleveldb/." "$work/goleveldb/"
for p in "$own"/patches/*.patch; do
  patch -s -p1 -d "$work/btcd" < "$p" >&2
done
(cd "$work/btcd" && "$go_bin" mod edit -replace "github.com/syndtr/goleveldb=../goleveldb" &&
  GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 "$go_bin" build -trimpath -buildvcs=false -ldflags=-s \
    -o "$work/btcd.wasm" . >&2)

rm -rf "$dest"
mkdir -p "$dest/bin"
mv "$work/btcd.wasm" "$dest/"
mv "$work/bin/btcd" "$work/bin/btcctl" "$work/bin/txgen" "$dest/bin/"
touch "$dest/.complete"
echo "$dest"
