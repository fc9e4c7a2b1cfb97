#!/usr/bin/env python3
"""Times whole commands (process start-up) for the benchmark table.

    scripts/bench_cli.py OUT.json RUNS CASE/SIDE -- COMMAND... [::: CASE/SIDE -- COMMAND...]

Runs each command RUNS times, alternating between them so machine load hits
every side alike, and writes Google Benchmark's JSON shape (median per side)
for scripts/bench_table.py. Standard library only.
"""

import json
import statistics
import subprocess
import sys
import time


def main(argv):
    out, runs = argv[0], int(argv[1])
    commands = []
    group = []
    for token in argv[2:] + [":::"]:
        if token != ":::":
            group.append(token)
            continue
        if len(group) < 3 or group[1] != "--":
            sys.exit("usage: bench_cli.py OUT.json RUNS CASE/SIDE -- COMMAND... [::: ...]")
        commands.append((group[0], group[2:]))
        group = []
    samples = {name: [] for name, _ in commands}
    for _ in range(runs):
        for name, command in commands:
            start = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"{name}: {' '.join(command)} exited with {done.returncode}")
            samples[name].append(elapsed * 1e9)
    benchmarks = [{"name": name, "run_type": "aggregate", "aggregate_name": "median",
                   "real_time": statistics.median(values), "time_unit": "ns"}
                  for name, values in samples.items()]
    with open(out, "w") as handle:
        json.dump({"benchmarks": benchmarks}, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
