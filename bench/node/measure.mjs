// What the Node peers share: timing a body the way the suite compares with,
// and printing rows in Google Benchmark's JSON shape (benchmarks[].name,
// real_time, time_unit) so scripts/bench_table.py reads them like the C++
// results.

const results = [];

// Runs `body` in batches until about `seconds` have passed; returns ns per
// item (the minimum over 5 repetitions, as noise only ever adds time).
export function measure(body, itemsPerCall = 1, seconds = 0.5) {
  let best = Infinity;
  for (let repetition = 0; repetition < 5; ++repetition) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    const budget = BigInt(Math.round((seconds / 5) * 1e9));
    while (elapsed < budget) {
      for (let i = 0; i < 100; ++i) body();
      calls += 100;
      elapsed = process.hrtime.bigint() - start;
    }
    best = Math.min(best, Number(elapsed) / calls / itemsPerCall);
  }
  return best;
}

// Adds one row: `name` is CASE/SIDE.
export function record(name, nsPerItem) {
  results.push({ name, run_type: 'aggregate', aggregate_name: 'min', real_time: nsPerItem, time_unit: 'ns' });
}

// Prints every row recorded; `sink` (what the bodies computed) goes along so
// no body can be optimized away.
export function writeResults(sink) {
  process.stdout.write(JSON.stringify({ context: { node: process.version, sink }, benchmarks: results }, null, 1) + '\n');
}
