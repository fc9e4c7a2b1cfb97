# Shared helpers for the set-up scripts. Sourced, never run.

ORIVON_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIVON_CACHE="${ORIVON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orivon}"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Content hash of the given files, short enough for a directory name.
hash_files() { cat "$@" | sha256sum | cut -c1-12; }

# Makes cargo reachable for non-login shells (rustup installs into ~/.cargo/bin).
ensure_cargo_on_path() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (rustup) first"
}
