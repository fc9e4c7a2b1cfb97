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

# Go builds the Go guests (//go:wasmexport needs 1.24). Debian 12's golang is
# too old, so it is not installed here: it must already be in place.
go_minimum=1.24
go_bin=$(command -v go || true)
[ -n "$go_bin" ] || [ ! -x /usr/local/go/bin/go ] || go_bin=/usr/local/go/bin/go
go_help="install Go $go_minimum or newer from https://go.dev/dl/ (unpack it into /usr/local/go, or put its bin/ on PATH), then run this again"
[ -n "$go_bin" ] || die "Go not found on PATH or in /usr/local/go/bin: $go_help"
# Telemetry counters go to XDG_CONFIG_HOME on every go command; keep them out of ~/.config.
go_version=$(GOENV=off GOTOOLCHAIN=local XDG_CONFIG_HOME="$ORIVON_CACHE/go/config" "$go_bin" version) ||
  die "$go_bin does not run: $go_help"
[[ "$go_version" =~ go([0-9]+)\.([0-9]+) ]] || die "cannot read the version of $go_bin ($go_version): $go_help"
if [ "${BASH_REMATCH[1]}" -eq 1 ] && [ "${BASH_REMATCH[2]}" -lt "${go_minimum#1.}" ]; then
  die "$go_bin is ${BASH_REMATCH[0]}, too old for the Go guests: $go_help"
fi

# Debian packages, and why each is here, are listed in README.md.
packages=(
  build-essential cmake ninja-build pkg-config python3
  clang lld wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32 libclang-rt-14-dev
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev chromium chromium-driver wrk
  libnats-dev nats-server
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
btcd_dir=$(ORIVON_GO="$go_bin" "$ORIVON_ROOT/scripts/build-btcd.sh")

preset="${ORIVON_PRESET:-dev}"
step "Configuring (preset $preset)"
cmake --preset "$preset" \
  -DORIVON_WASMTIME_DIR="$wasmtime_dir" \
  -DORIVON_WASM_TOOLS="$WASM_TOOLS" \
  -DORIVON_WIT_BINDGEN="$WIT_BINDGEN" \
  -DORIVON_WASI_ADAPTER_COMMAND="$WASI_ADAPTER_COMMAND" \
  -DORIVON_WASI_ADAPTER_REACTOR="$WASI_ADAPTER_REACTOR" \
  -DORIVON_WASI_WIT_DEPS="$WASI_WIT_DEPS" \
  -DORIVON_WASI_HTTP_WIT_DEPS="$WASI_HTTP_WIT_DEPS" \
  -DORIVON_GO="$go_bin" \
  -DORIVON_GO_CACHE="$ORIVON_CACHE/go" \
  -DORIVON_BTCD_DIR="$btcd_dir" >&2
step "Building"
cmake --build --preset "$preset" >&2
if [ "$preset" = dev ]; then
  step "Ready: build/bin/orivon"
else
  step "Ready: preset $preset"
fi
