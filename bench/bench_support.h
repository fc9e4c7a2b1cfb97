#pragma once

// Shared pieces of orivon_bench: the benchmark guests, and the raw Wasmtime
// baseline's engine, built from the same configuration function orivon's
// engine uses (engine::Engine::make_config), so every orivon/raw pair in one
// run differs only by what orivon does on top of Wasmtime.
//
// Naming: every benchmark is registered as CASE/SIDE, SIDE being `orivon`,
// `raw` (Wasmtime C/C++ API, same engine configuration) or another peer;
// scripts/bench_table.py pairs the sides of a CASE into one table row.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <wasmtime.hh>

#include "bench_common.h"
#include "engine/engine.h"
#include "orivon/runtime.h"

namespace orivon::bench {

// The core module every core benchmark uses, in both orivon and raw form.
//  - add: a plain host-to-guest call;
//  - call_host(n): n calls of a cheap WASI import (clock_time_get), the
//    guest-to-host path every orivon host function takes today (WASI);
//  - dirty(n): writes one byte in each of n pages (memory reset cost of a
//    fresh instance per call);
//  - cpu(n): a memory-bound loop of n rounds over 4 KiB, for the cost of
//    epoch and fuel checks and of the bounds checks the memory layout needs.
inline constexpr std::string_view kCoreModule = R"(
  (module
    (import "wasi_snapshot_preview1" "clock_time_get"
      (func $clock_time_get (param i32 i64 i32) (result i32)))
    (memory (export "memory") 65)
    (data (i32.const 1024) "orivon benchmark data segment")
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))
    (func (export "call_host") (param $n i32) (result i32)
      (local $i i32)
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (local.get $i))
    (func (export "dirty") (param $pages i32) (result i32)
      (local $i i32)
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $pages)))
          (i32.store8 (i32.mul (local.get $i) (i32.const 65536)) (i32.const 1))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (local.get $i))
    (func (export "cpu") (param $rounds i32) (result i32)
      (local $i i32) (local $sum i32)
      (block $done
        (loop $round
          (br_if $done (i32.eqz (local.get $rounds)))
          (local.set $i (i32.const 0))
          (loop $word
            (i32.store offset=8192 (local.get $i)
              (i32.add (i32.load offset=8192 (local.get $i)) (local.get $rounds)))
            (local.set $sum (i32.add (local.get $sum) (i32.load offset=8192 (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br_if $word (i32.lt_u (local.get $i) (i32.const 4096))))
          (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
          (br $round)))
      (local.get $sum)))
)";

// A small module for instantiation: one page of memory with a data segment,
// one function, the WASI import a real program would have.
inline constexpr std::string_view kSmallModule = R"(
  (module
    (import "wasi_snapshot_preview1" "clock_time_get"
      (func $clock_time_get (param i32 i64 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 1024) "orivon benchmark data segment")
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1))))
)";

inline std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

// Where the build put a guest (`NAME.component.wasm` or `NAME.core.wasm`).
inline std::filesystem::path guest_path(std::string_view file) {
  return std::filesystem::path(ORIVON_BUILD_DIR) / "guests" / file;
}

inline std::vector<std::uint8_t> read_binary(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A raw engine configured exactly as orivon's. Benchmarks that need
// interruption off (which orivon never does) change that on top.
inline wasmtime::Engine raw_engine(FuelMetering fuel = FuelMetering::Off) {
  return wasmtime::Engine(engine::Engine::make_config(fuel));
}

// The raw baseline's store: what orivon's make_store sets for a run without
// limits (a far epoch deadline and an empty WASI context).
inline wasmtime::Store raw_store(wasmtime::Engine& engine) {
  wasmtime::Store store(engine);
  store.context().set_epoch_deadline(std::uint64_t{1} << 62);
  store.context().set_wasi(wasmtime::WasiConfig()).unwrap();
  return store;
}

}  // namespace orivon::bench
