// Calls into live instances beside the raw Wasmtime C++ API on an engine with
// the same configuration: host-to-guest, guest-to-host, component typed calls
// with payloads, a call into a running service through the public API, and a
// CPU-bound guest with interruption off, epochs on and fuel on.
//
// Plain calls are measured twice on the orivon side: typed (`call_core`,
// `typed_*`: a function looked up once, public orivon::Values in and out,
// what a performance-sensitive embedder uses) and as text (`*_text`:
// `name(args)` parsed and the results formatted per call, WAVE for
// components, the path `orivon call`, the control socket and call_service
// take). The raw side passes values it built once.

#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "bench/bench_support.h"
#include "engine/program_loader.h"
#include "instance/live_instance.h"
#include "runtime/text_calls.h"
#include "values/call_expression.h"

namespace orivon::bench {
namespace {

namespace wc = wasmtime::component;

constexpr int kHostCallsPerIteration = 1000;
constexpr int kCpuRounds = 2000;  // 2000 x 1024 words: a few ms per call

// A live orivon instance of `program`, on an engine with `fuel`.
struct OrivonLive {
  std::unique_ptr<engine::Engine> engine;
  std::shared_ptr<const internal::ProgramData> program;
  std::unique_ptr<instance::LiveInstance> instance;

  static OrivonLive create_core(FuelMetering fuel) {
    OrivonLive live;
    RuntimeOptions options;
    options.fuel = fuel;
    live.engine = must(engine::Engine::create(options), "creating the engine");
    auto program = must(engine::load_program(live.engine->wasmtime_engine(), as_bytes(kCoreModule),
                                             "core.wat"),
                        "compiling core.wat");
    live.program = program.shared_data();
    live.instance = std::make_unique<instance::LiveInstance>(must(
        instance::LiveInstance::create(*live.engine, program.shared_data(), {}, {}), "instantiating"));
    return live;
  }

