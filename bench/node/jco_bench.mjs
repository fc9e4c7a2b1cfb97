// jco as a peer for orivon_bench's component rows: bench_typed transpiled by
// jco (scripts/bench.sh runs `jco transpile --instantiation sync`) into JS
// plus core modules, run on Node's WebAssembly.
//
//   node bench/node/jco_bench.mjs DIR > jco.json
//
// DIR holds jco's output for build/guests/bench_typed.component.wasm.
// Prints the JSON shape of wasm_bench.mjs (rows named CASE/jco), measured the
// same way. Node gets no WASI: bench_typed imports nothing (the reactor
// adapter's WASI imports are unused and dropped when the component is made),
// so jco's output imports nothing and the import object is empty; no
// preview2-shim is loaded. orivon and raw Wasmtime link WASI 0.2 and give
// every store an empty WASI context all the same.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measure, record, writeResults } from './measure.mjs';

const dir = process.argv[2];
const entry = readdirSync(dir).find((name) => name.endsWith('.js'));
if (!entry) throw new Error(`no transpiled component (.js) in ${dir}`);
const { instantiate } = await import(pathToFileURL(join(dir, entry)).href);

// The core modules are compiled once, as raw Wasmtime compiles the component
// once; `instantiate` asks for them by file name on every instantiation.
const modules = new Map(readdirSync(dir).filter((name) => name.endsWith('.wasm'))
  .map((name) => [name, new WebAssembly.Module(readFileSync(join(dir, name)))]));
const getCoreModule = (name) => modules.get(name);
const imports = {};

let sink = 0;

// instantiate_component: like the raw row (a compiled component and a linker
// built once; per iteration a new store and an instance, no call), here a
// fresh instance of the transpiled component from the compiled core modules:
// jco's per-instance JS state, both core instances and the reactor's
// _initialize, which Wasmtime also runs when instantiating.
record('instantiate_component/jco', measure(() => {
  sink += instantiate(getCoreModule, imports) ? 1 : 0;
}));

// The typed calls on one live instance, with the arguments of the raw rows
// (bench/call_bench.cc), built once: a string of N 'x', and N bytes i % 251
// as a Uint8Array (jco's type for list<u8>). jco copies either into the
// guest's memory on every call, as Wasmtime lowers them.
const live = instantiate(getCoreModule, imports);
live.noop();
record('typed_noop/jco', measure(() => { live.noop(); ++sink; }));
for (const [size, bytes] of [['16B', 16], ['1KiB', 1024], ['64KiB', 65536]]) {
  const text = 'x'.repeat(bytes);
  const list = Uint8Array.from({ length: bytes }, (_, i) => i % 251);
  if (live.stringLength(text) !== bytes || live.listLength(list) !== bytes) {
    throw new Error(`bench_typed returned a wrong length for ${size}`);
  }
  record(`typed_string_${size}/jco`, measure(() => { sink += live.stringLength(text); }));
  record(`typed_list_${size}/jco`, measure(() => { sink += live.listLength(list); }));
}

// Module-to-module peers for bench/calls_bench.cc's module_to_module_bytes_*
// and module_to_module_string_* rows. jco has no host-mediated link between
// two components: the nearest is what a composed pair costs in JS, a value
// lowered into one instance and lifted back out, then lowered into a second
// instance and lifted back (the four copies of one echo between two modules).
const other = instantiate(getCoreModule, imports);
for (const [size, bytes] of [['16B', 16], ['4KiB', 4096], ['64KiB', 65536], ['1MiB', 1 << 20],
                             ['16MiB', 1 << 24]]) {
  const text = 'x'.repeat(bytes);
  const list = Uint8Array.from({ length: bytes }, (_, i) => i % 251);
  if (other.echoBytes(live.echoBytes(list)).length !== bytes ||
      other.echoString(live.echoString(text)).length !== bytes) {
    throw new Error(`bench_typed echoed a wrong length for ${size}`);
  }
  const seconds = bytes >= (1 << 20) ? 2 : 0.5;
  record(`module_to_module_bytes_${size}/jco`,
         measure(() => { sink += other.echoBytes(live.echoBytes(list)).length; }, 1, seconds));
  record(`module_to_module_string_${size}/jco`,
         measure(() => { sink += other.echoString(live.echoString(text)).length; }, 1, seconds));
}

writeResults(sink);
