#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (preset fuzz: clang, ASan + UBSan, in
# build-fuzz/) and runs each one for a bounded time, one after the other.
# Prints the executions per target and fails if any target crashes, times out,
# runs out of memory or breaks one of its properties; the input that did it is
# saved under build-fuzz/fuzz/artifacts/TARGET/ and the log's tail is shown.
#
#   scripts/fuzz.sh [--time SECONDS] [TARGET...]
#
# SECONDS is per target (default 20, what scripts/test.sh and CI run); pass
# --time 3600 or more for a real hunt. TARGET is a name from fuzz/ without
# _fuzzer (wave, manifest, grant, net_rule, http_origin, control_request,
# module, event_envelope, route, app_file, listing_page); all of them by default. New inputs a run finds are kept in
# build-fuzz/fuzz/work/TARGET and seed the next run on this machine.
#
# To replay one input: build-fuzz/bin/TARGET_fuzzer FILE
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all_targets=(wave manifest grant net_rule http_origin control_request module event_envelope route app_file listing_page)
seconds=20
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) [ $# -ge 2 ] || die "--time needs a number of seconds"; seconds="$2"; shift 2 ;;
    --time=*) seconds="${1#--time=}"; shift ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) targets+=("${1%_fuzzer}"); shift ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || die "--time takes a positive number of seconds"
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [ -f "$ORIVON_ROOT/fuzz/${target}_fuzzer.cc" ] || die "no fuzz target '$target' (fuzz/${target}_fuzzer.cc)"
done

ORIVON_PRESET=fuzz "$ORIVON_ROOT/scripts/setup.sh"

build="$ORIVON_ROOT/build-fuzz"
out="$build/fuzz"
# ASan's defaults stand: leaks (LeakSanitizer) and oversized allocations fail the
# run like crashes do. UBSan aborts on the first finding (-fno-sanitize-recover).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

step "Fuzzing ${#targets[@]} target(s) for $seconds s each"
failed=()
summary=()
for target in "${targets[@]}"; do
  work="$out/work/$target"
  artifacts="$out/artifacts/$target"
  log="$out/logs/$target.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=4096
        -artifact_prefix="$artifacts/")
  dict="$ORIVON_ROOT/fuzz/dict/$target.dict"
  case "$target" in net_rule|http_origin) dict="$ORIVON_ROOT/fuzz/dict/grant.dict" ;; esac
  [ -f "$dict" ] && args+=(-dict="$dict")
  # Seeds: the committed corpus, inputs that once crashed, and binary seeds the build made.
  seeds=()
  for dir in "$ORIVON_ROOT/fuzz/corpus/$target" "$ORIVON_ROOT/fuzz/regressions/$target" "$out/seeds/$target"; do
    [ -d "$dir" ] && seeds+=("$dir")
  done
  note "$target: log in ${log#"$ORIVON_ROOT"/}"
  rc=0
  "$build/bin/${target}_fuzzer" "${args[@]}" "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  if [ "$rc" -eq 0 ]; then
    result="ok"
  else
    result="FAILED (exit $rc)"
    failed+=("$target")
    printf '\n--- %s: last lines of %s\n' "$target" "$log" >&2
    tail -n 40 "$log" >&2
    printf -- '--- input saved in %s\n\n' "${artifacts#"$ORIVON_ROOT"/}" >&2
  fi
  summary+=("$(printf '%-16s %12s %10s   %s' "$target" "${executions:-?}" "${per_second:-?}" "$result")")
done

printf '\n%-16s %12s %10s   %s\n' "target" "executions" "exec/s" "result"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  die "fuzzing found a problem in: ${failed[*]} (replay with build-fuzz/bin/TARGET_fuzzer FILE)"
fi
