#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "core/limits.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "engine/capacity.h"
#include "engine/host_interface.h"
#include "orivon/limits.h"
#include "orivon/result.h"
#include "orivon/runtime_options.h"

namespace orivon::wasi {
class HttpPolicy;
}

namespace orivon::engine {

// Owns the one wasmtime::Engine of a Runtime and the ticker thread that
// advances its epoch every limits::kEpochTick. Stores never bump the epoch
// themselves: each sets its own deadline in ticks, so stopping one guest never
// disturbs another.
//
// Owned by RuntimeImpl. Thread-safe: the engine may be used from any thread.
class Engine {
 public:
  // `host_interfaces` are defined on every component linker the engine
  // builds (see host_interface.h).
  static Result<std::unique_ptr<Engine>> create(
      const RuntimeOptions& options,
      std::vector<std::shared_ptr<HostInterface>> host_interfaces = {});
  // The configuration every orivon engine uses. Public so benchmarks can give
  // a raw Wasmtime baseline exactly the same engine.
  static wasmtime::Config make_config(FuelMetering fuel);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  wasmtime::Engine& wasmtime_engine() { return engine_; }

  // Identifies what compiled code this engine produces and accepts: the
  // Wasmtime version and every setting that changes code generation. Part of
  // the compiled-code cache's file names.
  const std::string& fingerprint() const { return fingerprint_; }
  bool fuel_enabled() const { return fuel_ == FuelMetering::On; }
  // Whether calls between modules take the typed path where their shape
  // allows (RuntimeOptions::call_path, ORIVON_CALL_PATH).
  bool typed_calls() const { return typed_calls_; }
  // The most bytes of strings and lists one call between modules carries
  // each way (RuntimeOptions::max_call_bytes).
  std::size_t max_call_bytes() const { return max_call_bytes_; }

  // Applies per-store limits: memory and table limiter, fuel, and the epoch
  // deadline (no timeout means a deadline that never fires).
  [[nodiscard]] Result<void> apply_limits(wasmtime::Store& store, const ExecutionLimits& limits);

  // WASI linkers built once and shared by every instance that imports
  // nothing but WASI (instantiating through a linker only reads it).
  wasmtime::Linker& wasi_core_linker() { return *core_linker_; }
  wasmtime::component::Linker& wasi_component_linker() { return *component_linker_; }

  // Defines WASI (outbound HTTP checked by `http`) and every host interface
  // on `linker`: what each component linker starts from.
  [[nodiscard]] Result<void> define_host(wasmtime::component::Linker& linker,
                                         std::shared_ptr<const wasi::HttpPolicy> http);

  // Defines orivon's host functions for core modules (core_host.h) and
  // every host interface's core functions on `linker`, which already has
  // WASI: what each core linker starts from.
  [[nodiscard]] Result<void> define_core_host(wasmtime::Linker& linker);

  // Admission control for every instance created on this engine (shared
  // with its function engine: one process, one budget).
  Capacity& capacity() { return *capacity_; }

  // The engine function modules are instantiated on: the same compilation
  // settings (so code compiled here deserializes there unchanged, see
  // engine::program_for_engine) with Wasmtime's pooling allocator, sized by
  // RuntimeOptions::function_pool_slots and core/limits.h. Made on first use,
  // since its pool reserves address space up front; its epoch advances with
  // this engine's ticker. Fails (the caller then keeps to this engine) when the
  // pool cannot be reserved. Returns itself for a function engine.
  [[nodiscard]] Result<Engine*> ensure_function_engine();
  // Whether this is a function engine (instances come from a pool).
  bool is_pooled() const { return pooled_; }
  // The largest linear memory a pooled instance may have.
  static std::uint64_t pool_max_memory_bytes();

  // Number of ticks that covers `timeout`, rounded up, at least 1.
  static std::uint64_t ticks_for(std::chrono::nanoseconds timeout);

 private:
  enum class Ticker { Own, Parent };
  Engine(wasmtime::Engine engine, FuelMetering fuel, Ticker ticker);
  // Builds the shared WASI linkers (after host_interfaces_ is set).
  [[nodiscard]] Result<void> make_linkers();
  void run_ticker() noexcept;

  wasmtime::Engine engine_;
  std::optional<wasmtime::Linker> core_linker_;
  std::optional<wasmtime::component::Linker> component_linker_;
  FuelMetering fuel_;
  bool typed_calls_ = true;
  std::size_t max_call_bytes_ = std::size_t{64} << 20;
  std::string fingerprint_;
  // Shared by an engine and its function engine.
  std::shared_ptr<Capacity> capacity_;
  std::vector<std::shared_ptr<HostInterface>> host_interfaces_;
  bool pooled_ = false;
  std::uint32_t function_pool_slots_ = limits::kFunctionPoolInstances;
  Mutex function_engine_mutex_;  // held while the function engine is made
  Mutex mutex_;
  CondVar wake_;
  bool stopping_ ORIVON_GUARDED_BY(mutex_) = false;
  // Advanced by run_ticker() with this engine's epoch.
  std::unique_ptr<Engine> function_engine_ ORIVON_GUARDED_BY(mutex_);
  std::thread ticker_;
};

}  // namespace orivon::engine
