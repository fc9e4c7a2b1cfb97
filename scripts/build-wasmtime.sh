#!/usr/bin/env bash
# Builds Wasmtime's C API (pinned in deps/wasmtime) into a cache outside the
# source tree and prints the directory that holds include/ and lib/.
#
# The cache key is a hash of the wrapper crate's Cargo.toml, Cargo.lock and
# lib.rs, so a version or feature change builds a new copy and an unchanged
# one is reused by every clone on this machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_cargo_on_path

crate="$ORIVON_ROOT/deps/wasmtime"
version=$(sed -n 's/^version = "=\(.*\)"$/\1/p' "$crate/Cargo.toml" | head -n1)
[ -n "$version" ] || die "cannot read the pinned Wasmtime version from $crate/Cargo.toml"
key=$(hash_files "$crate/Cargo.toml" "$crate/Cargo.lock" "$crate/lib.rs")
dest="$ORIVON_CACHE/wasmtime-$version-$key"

if [ -f "$dest/.complete" ]; then
  touch "$dest/.complete"  # marks it used, for the pruning below
  echo "$dest"
  exit 0
fi

step "Building Wasmtime $version C API (first time only; about 5 minutes on 2 cores)"
note "cache: $dest"
target="$ORIVON_CACHE/cargo-target"
# Every clone and worktree on this machine shares the target directory, and
# each names its archive liborivon_wasmtime.a: hold a lock from the build to
# the copy below, so another worktree's build (another lib.rs) cannot replace
# the archive in between and be cached under this key.
mkdir -p "$target"
exec 9>"$target/.orivon-build.lock"
flock 9
CARGO_TARGET_DIR="$target" cargo build --release --locked \
  --manifest-path "$crate/Cargo.toml" >&2

# The c-api-impl build script installs the headers (with a conf.h that matches
# the enabled features) into its OUT_DIR; take the newest one.
include_dir=$(ls -td "$target"/release/build/wasmtime-c-api-impl-*/out/include 2>/dev/null | head -n1)
[ -f "$include_dir/wasmtime/conf.h" ] || die "Wasmtime headers were not generated"

tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/lib"
cp -r "$include_dir" "$tmp/include"
cp "$target/release/liborivon_wasmtime.a" "$tmp/lib/libwasmtime.a"
echo "$version" > "$tmp/VERSION"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
flock -u 9
# Builds nobody used for a week (other versions or feature sets) are dead
# weight, ~150 MB each. Recent ones stay: another clone or worktree on this
# machine may still build against them.
for old in "$ORIVON_CACHE"/wasmtime-*; do
  [ "$old" = "$dest" ] || [ ! -f "$old/.complete" ] && continue
  [ -n "$(find "$old/.complete" -mtime +7 2>/dev/null)" ] && rm -rf "$old"
done
echo "$dest"
