#!/usr/bin/env bash
# Sets up everything orivon needs on a Debian 12 machine and builds it:
# Debian packages, Wasmtime's C API (cached), the guest toolchain (cached),
# then configures and builds with CMake. Safe to run again: each step skips
# what is already in place. The CLI ends up at build/bin/orivon.
#
# Environment: ORIVON_PRESET (default: dev), ORIVON_CACHE (default:
# ~/.cache/orivon).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ORIVON_ROOT"

# Debian packages, and why each is here, are listed in README.md.
packages=(
  build-essential cmake ninja-build pkg-config python3
  clang lld wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

ensure_cargo_on_path
wasmtime_dir=$("$ORIVON_ROOT/scripts/build-wasmtime.sh")
step "Guest toolchain"
eval "$("$ORIVON_ROOT/scripts/guest-tools.sh")"

preset="${ORIVON_PRESET:-dev}"
step "Configuring (preset $preset)"
cmake --preset "$preset" \
  -DORIVON_WASMTIME_DIR="$wasmtime_dir" \
  -DORIVON_WASM_TOOLS="$WASM_TOOLS" \
  -DORIVON_WIT_BINDGEN="$WIT_BINDGEN" \
  -DORIVON_WASI_ADAPTER_COMMAND="$WASI_ADAPTER_COMMAND" \
  -DORIVON_WASI_ADAPTER_REACTOR="$WASI_ADAPTER_REACTOR" \
  -DORIVON_WASI_WIT_DEPS="$WASI_WIT_DEPS" >&2
step "Building"
cmake --build --preset "$preset" >&2
step "Ready: build/bin/orivon"
