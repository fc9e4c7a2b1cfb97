// A permission-checked call between two modules beside a direct Wasmtime
// call of the same function, in the same run and the same engine
// configuration.
//
//   orivon:  the caller service loops `n` times over its import
//            values.add (or echo-bytes): each call goes through orivon's link
//            (route cache, grant check), takes the callee service's store and
//            calls its export.
//   raw:     the host calls the callee's export `n` times through the
//            Wasmtime C++ API (func.call + post_return) on one instance.
//
// Time per call = time of the batch / n. Run: build/bin/orivon_calls_bench

#include <benchmark/benchmark.h>

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
  std::optional<wc::Func> bench_add, bench_echo;
};

void BM_RawPairAdd(benchmark::State& state) {
  static RawPair raw;
  for (auto _ : state) raw.run(*raw.bench_add, {wc::Val(kBatch)});
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kBatch), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_RawPairEcho(benchmark::State& state) {
  static RawPair raw;
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = size >= 4096 ? kBatch / 10 : kBatch;
  for (auto _ : state) raw.run(*raw.bench_echo, {wc::Val(size), wc::Val(n)});
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The callee alone, instantiated with the raw API in an engine configured
// like orivon's.
struct Raw {
  Raw()
      : engine(orivon::engine::Engine::create({}).value()), store(engine->wasmtime_engine()) {
    auto bytes = read(guest("call_callee"));
    auto component = wc::Component::compile(engine->wasmtime_engine(), bytes).unwrap();
    wc::Linker linker(engine->wasmtime_engine());
    linker.add_wasip2().unwrap();
    {
      auto back = linker.root().add_instance("orivon:calltest/back@0.1.0").unwrap();
      back.add_func("ping", [](wasmtime::Store::Context, const wc::FuncType&, wasmtime::Span<wc::Val>,
                               wasmtime::Span<wc::Val>) -> wasmtime::Result<std::monostate> {
            return wasmtime::Error("not linked in this benchmark");
          })
          .unwrap();
    }
    store.context().set_wasi(wasmtime::WasiConfig()).unwrap();
    store.context().set_epoch_deadline(1'000'000'000);
    instance = linker.instantiate(store, component).unwrap();
    add = lookup(component, "add");
    echo = lookup(component, "echo-bytes");
  }
  static std::vector<uint8_t> read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  wc::Func lookup(const wc::Component& component, const std::string& name) {
    auto outer = component.export_index(nullptr, kValues);
    auto inner = component.export_index(&*outer, name);
    return *instance->get_func(store, *inner);
  }
  std::unique_ptr<orivon::engine::Engine> engine;
  wasmtime::Store store;
  std::optional<wc::Instance> instance;
  std::optional<wc::Func> add, echo;
};

void BM_ModuleToModuleAdd(benchmark::State& state) {
  auto& p = pair();
  const std::string call = "bench-add(" + std::to_string(kBatch) + ")";
  for (auto _ : state) {
    auto outcome = p.runtime().call(p.caller(), call);
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kBatch), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_RawAdd(benchmark::State& state) {
  static Raw raw;
  std::vector<wc::Val> results{wc::Val(false)};
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < kBatch; ++i) {
      std::vector<wc::Val> args{wc::Val(static_cast<std::int64_t>(i)), wc::Val(std::int64_t{1})};
      raw.add->call(raw.store, args, results).unwrap();
      raw.add->post_return(raw.store).unwrap();
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kBatch), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ModuleToModuleEcho(benchmark::State& state) {
  auto& p = pair();
  const auto size = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t n = size >= 4096 ? kBatch / 10 : kBatch;
  const std::string call = "bench-echo(" + std::to_string(size) + ", " + std::to_string(n) + ")";
  for (auto _ : state) {
    auto outcome = p.runtime().call(p.caller(), call);
    if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
  }
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The same two calls by hand: the host copies the payload out of one call's
// result into the next call's argument, as orivon copies between stores.
void BM_RawEcho(benchmark::State& state) {
  static Raw raw;
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::uint32_t n = size >= 4096 ? kBatch / 10 : kBatch;
  std::vector<wc::Val> bytes;
  for (std::size_t i = 0; i < size; ++i) bytes.emplace_back(std::uint8_t{7});
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < n; ++i) {
      std::vector<wc::Val> args{wc::Val(wc::List(bytes))};
      std::vector<wc::Val> results{wc::Val(false)};
      raw.echo->call(raw.store, args, results).unwrap();
      raw.echo->post_return(raw.store).unwrap();
      benchmark::DoNotOptimize(results);
    }
  }
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_ModuleToModuleAdd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawPairAdd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawAdd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ModuleToModuleEcho)->Arg(0)->Arg(64)->Arg(4096)->Arg(65536)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawPairEcho)->Arg(0)->Arg(64)->Arg(4096)->Arg(65536)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawEcho)->Arg(0)->Arg(64)->Arg(4096)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
