#include "engine/engine.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <cstdio>
#include <limits>

#include <wasmtime.h>

#include "core/limits.h"
#include "core/sha256.h"
#include "engine/core_host.h"
#include "engine/error_conversion.h"
#include "engine/typed_calls.h"
#include "wasi/http_policy.h"
#include "wasi/wasi_extensions.h"

namespace orivon::engine {

wasmtime::Config Engine::make_config(FuelMetering fuel) {
  wasmtime::Config config;
  config.epoch_interruption(true);
  config.consume_fuel(fuel == FuelMetering::On);
  config.wasm_component_model(true);
#ifdef WASMTIME_FEATURE_COMPONENT_MODEL
  config.concurrency_support(limits::kComponentConcurrency);
#endif
  // Sized for many small live instances in one process; each choice and its
  // reason is in core/limits.h.
  config.memory_reservation(limits::kMemoryReservationBytes);
  config.memory_guard_size(limits::kMemoryGuardBytes);
  config.memory_reservation_for_growth(limits::kMemoryReservationForGrowthBytes);
  config.memory_init_cow(limits::kMemoryInitCopyOnWrite);
  // No native unwind tables (.eh_frame) for compiled code. Wasmtime's own
  // traps and wasm backtraces walk frame pointers and need none; nothing of
  // orivon unwinds through wasm frames (every host callback catches all).
  // Registered tables cost at every unload: libgcc deregisters them by
  // walking a list of every registered object, so dropping N modules took
  // time in N squared (80% of a 30,000-service shutdown, measured with perf).
  config.native_unwind_info(false);
  return config;
}

Result<std::unique_ptr<Engine>> Engine::create(
    const RuntimeOptions& options, std::vector<std::shared_ptr<HostInterface>> host_interfaces) {
  std::unique_ptr<Engine> engine(
      new Engine(wasmtime::Engine(make_config(options.fuel)), options.fuel, Ticker::Own));
  engine->capacity_ = std::make_shared<Capacity>(options.capacity, system_readings());
  engine->typed_calls_ = options.call_path == CallPath::Typed;
  if (const char* forced = std::getenv("ORIVON_CALL_PATH");
      forced != nullptr && std::string_view(forced) == "generic") {
    engine->typed_calls_ = false;
  }
  engine->max_call_bytes_ = static_cast<std::size_t>(
      std::clamp<std::uint64_t>(options.max_call_bytes, std::uint64_t{1} << 20,
                                limits::kMaxCallBytesCeiling));
  if (options.function_pool_slots != 0) engine->function_pool_slots_ = options.function_pool_slots;
  engine->host_interfaces_ = std::move(host_interfaces);
  ORIVON_RETURN_IF_ERROR(engine->make_linkers());
  return engine;
}

Result<void> Engine::make_linkers() {
  core_linker_.emplace(engine_);
  auto core = core_linker_->define_wasi();
  if (!core) return Error(ErrorCode::Internal, "linking WASI: " + core.err().message());
  ORIVON_RETURN_IF_ERROR(define_core_host(*core_linker_));
  component_linker_.emplace(engine_);
  // Shared by every component without `http:` grants: their requests are refused.
  return define_host(*component_linker_, wasi::HttpPolicy::deny_all());
}

std::uint64_t Engine::pool_max_memory_bytes() { return limits::kFunctionPoolMaxMemoryBytes; }

Result<Engine*> Engine::ensure_function_engine() {
  if (pooled_) return this;
  MutexLock making(function_engine_mutex_);
  {
    MutexLock lock(mutex_);
    if (function_engine_) return function_engine_.get();
  }
  const std::uint32_t slots = function_pool_slots_;
  wasmtime::Config config = make_config(fuel_);
  wasmtime::PoolAllocationConfig pool;
  pool.total_component_instances(slots);
  pool.total_core_instances(slots * limits::kFunctionPoolCoreInstancesPerFunction);
  pool.max_core_instances_per_component(limits::kFunctionPoolCoreInstancesPerFunction);
  pool.total_memories(slots * limits::kFunctionPoolMemoriesPerFunction);
  pool.max_memories_per_component(limits::kFunctionPoolMemoriesPerFunction);
  pool.total_tables(slots * limits::kFunctionPoolTablesPerFunction);
  pool.max_tables_per_component(limits::kFunctionPoolTablesPerFunction);
  pool.max_tables_per_module(limits::kFunctionPoolTablesPerFunction);
  pool.table_elements(limits::kFunctionPoolTableElements);
  pool.max_memory_size(limits::kFunctionPoolMaxMemoryBytes);
  pool.linear_memory_keep_resident(limits::kFunctionPoolKeepResidentBytes);
  pool.table_keep_resident(limits::kFunctionPoolTableKeepResidentBytes);
  // Reset only the pages an instance wrote (found with PAGEMAP_SCAN), not
  // the whole kept-resident part: a handler that touches 128 KiB no longer
  // pays a memset of kFunctionPoolKeepResidentBytes per invocation. Auto: a
  // kernel older than 6.7 keeps the plain memset.
  orivon_pooling_allocation_config_pagemap_scan_set(pool.capi(), ORIVON_PAGEMAP_SCAN_AUTO);
  pool.max_memories_per_module(limits::kFunctionPoolMemoriesPerFunction);
  // Stacks are only taken for async calls, which orivon does not make; a
  // pool of them would map and guard each one up front (a mapping apiece).
  pool.total_stacks(0);
  config.pooling_allocation_strategy(pool);
  wasm_engine_t* raw = nullptr;
  if (wasmtime_error_t* failed = orivon_engine_new(config.capi_release(), &raw)) {
    return to_error(wasmtime::Error(failed), ErrorCode::ResourceExhausted,
                    "reserving the pool for " + std::to_string(slots) + " function instances");
  }
  std::unique_ptr<Engine> made(new Engine(wasmtime::Engine(raw), fuel_, Ticker::Parent));
  made->pooled_ = true;
  made->capacity_ = capacity_;
  made->typed_calls_ = typed_calls_;
  made->max_call_bytes_ = max_call_bytes_;
  made->function_pool_slots_ = slots;
  made->host_interfaces_ = host_interfaces_;
  ORIVON_RETURN_IF_ERROR(made->make_linkers());
  MutexLock lock(mutex_);
  function_engine_ = std::move(made);
  return function_engine_.get();
}

namespace {

// Bump when orivon changes how it configures the engine for codegen.
constexpr std::string_view kEngineConfigRevision = "3";  // 3: no native unwind info

std::string make_fingerprint(FuelMetering fuel) {
  const std::string description = std::string("wasmtime-") + WASMTIME_VERSION + ";orivon-engine-" +
                                  std::string(kEngineConfigRevision) +
                                  ";fuel=" + (fuel == FuelMetering::On ? "on" : "off");
  return sha256_hex(std::as_bytes(std::span(description))).substr(0, 16);
}

}  // namespace

Engine::Engine(wasmtime::Engine engine, FuelMetering fuel, Ticker ticker)
    : engine_(std::move(engine)), fuel_(fuel), fingerprint_(make_fingerprint(fuel)) {
  if (ticker == Ticker::Own) ticker_ = std::thread([this] { run_ticker(); });
}

Engine::~Engine() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void Engine::run_ticker() noexcept {
  try {
    MutexLock lock(mutex_);
    while (!stopping_) {
      const auto tick = std::chrono::steady_clock::now() + limits::kEpochTick;
      while (!stopping_ && std::chrono::steady_clock::now() < tick) {
        (void)wake_.wait_until(mutex_, tick);
      }
      if (!stopping_) {
        engine_.increment_epoch();
        if (function_engine_) function_engine_->engine_.increment_epoch();
      }
    }
  } catch (...) {
    // A ticker that stops would silently disable every timeout: fail loudly.
    std::fputs("orivon: epoch ticker failed; aborting\n", stderr);
    std::abort();
  }
}

std::uint64_t Engine::ticks_for(std::chrono::nanoseconds timeout) {
  const auto tick = std::chrono::duration_cast<std::chrono::nanoseconds>(limits::kEpochTick);
  if (timeout.count() <= 0) return 1;
  std::uint64_t ticks = static_cast<std::uint64_t>((timeout.count() + tick.count() - 1) / tick.count());
  return ticks == 0 ? 1 : ticks;
}

Result<void> Engine::define_host(wasmtime::component::Linker& linker,
                                 std::shared_ptr<const wasi::HttpPolicy> http) {
  ORIVON_RETURN_IF_ERROR(wasi::add_wasi_with_http(linker, std::move(http)));
  for (const auto& host : host_interfaces_) ORIVON_RETURN_IF_ERROR(host->define(linker));
  return ok();
}

Result<void> Engine::define_core_host(wasmtime::Linker& linker) {
  ORIVON_RETURN_IF_ERROR(engine::define_core_host(linker));
  for (const auto& host : host_interfaces_) ORIVON_RETURN_IF_ERROR(host->define_core(linker));
  return ok();
}

Result<void> Engine::apply_limits(wasmtime::Store& store, const ExecutionLimits& limits) {
  if (limits.max_memory_bytes) {
    const auto max_memory = std::min<std::uint64_t>(*limits.max_memory_bytes,
                                                    std::numeric_limits<std::int64_t>::max());
    store.limiter(static_cast<std::int64_t>(max_memory), limits::kMaxTableElements,
                  limits::kMaxInstances, limits::kMaxTables, limits::kMaxMemories);
  }
  auto context = store.context();
  if (limits.fuel && !fuel_enabled()) {
    return Error(ErrorCode::FailedPrecondition,
                 "a fuel limit needs a runtime created with FuelMetering::On");
  }
  if (fuel_enabled()) {
    auto set = context.set_fuel(limits.fuel.value_or(std::numeric_limits<std::uint64_t>::max()));
    if (!set) return Error(ErrorCode::Internal, "setting fuel: " + set.err().message());
  }
  context.set_epoch_deadline(limits.timeout ? ticks_for(*limits.timeout) : limits::kNoDeadlineTicks);
  // What a guest may hand the host in one call: Wasmtime's default (128 MiB)
  // unless the per-call limit on values between modules is larger.
  constexpr std::size_t kDefaultHostcallFuel = std::size_t{128} << 20;
  orivon_context_set_hostcall_fuel(context.capi(), std::max(kDefaultHostcallFuel, max_call_bytes_));
  return ok();
}

}  // namespace orivon::engine