  static OrivonLive create_component() {
    OrivonLive live;
    live.engine = must(engine::Engine::create(RuntimeOptions{}), "creating the engine");
    auto program = must(engine::load_program_file(live.engine->wasmtime_engine(),
                                                  guest_path("bench_typed.component.wasm")),
                        "compiling bench_typed");
    live.program = program.shared_data();
    live.instance = std::make_unique<instance::LiveInstance>(must(
        instance::LiveInstance::create(*live.engine, program.shared_data(), {}, {}), "instantiating"));
    return live;
  }
};

// The typed path: `name` looked up once, then called with `args`, the
// results landing in one vector kept across calls.
void call_orivon_typed(benchmark::State& state, OrivonLive& live, std::string_view name,
                       const std::vector<Value>& args) {
  auto function = must(live.instance->lookup(name), "looking up the function");
  std::vector<Value> results;
  for (auto _ : state) {
    auto called = live.instance->call(function, args, results);
    if (!called) {
      state.SkipWithError(called.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void call_orivon(benchmark::State& state, OrivonLive& live, const std::string& text,
                 std::int64_t items_per_call) {
  // The call text is parsed per call and the results formatted, as
  // Runtime::call does with the text it is given.
  for (auto _ : state) {
    auto call = values::parse_call_expression(text);
    auto typed = runtime::parse_text_call(live.engine->wasmtime_engine(), *live.program, *call);
    if (!typed) {
      state.SkipWithError(typed.error().to_string().c_str());
      break;
    }
    auto returned = instance::call_by_name(*live.instance, typed->function->name, typed->args);
    if (!returned) {
      state.SkipWithError(returned.error().to_string().c_str());
      break;
    }
    auto text_results = runtime::format_results(live.program->kind, returned->values);
    benchmark::DoNotOptimize(text_results);
  }
  state.SetItemsProcessed(state.iterations() * items_per_call);
}

// ---- Core module ------------------------------------------------------------

struct RawCore {
  wasmtime::Engine engine;
  wasmtime::Store store;
  wasmtime::Instance instance;

  static std::unique_ptr<RawCore> create(wasmtime::Config config,
                                         FuelMetering fuel = FuelMetering::Off) {
    wasmtime::Engine engine(std::move(config));
    auto module = wasmtime::Module::compile(engine, kCoreModule).unwrap();
    wasmtime::Linker linker(engine);
    linker.define_wasi().unwrap();
    auto store = raw_store(engine);
    // Before instantiating, as orivon does: initialising data segments
    // already consumes fuel.
    if (fuel == FuelMetering::On) {
      store.context().set_fuel(std::numeric_limits<std::uint64_t>::max()).unwrap();
    }
    auto instance = linker.instantiate(store, module).unwrap();
    return std::make_unique<RawCore>(std::move(engine), std::move(store), instance);
  }

  wasmtime::Func func(std::string_view name) {
    return std::get<wasmtime::Func>(*instance.get(store, name));
  }
};

// The leanest raw call of `add`: the C API's checked call with argument and
// result arrays built once, so no type is read and nothing allocated per
// call. The baseline for orivon's typed core call.
void add_raw(benchmark::State& state) {
  auto raw = RawCore::create(engine::Engine::make_config(FuelMetering::Off));
  const auto func = raw->func("add");
  wasmtime_val_t args[2] = {};
  args[0].kind = WASMTIME_I32;
  args[0].of.i32 = 1;
  args[1].kind = WASMTIME_I32;
  args[1].of.i32 = 2;
  wasmtime_val_t results[1] = {};
  for (auto _ : state) {
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error = wasmtime_func_call(raw->store.context().capi(), &func.capi(), args,
                                                 2, results, 1, &trap);
    if (error != nullptr || trap != nullptr) std::abort();
    benchmark::DoNotOptimize(results[0].of.i32);
  }
  state.SetItemsProcessed(state.iterations());
}

void call_core_raw(benchmark::State& state, std::unique_ptr<RawCore> raw, std::string name,
                   std::vector<wasmtime::Val> args, std::int64_t items_per_call) {
  auto func = raw->func(name);
  for (auto _ : state) {
    auto results = func.call(raw->store, args).unwrap();
    benchmark::DoNotOptimize(results);
  }
  state.SetItemsProcessed(state.iterations() * items_per_call);
}

void add_orivon(benchmark::State& state) {
  auto live = OrivonLive::create_core(FuelMetering::Off);
  call_orivon_typed(state, live, "add", {Value::s32(1), Value::s32(2)});
}
void add_orivon_text(benchmark::State& state) {
  auto live = OrivonLive::create_core(FuelMetering::Off);
  call_orivon(state, live, "add(1, 2)", 1);
}
// The C++ API's Func::call: it reads the function's type and builds three
// vectors on every call. Shown beside the leaner baseline above.
void add_raw_cpp_api(benchmark::State& state) {
  call_core_raw(state, RawCore::create(engine::Engine::make_config(FuelMetering::Off)), "add",
                {wasmtime::Val(1), wasmtime::Val(2)}, 1);
}

void host_call_orivon(benchmark::State& state) {
  auto live = OrivonLive::create_core(FuelMetering::Off);
  call_orivon(state, live, "call_host(" + std::to_string(kHostCallsPerIteration) + ")",
              kHostCallsPerIteration);
}
void host_call_raw(benchmark::State& state) {
  call_core_raw(state, RawCore::create(engine::Engine::make_config(FuelMetering::Off)),
                "call_host", {wasmtime::Val(kHostCallsPerIteration)}, kHostCallsPerIteration);
}

// CPU-bound: orivon always has epoch interruption on, and fuel when the
// runtime was created with it; interruption off exists only on the raw side.
void cpu_orivon(benchmark::State& state, FuelMetering fuel) {
  auto live = OrivonLive::create_core(fuel);
  call_orivon(state, live, "cpu(" + std::to_string(kCpuRounds) + ")", kCpuRounds);
}
enum class Interruption { Off, Epochs, Fuel, EpochsWasmtimeDefaultMemory };
void cpu_raw(benchmark::State& state, Interruption interruption) {
  auto config = engine::Engine::make_config(interruption == Interruption::Fuel ? FuelMetering::On
                                                                               : FuelMetering::Off);
  if (interruption == Interruption::Off) config.epoch_interruption(false);
  if (interruption == Interruption::EpochsWasmtimeDefaultMemory) {
    // Wasmtime's defaults on x86-64: 4 GiB reservation and 32 MiB guard,
    // which let the compiler drop every bounds check.
    config.memory_reservation(std::uint64_t{4} << 30);
    config.memory_guard_size(std::uint64_t{32} << 20);
  }
  auto raw = RawCore::create(std::move(config), interruption == Interruption::Fuel
                                                    ? FuelMetering::On
                                                    : FuelMetering::Off);
  call_core_raw(state, std::move(raw), "cpu", {wasmtime::Val(kCpuRounds)}, kCpuRounds);
}

// ---- Service (public API) ---------------------------------------------------

// call_service: the public API's call into a running service, through the
// supervisor's worker pool (a thread hop each way). Its baseline is the raw
// direct call above (add/raw).
void service_call_orivon(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("orivon-bench-service-" + std::to_string(::getpid()));
  {
    RuntimeOptions options;
    options.state_dir = dir;
    auto runtime = must(Runtime::create(options), "creating the runtime");
    const auto id = must(ModuleId::parse("bench.call.service"), "module id");
    AddOptions add;
    add.id = id;
    must(runtime->add_module(as_bytes(kSmallModule), add), "installing");
    if (auto started = runtime->start_service(id); !started) std::abort();
    for (auto _ : state) {
      auto outcome = runtime->call_service(id, "add(1, 2)");
      if (!outcome) state.SkipWithError(outcome.error().to_string().c_str());
      benchmark::DoNotOptimize(outcome);
    }
    state.SetItemsProcessed(state.iterations());
  }
  std::filesystem::remove_all(dir);
}

// ---- Component typed calls --------------------------------------------------

struct RawComponent {
  wasmtime::Engine engine = raw_engine();
  wasmtime::Store store = raw_store(engine);
  std::optional<wc::Component> component;
  std::optional<wc::Instance> instance;

  RawComponent() {
    auto bytes = read_binary(guest_path("bench_typed.component.wasm"));
    component =
        wc::Component::compile(engine, wasmtime::Span<std::uint8_t>(bytes.data(), bytes.size()))
            .unwrap();
    wc::Linker linker(engine);
    linker.add_wasip2().unwrap();
    instance = linker.instantiate(store, *component).unwrap();
  }

  wc::Func func(std::string_view name) {
    auto index = component->export_index(nullptr, name);
    return *instance->get_func(store, *index);
  }
};

enum class Payload { None, String, List };

std::string wave_argument(Payload payload, std::size_t bytes) {
  if (payload == Payload::String) return "\"" + std::string(bytes, 'x') + "\"";
  std::string list = "[";
  for (std::size_t i = 0; i < bytes; ++i) list += (i ? ", " : "") + std::to_string(i % 251);
  return list + "]";
}

const char* function_for(Payload payload) {
  switch (payload) {
    case Payload::None: return "noop";
    case Payload::String: return "string-length";
    case Payload::List: return "list-length";
  }
  return "noop";
}

// The argument as a public Value, built once (as the raw side builds its
// wasmtime value once); orivon checks and converts it on every call.
std::vector<Value> typed_arguments(Payload payload, std::size_t bytes) {
  if (payload == Payload::String) return {Value::string(std::string(bytes, 'x'))};
  if (payload == Payload::List) {
    std::vector<Value> items;
    items.reserve(bytes);
    for (std::size_t i = 0; i < bytes; ++i) {
      items.push_back(Value::u8(static_cast<std::uint8_t>(i % 251)));
    }
    return {Value::list(std::move(items))};
  }
  return {};
}

void typed_orivon(benchmark::State& state, Payload payload, std::size_t bytes) {
  auto live = OrivonLive::create_component();
  call_orivon_typed(state, live, function_for(payload), typed_arguments(payload, bytes));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void typed_orivon_text(benchmark::State& state, Payload payload, std::size_t bytes) {
  auto live = OrivonLive::create_component();
  const std::string call = std::string(function_for(payload)) + "(" +
                           (payload == Payload::None ? "" : wave_argument(payload, bytes)) + ")";
  call_orivon(state, live, call, 1);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void typed_raw(benchmark::State& state, Payload payload, std::size_t bytes) {
  RawComponent raw;
  auto func = raw.func(function_for(payload));
  std::vector<wc::Val> args;
  if (payload == Payload::String) args.push_back(wc::Val::string(std::string(bytes, 'x')));
  if (payload == Payload::List) {
    std::vector<wc::Val> items;
    items.reserve(bytes);
    for (std::size_t i = 0; i < bytes; ++i) items.emplace_back(static_cast<std::uint8_t>(i % 251));
    args.emplace_back(wc::List(std::move(items)));
  }
  std::vector<wc::Val> results;
  if (payload != Payload::None) results.emplace_back(false);
  for (auto _ : state) {
    func.call(raw.store, args, results).unwrap();
    func.post_return(raw.store).unwrap();
    benchmark::DoNotOptimize(results);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

[[maybe_unused]] const bool registered = [] {
  // A `*_text/orivon` row has no raw run of its own: scripts/bench_table.py
  // pairs it with CASE/raw.
  benchmark::RegisterBenchmark("call_core/orivon", add_orivon);
  benchmark::RegisterBenchmark("call_core/raw", add_raw);
  benchmark::RegisterBenchmark("call_core_text/orivon", add_orivon_text);
  benchmark::RegisterBenchmark("call_core_cpp_api/raw", add_raw_cpp_api);
  benchmark::RegisterBenchmark("call_service/orivon", service_call_orivon);
  benchmark::RegisterBenchmark("call_service/raw", add_raw);
  benchmark::RegisterBenchmark("guest_to_host_x1000/orivon", host_call_orivon);
  benchmark::RegisterBenchmark("guest_to_host_x1000/raw", host_call_raw);
  benchmark::RegisterBenchmark("typed_noop/orivon", typed_orivon, Payload::None, 0);
  benchmark::RegisterBenchmark("typed_noop/raw", typed_raw, Payload::None, 0);
  benchmark::RegisterBenchmark("typed_noop_text/orivon", typed_orivon_text, Payload::None, 0);
  for (std::size_t bytes : {std::size_t{16}, std::size_t{1024}, std::size_t{65536}}) {
    const std::string size = bytes == 16 ? "16B" : bytes == 1024 ? "1KiB" : "64KiB";
    for (Payload payload : {Payload::String, Payload::List}) {
      const std::string kind = payload == Payload::String ? "typed_string_" : "typed_list_";
      benchmark::RegisterBenchmark((kind + size + "/orivon").c_str(), typed_orivon, payload, bytes);
      benchmark::RegisterBenchmark((kind + size + "/raw").c_str(), typed_raw, payload, bytes);
      benchmark::RegisterBenchmark((kind + size + "_text/orivon").c_str(), typed_orivon_text,
                                   payload, bytes);
    }
  }
  benchmark::RegisterBenchmark("cpu_interruption_off/raw", cpu_raw, Interruption::Off)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu_epochs/orivon", cpu_orivon, FuelMetering::Off)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu_epochs/raw", cpu_raw, Interruption::Epochs)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu_fuel/orivon", cpu_orivon, FuelMetering::On)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu_fuel/raw", cpu_raw, Interruption::Fuel)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu_epochs_wasmtime_default_memory/raw", cpu_raw,
                               Interruption::EpochsWasmtimeDefaultMemory)
      ->Unit(benchmark::kMillisecond);
  // TODO(#7): module_to_module_{0B,64B,4KiB,64KiB}/{orivon,raw}: the
  // permission-checked call between two modules versus the same two raw calls
  // plus a copy, added with the cross-module call feature (see bench/README.md).
  return true;
}();

}  // namespace
}  // namespace orivon::bench
