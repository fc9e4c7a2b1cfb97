// Instantiation beside the raw Wasmtime C++ API on an engine with the same
// configuration: a core module, a component, a fresh instance per call
// through the public API, and the memory reset cost of such an instance with
// 1, 16 and 64 dirtied pages.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bench/bench_support.h"
#include "engine/program_loader.h"
#include "instance/live_instance.h"

namespace orivon::bench {
namespace {

namespace wc = wasmtime::component;

// One orivon engine and its programs for every instantiate benchmark, built
// on first use so `--benchmark_filter` runs only pay for what they use.
struct OrivonFixture {
  std::unique_ptr<engine::Engine> engine =
      must(engine::Engine::create(RuntimeOptions{}), "creating the engine");
  Program small = must(engine::load_program(engine->wasmtime_engine(), as_bytes(kSmallModule),
                                            "small.wat"),
                       "compiling small.wat");
  Program component = must(
      engine::load_program_file(engine->wasmtime_engine(),
                                guest_path("bench_typed.component.wasm")),
      "compiling bench_typed.component.wasm");
};

OrivonFixture& orivon_fixture() {
  static OrivonFixture fixture;  // lives for the whole run
  return fixture;
}

void instantiate_core_orivon(benchmark::State& state) {
  auto& fixture = orivon_fixture();
  for (auto _ : state) {
    auto instance = instance::LiveInstance::create(*fixture.engine, fixture.small.shared_data(), {}, {});
    if (!instance) state.SkipWithError(instance.error().to_string().c_str());
    benchmark::DoNotOptimize(instance);
  }
}

// The baseline an embedder writes: one linker with WASI, built once.
void instantiate_core_raw(benchmark::State& state) {
  auto engine = raw_engine();
  auto module = wasmtime::Module::compile(engine, kSmallModule).unwrap();
  wasmtime::Linker linker(engine);
  linker.define_wasi().unwrap();
  for (auto _ : state) {
    auto store = raw_store(engine);
    auto instance = linker.instantiate(store, module).unwrap();
    benchmark::DoNotOptimize(instance);
  }
}

// The same with a linker built per instance, as orivon's core runner does
// today: shows what caching the linker would save.
void instantiate_core_raw_linker_per_instance(benchmark::State& state) {
  auto engine = raw_engine();
  auto module = wasmtime::Module::compile(engine, kSmallModule).unwrap();
  for (auto _ : state) {
    wasmtime::Linker linker(engine);
    linker.define_wasi().unwrap();
    auto store = raw_store(engine);
    auto instance = linker.instantiate(store, module).unwrap();
    benchmark::DoNotOptimize(instance);
  }
}

void instantiate_component_orivon(benchmark::State& state) {
  auto& fixture = orivon_fixture();
  for (auto _ : state) {
    auto instance =
        instance::LiveInstance::create(*fixture.engine, fixture.component.shared_data(), {}, {});
    if (!instance) state.SkipWithError(instance.error().to_string().c_str());
    benchmark::DoNotOptimize(instance);
  }
}

void instantiate_component_raw(benchmark::State& state) {
  auto engine = raw_engine();
  auto bytes = read_binary(guest_path("bench_typed.component.wasm"));
  auto component =
      wc::Component::compile(engine, wasmtime::Span<std::uint8_t>(bytes.data(), bytes.size()))
          .unwrap();
  wc::Linker linker(engine);
  linker.add_wasip2().unwrap();
  for (auto _ : state) {
    auto store = raw_store(engine);
    auto instance = linker.instantiate(store, component).unwrap();
    benchmark::DoNotOptimize(instance);
  }
}

// Runtime::invoke: the public "fresh instance per call" API (parse the call,
// new store, WASI, instantiate, call, format the result).
void fresh_instance_call_orivon(benchmark::State& state, std::string call) {
  auto runtime = must(Runtime::create({}), "creating the runtime");
  auto program = must(runtime->load_bytes(as_bytes(kCoreModule), "core.wat"), "compiling core.wat");
  for (auto _ : state) {
    auto outcome = runtime->invoke(program, call, {}, {});
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
    benchmark::DoNotOptimize(outcome);
  }
}

void fresh_instance_call_raw(benchmark::State& state, std::string name, std::int32_t a,
                             std::int32_t b, bool two_args) {
  auto engine = raw_engine();
  auto module = wasmtime::Module::compile(engine, kCoreModule).unwrap();
  wasmtime::Linker linker(engine);
  linker.define_wasi().unwrap();
  for (auto _ : state) {
    auto store = raw_store(engine);
    auto instance = linker.instantiate(store, module).unwrap();
    auto func = std::get<wasmtime::Func>(*instance.get(store, name));
    std::vector<wasmtime::Val> args{wasmtime::Val(a)};
    if (two_args) args.emplace_back(b);
    auto results = func.call(store, args).unwrap();
    benchmark::DoNotOptimize(results);
  }
}

// A function module: a call through Runtime::call, which makes
// a fresh instance for it with the module's grants read afresh, calls, and
// drops it. The baseline is fresh_instance_call/raw's: new store,
// instantiate from a linker built once, call.
void function_call_orivon(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("orivon-function-bench-" + std::to_string(::getpid()));
  {
    RuntimeOptions options;
    options.state_dir = dir;
    auto runtime = must(Runtime::create(options), "creating the runtime");
    AddOptions add;
    add.id = must(ModuleId::parse("bench.function.add"), "the id");
    add.manifest = must(parse_manifest("[function]", ManifestFormat::Toml), "the manifest");
    auto info = must(runtime->add_module(as_bytes(kCoreModule), add), "installing the function");
    const std::vector<Value> args{Value::s32(1), Value::s32(2)};
    for (auto _ : state) {
      auto results = runtime->call(info.id, "add", args);
      if (!results) state.SkipWithError(results.error().to_string().c_str());
      benchmark::DoNotOptimize(results);
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("function_call/orivon", function_call_orivon);
  benchmark::RegisterBenchmark("function_call/raw", fresh_instance_call_raw, std::string("add"), 1,
                               2, true);
  benchmark::RegisterBenchmark("instantiate_core/orivon", instantiate_core_orivon);
  benchmark::RegisterBenchmark("instantiate_core/raw", instantiate_core_raw);
  benchmark::RegisterBenchmark("instantiate_core_linker_per_instance/raw",
                               instantiate_core_raw_linker_per_instance);
  benchmark::RegisterBenchmark("instantiate_component/orivon", instantiate_component_orivon);
  benchmark::RegisterBenchmark("instantiate_component/raw", instantiate_component_raw);
  benchmark::RegisterBenchmark("fresh_instance_call/orivon", fresh_instance_call_orivon,
                               std::string("add(1, 2)"));
  benchmark::RegisterBenchmark("fresh_instance_call/raw", fresh_instance_call_raw,
                               std::string("add"), 1, 2, true);
  for (int pages : {1, 16, 64}) {
    const std::string suffix = std::to_string(pages);
    benchmark::RegisterBenchmark(("fresh_instance_dirty_" + suffix + "_pages/orivon").c_str(),
                                 fresh_instance_call_orivon, "dirty(" + suffix + ")");
    benchmark::RegisterBenchmark(("fresh_instance_dirty_" + suffix + "_pages/raw").c_str(),
                                 fresh_instance_call_raw, std::string("dirty"), pages, 0, false);
  }
  return true;
}();

}  // namespace
}  // namespace orivon::bench
