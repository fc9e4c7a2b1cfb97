// A permission-checked call between two modules beside a direct Wasmtime
// call of the same function, in the same run and the same engine
// configuration.
//
//   orivon:  the caller service loops `n` times over its import
//            values.add (or echo-bytes): each call goes through orivon's link
//            (route cache, grant check), takes the callee service's store and
//            calls its export.
//   raw:     the same two modules wired with the raw Wasmtime C++ API: the
//            caller's import is a host function calling the callee's export
//            directly (two stores, no grants, no routing).
//
// Time per call = time of the batch / n (reported as the iteration time).
// Run: build/bin/orivon_calls_bench (scripts/bench.sh puts it in its table).

#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <string>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "engine/engine.h"
#include "orivon/runtime.h"

namespace {

namespace wc = wasmtime::component;

constexpr std::uint32_t kBatch = 10'000;
constexpr const char* kValues = "orivon:calltest/values@0.1.0";

std::filesystem::path guest(const std::string& name) {
  return std::filesystem::path(ORIVON_BUILD_DIR) / "guests" / (name + ".component.wasm");
}

// Two services, the caller granted every function of the callee.
class Pair {
 public:
  Pair() {
    state_ = std::filesystem::temp_directory_path() / ("orivon-calls-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(state_);
    orivon::RuntimeOptions options;
    options.state_dir = state_;
    auto created = orivon::Runtime::create(options);
    if (!created) std::abort();
    runtime_ = std::move(created).value();
    for (auto [id, name] : {std::pair{"bench.caller.one", "call_caller"},
                            std::pair{"bench.callee.one", "call_callee"}}) {
      orivon::AddOptions add;
      add.id = *orivon::ModuleId::parse(id);
      if (!runtime_->add_module_file(guest(name), add)) std::abort();
    }
    if (!runtime_->grant_calls(caller(), callee())) std::abort();
    if (!runtime_->start_service(callee()) || !runtime_->start_service(caller())) std::abort();
  }
  ~Pair() {
    runtime_.reset();
    std::filesystem::remove_all(state_);
  }
  orivon::ModuleId caller() const { return *orivon::ModuleId::parse("bench.caller.one"); }
  orivon::ModuleId callee() const { return *orivon::ModuleId::parse("bench.callee.one"); }
  orivon::Runtime& runtime() { return *runtime_; }

 private:
  std::filesystem::path state_;
  std::unique_ptr<orivon::Runtime> runtime_;
};

Pair& pair() {
  static Pair instance;
  return instance;
}

// The same two modules wired by hand with the raw API, no orivon: the
// caller's `values` imports are host functions that call the callee's
// exports of the same name directly (the callee in its own store). This is
// "the same two raw calls plus a copy" a module-to-module call costs
// without permission checks, routing or store hand-over.
struct RawPair {
  RawPair()
      : engine(orivon::engine::Engine::create({}).value()),
        callee_store(engine->wasmtime_engine()),
        caller_store(engine->wasmtime_engine()) {
    auto& wt = engine->wasmtime_engine();
    auto callee_bytes = read(guest("call_callee"));
    auto caller_bytes = read(guest("call_caller"));
    auto callee_component = wc::Component::compile(wt, callee_bytes).unwrap();
    auto caller_component = wc::Component::compile(wt, caller_bytes).unwrap();
    for (auto* store : {&callee_store, &caller_store}) {
      store->context().set_wasi(wasmtime::WasiConfig()).unwrap();
      store->context().set_epoch_deadline(1'000'000'000);
    }
    {
      wc::Linker linker(wt);
      linker.add_wasip2().unwrap();
      {
        auto back = linker.root().add_instance("orivon:calltest/back@0.1.0").unwrap();
        back.add_func("ping", [](wasmtime::Store::Context, const wc::FuncType&,
                                 wasmtime::Span<wc::Val>, wasmtime::Span<wc::Val>)
                                  -> wasmtime::Result<std::monostate> {
              return wasmtime::Error("not linked in this benchmark");
            }).unwrap();
      }
      callee = linker.instantiate(callee_store, callee_component).unwrap();
    }
    wc::Linker linker(wt);
    linker.add_wasip2().unwrap();
    {
      auto values = linker.root().add_instance(kValues).unwrap();
      auto type = caller_component.type();
      for (std::size_t i = 0; i < type.import_count(wt); ++i) {
        auto item = type.import_nth(wt, i);
        if (!item || std::string(item->first) != kValues) continue;
        const auto& instance_type = item->second.component_instance();
        for (std::size_t j = 0; j < instance_type.export_count(wt); ++j) {
          const std::string name(instance_type.export_nth(wt, j)->first);
          auto outer = callee_component.export_index(nullptr, kValues);
          auto inner = callee_component.export_index(&*outer, name);
          wc::Func target = *callee->get_func(callee_store, *inner);
          values.add_func(name, [this, target](wasmtime::Store::Context, const wc::FuncType&,
                                               wasmtime::Span<wc::Val> args,
                                               wasmtime::Span<wc::Val> results)
                                    -> wasmtime::Result<std::monostate> {
                  std::vector<wc::Val> out(results.size(), wc::Val(false));
                  auto called = target.call(callee_store, args, out);
                  if (!called) return called.err();
                  auto post = target.post_return(callee_store);
                  if (!post) return post.err();
                  for (std::size_t k = 0; k < out.size(); ++k) results[k] = std::move(out[k]);
                  return std::monostate{};
                }).unwrap();
        }
      }
    }
    caller = linker.instantiate(caller_store, caller_component).unwrap();
    auto outer = caller_component.export_index(nullptr, "orivon:calltest/driver@0.1.0");
    bench_add = *caller->get_func(caller_store, *caller_component.export_index(&*outer, "bench-add"));
    bench_echo = *caller->get_func(caller_store, *caller_component.export_index(&*outer, "bench-echo"));
    bench_echo_string =
        *caller->get_func(caller_store, *caller_component.export_index(&*outer, "bench-echo-string"));
    bench_echo_u32s =
        *caller->get_func(caller_store, *caller_component.export_index(&*outer, "bench-echo-u32s"));
    bench_echo_u64s =
        *caller->get_func(caller_store, *caller_component.export_index(&*outer, "bench-echo-u64s"));
  }
  static std::vector<uint8_t> read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  void run(wc::Func& func, std::vector<wc::Val> args) {
    std::vector<wc::Val> results{wc::Val(false)};
    func.call(caller_store, args, results).unwrap();
    func.post_return(caller_store).unwrap();
  }
  std::unique_ptr<orivon::engine::Engine> engine;
  wasmtime::Store callee_store, caller_store;
  std::optional<wc::Instance> callee, caller;
  std::optional<wc::Func> bench_add, bench_echo, bench_echo_string, bench_echo_u32s,
      bench_echo_u64s;
};

// Each iteration is one batch of `n` calls, timed by hand and reported per
// call (manual time), so the table shows nanoseconds per call. The
// iteration counts are fixed: with per-call manual time the framework would
// otherwise run batches until a whole second of *per-call* time added up.
template <typename F>
void per_call(benchmark::State& state, std::uint32_t n, F&& batch) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    batch();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(elapsed.count() / n);
  }
}

// Fewer calls per batch as values grow, so that a batch stays short.
std::uint32_t calls_for(std::int64_t size) {
  if (size >= (1 << 24)) return 4;
  if (size >= (1 << 20)) return 20;
  if (size >= (1 << 16)) return 200;
  return size >= 4096 ? kBatch / 10 : kBatch;
}

// The raw pair copies one generic value per byte, several times per call:
// at 1 MiB a call takes a good part of a second, and from about 3 MiB it
// fails (Wasmtime's per-call copy budget), so its batches stay small.
std::uint32_t raw_calls_for(std::int64_t size) {
  if (size >= (1 << 20)) return 1;
  if (size >= (1 << 16)) return 20;
  return calls_for(size);
}

void orivon_add(benchmark::State& state) {
  auto& p = pair();
  const std::string call = "bench-add(" + std::to_string(kBatch) + ")";
  per_call(state, kBatch, [&] {
    auto outcome = p.runtime().call(p.caller(), call);
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
  });
}

void raw_add(benchmark::State& state) {
  static RawPair raw;
  per_call(state, kBatch, [&] { raw.run(*raw.bench_add, {wc::Val(kBatch)}); });
}

void orivon_echo(benchmark::State& state) {
  auto& p = pair();
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = calls_for(size);
  const std::string call = "bench-echo(" + std::to_string(size) + ", " + std::to_string(n) + ")";
  per_call(state, n, [&] {
    auto outcome = p.runtime().call(p.caller(), call);
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
  });
}

void raw_echo(benchmark::State& state) {
  static RawPair raw;
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = raw_calls_for(size);
  per_call(state, n, [&] { raw.run(*raw.bench_echo, {wc::Val(size), wc::Val(n)}); });
}

// The same with values.echo-string (a string of `size` bytes each way).
void orivon_echo_string(benchmark::State& state) {
  auto& p = pair();
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = calls_for(size);
  const std::string call =
      "bench-echo-string(" + std::to_string(size) + ", " + std::to_string(n) + ")";
  per_call(state, n, [&] {
    auto outcome = p.runtime().call(p.caller(), call);
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
  });
}

void raw_echo_string(benchmark::State& state) {
  static RawPair raw;
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = raw_calls_for(size);
  per_call(state, n, [&] { raw.run(*raw.bench_echo_string, {wc::Val(size), wc::Val(n)}); });
}

// The same with values.echo-u32s / echo-u64s (`size` bytes of numbers each
// way): lists of numbers other than u8 on the typed path.
void orivon_echo_numbers(benchmark::State& state, const char* function) {
  auto& p = pair();
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = calls_for(size);
  const std::string call =
      std::string(function) + "(" + std::to_string(size) + ", " + std::to_string(n) + ")";
  per_call(state, n, [&] {
    auto outcome = p.runtime().call(p.caller(), call);
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
  });
}
void orivon_echo_u32s(benchmark::State& state) { orivon_echo_numbers(state, "bench-echo-u32s"); }
void orivon_echo_u64s(benchmark::State& state) { orivon_echo_numbers(state, "bench-echo-u64s"); }

void raw_echo_u32s(benchmark::State& state) {
  static RawPair raw;
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = raw_calls_for(size);
  per_call(state, n, [&] { raw.run(*raw.bench_echo_u32s, {wc::Val(size), wc::Val(n)}); });
}
void raw_echo_u64s(benchmark::State& state) {
  static RawPair raw;
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = raw_calls_for(size);
  per_call(state, n, [&] { raw.run(*raw.bench_echo_u64s, {wc::Val(size), wc::Val(n)}); });
}

// Named CASE/SIDE for scripts/bench_table.py; "raw" is the raw pair.
BENCHMARK(orivon_add)->Name("module_to_module_s64/orivon")->UseManualTime()->Iterations(20);
BENCHMARK(raw_add)->Name("module_to_module_s64/raw")->UseManualTime()->Iterations(20);
BENCHMARK(orivon_echo)->Name("module_to_module_0B/orivon")->Arg(0)->UseManualTime()->Iterations(20);
BENCHMARK(raw_echo)->Name("module_to_module_0B/raw")->Arg(0)->UseManualTime()->Iterations(20);
BENCHMARK(orivon_echo)->Name("module_to_module_64B/orivon")->Arg(64)->UseManualTime()->Iterations(20);
BENCHMARK(raw_echo)->Name("module_to_module_64B/raw")->Arg(64)->UseManualTime()->Iterations(20);
// list<u8> and string, each way, at the sizes of issue 16 (orivon takes the
// typed path for both; raw is the generic C API pair). No raw row at 16 MiB:
// the generic path fails there (Wasmtime's per-call copy budget).
BENCHMARK(orivon_echo)->Name("module_to_module_bytes_16B/orivon")->Arg(16)->UseManualTime()->Iterations(20);
BENCHMARK(raw_echo)->Name("module_to_module_bytes_16B/raw")->Arg(16)->UseManualTime()->Iterations(20);
BENCHMARK(orivon_echo)->Name("module_to_module_bytes_4KiB/orivon")->Arg(4096)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo)->Name("module_to_module_bytes_4KiB/raw")->Arg(4096)->UseManualTime()->Iterations(5);
BENCHMARK(orivon_echo)->Name("module_to_module_bytes_64KiB/orivon")->Arg(65536)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo)->Name("module_to_module_bytes_64KiB/raw")->Arg(65536)->UseManualTime()->Iterations(3);
BENCHMARK(orivon_echo)->Name("module_to_module_bytes_1MiB/orivon")->Arg(1 << 20)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo)->Name("module_to_module_bytes_1MiB/raw")->Arg(1 << 20)->UseManualTime()->Iterations(2);
BENCHMARK(orivon_echo)->Name("module_to_module_bytes_16MiB/orivon")->Arg(1 << 24)->UseManualTime()->Iterations(3);
BENCHMARK(orivon_echo_string)->Name("module_to_module_string_16B/orivon")->Arg(16)->UseManualTime()->Iterations(20);
BENCHMARK(raw_echo_string)->Name("module_to_module_string_16B/raw")->Arg(16)->UseManualTime()->Iterations(20);
BENCHMARK(orivon_echo_string)->Name("module_to_module_string_4KiB/orivon")->Arg(4096)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo_string)->Name("module_to_module_string_4KiB/raw")->Arg(4096)->UseManualTime()->Iterations(5);
BENCHMARK(orivon_echo_string)->Name("module_to_module_string_64KiB/orivon")->Arg(65536)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo_string)->Name("module_to_module_string_64KiB/raw")->Arg(65536)->UseManualTime()->Iterations(5);
BENCHMARK(orivon_echo_string)->Name("module_to_module_string_1MiB/orivon")->Arg(1 << 20)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo_string)->Name("module_to_module_string_1MiB/raw")->Arg(1 << 20)->UseManualTime()->Iterations(5);
BENCHMARK(orivon_echo_string)->Name("module_to_module_string_16MiB/orivon")->Arg(1 << 24)->UseManualTime()->Iterations(3);
BENCHMARK(raw_echo_string)->Name("module_to_module_string_16MiB/raw")->Arg(1 << 24)->UseManualTime()->Iterations(3);
// Lists of other numbers at 64 KiB (16384 u32s, 8192 u64s), typed beside generic.
BENCHMARK(orivon_echo_u32s)->Name("module_to_module_u32s_64KiB/orivon")->Arg(65536)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo_u32s)->Name("module_to_module_u32s_64KiB/raw")->Arg(65536)->UseManualTime()->Iterations(3);
BENCHMARK(orivon_echo_u64s)->Name("module_to_module_u64s_64KiB/orivon")->Arg(65536)->UseManualTime()->Iterations(5);
BENCHMARK(raw_echo_u64s)->Name("module_to_module_u64s_64KiB/raw")->Arg(65536)->UseManualTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
