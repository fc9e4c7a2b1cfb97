#!/usr/bin/env bash
# Installs jco (the Bytecode Alliance's JavaScript component toolchain) into
# the cache, once, and prints the jco binary's path. scripts/bench.sh uses it
# to transpile bench_typed for the jco peer (bench/node/jco_bench.mjs) and
# skips that peer when this fails, so it fails soft: a note on stderr and a
# non-zero exit when node or npm are missing or the install fails (offline).
#
# No WASI shim (@bytecodealliance/preview2-shim) is pinned beside jco:
# bench_typed imports nothing, so its transpiled output imports nothing.
#
# Nothing goes into the repository: node_modules stays in the cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JCO_VERSION=1.35.0  # pinned exactly

skip() { note "$*"; exit 1; }

command -v node >/dev/null 2>&1 || skip "node not found: cannot run jco"

prefix="$ORIVON_CACHE/jco-$JCO_VERSION"
jco="$prefix/node_modules/.bin/jco"
if [ ! -x "$jco" ]; then
  command -v npm >/dev/null 2>&1 || skip "npm not found: cannot install jco"
  step "Installing jco $JCO_VERSION (first time only)"
  mkdir -p "$prefix"
  # --prefix with no package.json of its own: npm writes one there, which
  # keeps the install (and its lock file) inside the cache directory.
  if ! npm install --prefix "$prefix" --save-exact --no-audit --no-fund --loglevel=error \
      "@bytecodealliance/jco@$JCO_VERSION" >&2; then
    skip "installing jco failed (offline?): no jco peer"
  fi
  [ -x "$jco" ] || skip "jco not found at $jco after installing: no jco peer"
fi
echo "$jco"
