#!/usr/bin/env python3
"""Prints orivon's benchmark table from Google Benchmark JSON files.

    scripts/bench_table.py RESULT.json [MORE.json ...] [--cli CLI.json] [--markdown]

Every benchmark is named CASE/SIDE (bench/bench_support.h). One row per CASE:
orivon's time, the raw Wasmtime baseline's (same engine configuration, same
run), their ratio, the target from issue 7 where one applies, and peers
(node, jco, the Wasmtime CLI) for the same case. With repetitions, the fastest
repetition is used: on a shared machine noise only ever adds time. Files
holding only aggregates give their median. Standard library only.
"""

import json
import sys

# The ratio targets of issue 7: instantiation and plain calls at most 1.10
# times raw Wasmtime.
TARGETS = {
    "instantiate_core": 1.10,
    "instantiate_component": 1.10,
    "fresh_instance_call": 1.10,
    "call_core": 1.10,
    "guest_to_host_x1000": 1.10,
    "typed_noop": 1.10,
    "cpu_epochs": 1.10,
    "cpu_fuel": 1.10,
}

# A permission-checked call between two modules (bench/calls_bench.cc): at
# most 1.2 times the raw pair (the same two modules wired with the raw API)
# plus 20 ns.
MODULE_TO_MODULE = "module_to_module_"

# Issue 16: bulk values between modules, absolute time per call (ns); and
# strings within 1.5 times jco's where a jco row exists.
ABSOLUTE = {
    "module_to_module_bytes_64KiB": 20e3,
    "module_to_module_bytes_1MiB": 300e3,
}
STRING_CASES = "module_to_module_string_"
STRING_JCO_FACTOR = 1.5

# CASE_text/orivon: the same call as CASE through orivon's text path
# (`name(args)`, WAVE for components), against CASE/raw. No target: the
# targets apply to the typed call.
TEXT_SUFFIX = "_text"

NOTES = {
    "instantiate_core_linker_per_instance": "raw, building the WASI linker per instance as orivon does",
    "function_call": "Runtime::call of a [function] module, a fresh instance per call (grants read, instantiate, call, drop); raw = fresh_instance_call/raw",
    "call_service": "public API: text call on the caller's thread, store taken under the service's lock; baseline = direct raw call",
    "cpu_interruption_off": "raw only: orivon always has epochs on",
    "cpu_epochs_wasmtime_default_memory": "raw, Wasmtime's default 4 GiB reservation (no bounds checks)",
    "cli_run_hello": "process start-up incl. compiling: orivon run --no-cache vs wasmtime run -C cache=n",
    "cli_run_hello_cached": "process start-up, compiled code from the cache: orivon run vs wasmtime run -C cache=y",
    "call_core": "orivon: typed call through a looked-up LiveInstance::Function; raw: C API call",
    "call_core_text": "orivon: name(args) parsed and results formatted per call; raw = call_core/raw",
    "call_core_cpp_api": "raw, the C++ API's Func::call (reads the type, builds vectors per call)",
    "typed_noop_text": "orivon: WAVE text per call; raw = typed_noop/raw",
    "module_to_module_s64": "per call; raw = the same two modules wired with the raw API",
}

UNIT_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def normalize(name):
    """CASE/SIDE without what Google Benchmark appends: arguments,
    iterations:N, repeats:N, manual_time, real_time."""
    parts = [part for part in name.split("/")
             if not part.isdigit() and ":" not in part and part not in ("manual_time", "real_time")]
    return "/".join(parts)


def load(paths):
    """Returns {name: ns per iteration}: the fastest repetition, else the median."""
    times = {}
    medians = {}
    for path in paths:
        with open(path) as handle:
            text = handle.read()
        if not text.strip():
            continue  # Google Benchmark writes nothing when the filter matched nothing
        data = json.loads(text)
        for bench in data.get("benchmarks", []):
            if bench.get("error_occurred"):
                continue
            name = normalize(bench.get("run_name", bench["name"]))
            value = bench["real_time"] * UNIT_TO_NS[bench.get("time_unit", "ns")]
            if bench.get("run_type") == "aggregate":
                if bench.get("aggregate_name") in ("median", "min"):
                    medians[name] = value
            else:
                times.setdefault(name, []).append(value)
    result = dict(medians)
    result.update({name: min(values) for name, values in times.items()})
    return result


def human(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main(argv):
    markdown = "--markdown" in argv
    paths = [arg for arg in argv if not arg.startswith("--")]
    times = load(paths)
    cases = {}
    order = []
    for name, value in times.items():
        case, _, side = name.rpartition("/")
        if not case:
            continue
        if case not in cases:
            cases[case] = {}
            order.append(case)
        cases[case][side] = value
    order.sort(key=lambda case: (not case.startswith(("instantiate", "fresh")), case))

    header = ["benchmark", "orivon", "raw wasmtime", "ratio", "target", "peers / note"]
    rows = []
    failed = 0
    for case in order:
        sides = cases[case]
        orivon, raw = sides.get("orivon"), sides.get("raw")
        if raw is None and case.endswith(TEXT_SUFFIX):
            # The text path of a call has no raw run of its own: its
            # baseline is the typed case's.
            raw = cases.get(case[:-len(TEXT_SUFFIX)], {}).get("raw")
        ratio = orivon / raw if orivon and raw else None
        target = TARGETS.get(case)
        verdict = ""
        if case in ABSOLUTE and orivon:
            limit = ABSOLUTE[case]
            verdict = f"<= {human(limit)} " + ("ok" if orivon <= limit else "MISSED")
            failed += orivon > limit
        elif case.startswith(STRING_CASES) and orivon and sides.get("jco"):
            limit = STRING_JCO_FACTOR * sides["jco"]
            verdict = f"<= {STRING_JCO_FACTOR} x jco " + ("ok" if orivon <= limit else "MISSED")
            failed += orivon > limit
        elif case.startswith(MODULE_TO_MODULE) and orivon and raw:
            limit = 1.2 * raw + 20
            verdict = "<= 1.2 x raw + 20 ns " + ("ok" if orivon <= limit else "MISSED")
            failed += orivon > limit
        elif target and ratio:
            verdict = f"<= {target:.2f} " + ("ok" if ratio <= target else "MISSED")
            failed += ratio > target
        peers = [f"{side} {human(value)}" for side, value in sorted(sides.items())
                 if side not in ("orivon", "raw")]
        note = "; ".join(peers + ([NOTES[case]] if case in NOTES else []))
        rows.append([case, human(orivon), human(raw), f"{ratio:.2f}" if ratio else "-",
                     verdict or "-", note])

    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        print("  ".join("-" * w for w in widths))
        for row in rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(f"\n{failed} target(s) missed; times per iteration: fastest of the interleaved "
          "repetitions (node, jco: fastest of 5; CLI: median of 20); ratio = orivon / raw from the same run.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
