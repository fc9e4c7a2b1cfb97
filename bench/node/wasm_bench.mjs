// Node's built-in WebAssembly as a peer for orivon_bench: instantiating and
// calling the same core modules (written by `orivon_bench --write-wasm=DIR`).
//
//   node bench/node/wasm_bench.mjs DIR > node.json
//
// Prints Google Benchmark's JSON shape (benchmarks[].name/real_time/time_unit)
// so scripts/bench_table.py reads it like the C++ results. Node gets no WASI:
// the one import (clock_time_get) is a plain JS function that returns 0, so
// guest_to_host measures a call into JS, not a WASI call.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, record, writeResults } from './measure.mjs';

const dir = process.argv[2];
const small = new WebAssembly.Module(readFileSync(join(dir, 'small.wasm')));
const core = new WebAssembly.Module(readFileSync(join(dir, 'core.wasm')));
const imports = { wasi_snapshot_preview1: { clock_time_get: () => 0 } };

let sink = 0;

record('instantiate_core/node', measure(() => { sink += new WebAssembly.Instance(small, imports) ? 1 : 0; }));
const live = new WebAssembly.Instance(core, imports).exports;
record('call_core/node', measure(() => { sink += live.add(1, 2); }));
record('guest_to_host_x1000/node', measure(() => { sink += live.call_host(1000); }));
record('fresh_instance_call/node', measure(() => {
  sink += new WebAssembly.Instance(core, imports).exports.add(1, 2);
}));
for (const pages of [1, 16, 64]) {
  record(`fresh_instance_dirty_${pages}_pages/node`, measure(() => {
    sink += new WebAssembly.Instance(core, imports).exports.dirty(pages);
  }));
}
record('cpu_epochs/node', measure(() => { sink += live.cpu(2000); }, 1, 2));

writeResults(sink);
