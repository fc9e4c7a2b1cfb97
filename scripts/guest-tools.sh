#!/usr/bin/env bash
# Installs the component tooling for guests into the cache and prints
# KEY=VALUE lines (wasm-tools, wit-bindgen and adapter paths) for CMake.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_cargo_on_path

manifest="$ORIVON_ROOT/deps/guest-tools/Cargo.toml"
pin() { sed -n "s/^$1 = \"\(.*\)\"$/\1/p" "$manifest"; }

install_tool() {  # crate version binary
  local root="$ORIVON_CACHE/$1-$2"
  if [ ! -x "$root/bin/$3" ]; then
    step "Installing $1 $2 (first time only)"
    cargo install --quiet --locked --root "$root" --version "=$2" "$1" >&2
  fi
  echo "$root/bin/$3"
}

wasm_tools=$(install_tool wasm-tools "$(pin wasm-tools)" wasm-tools)
wit_bindgen=$(install_tool wit-bindgen-cli "$(pin wit-bindgen-cli)" wit-bindgen)

# The adapter crate ships the adapters as files; cargo metadata downloads it
# (once) and tells where its sources are.
src=$(cargo metadata --quiet --format-version 1 --locked --manifest-path "$manifest" |
  python3 -c 'import json,sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "wasi-preview1-component-adapter-provider":
        print(p["manifest_path"].rsplit("/", 1)[0])')
[ -f "$src/artefacts/wasi_snapshot_preview1.command.wasm" ] || die "WASI adapters not found in $src"

# The WIT packages of WASI 0.2 that the embedded Wasmtime implements, from the
# wasmtime-wasi crate that deps/wasmtime already pins.
# wasmtime-wasi-http's carries wasi:http beside the same packages.
crate_dir() {
  cargo metadata --quiet --format-version 1 --locked \
    --manifest-path "$ORIVON_ROOT/deps/wasmtime/Cargo.toml" |
    python3 -c 'import json,sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1]:
        print(p["manifest_path"].rsplit("/", 1)[0])' "$1"
}
wasi_src=$(crate_dir wasmtime-wasi)
[ -d "$wasi_src/src/p2/wit/deps" ] || die "WASI WIT packages not found in $wasi_src"
wasi_http_src=$(crate_dir wasmtime-wasi-http)
[ -f "$wasi_http_src/wit/deps/http.wit" ] || die "wasi:http WIT package not found in $wasi_http_src"

echo "WASM_TOOLS=$wasm_tools"
echo "WIT_BINDGEN=$wit_bindgen"
echo "WASI_ADAPTER_COMMAND=$src/artefacts/wasi_snapshot_preview1.command.wasm"
echo "WASI_ADAPTER_REACTOR=$src/artefacts/wasi_snapshot_preview1.reactor.wasm"
echo "WASI_WIT_DEPS=$wasi_src/src/p2/wit/deps"
echo "WASI_HTTP_WIT_DEPS=$wasi_http_src/wit/deps"
