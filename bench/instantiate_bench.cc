// Instantiate-and-call through orivon's public API beside the same work done
// with the raw Wasmtime C++ API on an engine with the same configuration.
// Run: build/bin/orivon_bench --benchmark_repetitions=5

#include <benchmark/benchmark.h>

#include <span>
#include <string_view>

#include <wasmtime.hh>

#include "orivon/runtime.h"

namespace {

constexpr std::string_view kAdd = R"(
  (module
    (memory (export "memory") 1)
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1))))
)";

void BM_OrivonInvoke(benchmark::State& state) {
  auto runtime = orivon::Runtime::create({});
  auto program = (*runtime)->load_bytes(
      std::as_bytes(std::span<const char>(kAdd.data(), kAdd.size())), "add.wat");
  for (auto _ : state) {
    auto outcome = (*runtime)->invoke(*program, "add(1, 2)", {}, {});
    benchmark::DoNotOptimize(outcome);
  }
}
BENCHMARK(BM_OrivonInvoke);

// The baseline: what orivon's invoke does, minus orivon (store, WASI context,
// linker with WASI, instantiate, call).
void BM_RawWasmtimeInvoke(benchmark::State& state) {
  wasmtime::Config config;
  config.epoch_interruption(true);
  wasmtime::Engine engine(std::move(config));
  auto module = wasmtime::Module::compile(engine, kAdd).unwrap();
  wasmtime::Linker linker(engine);
  linker.define_wasi().unwrap();
  for (auto _ : state) {
    wasmtime::Store store(engine);
    store.context().set_epoch_deadline(1ull << 62);
    store.context().set_wasi(wasmtime::WasiConfig()).unwrap();
    auto instance = linker.instantiate(store, module).unwrap();
    auto add = std::get<wasmtime::Func>(*instance.get(store, "add"));
    auto results = add.call(store, {wasmtime::Val(1), wasmtime::Val(2)}).unwrap();
    benchmark::DoNotOptimize(results);
  }
}
BENCHMARK(BM_RawWasmtimeInvoke);

}  // namespace

BENCHMARK_MAIN();
