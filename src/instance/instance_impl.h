#pragma once

// The two kinds of live instance behind LiveInstance: core modules
// (core_runner.cc) and components (component_runner.cc).

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <wasmtime.hh>

#include "instance/import_linking.h"
#include "instance/live_instance.h"

namespace orivon::instance {

class LiveInstance::Impl {
 public:
  virtual ~Impl() = default;
  // Resolves a function export once (see LiveInstance::lookup); returns its
  // index in the instance's table of resolved exports, stable for the
  // instance's life.
  virtual Result<std::size_t> lookup(std::string_view name) = 0;
  // Calls the export at `function` (an index from lookup); see
  // LiveInstance::call.
  virtual Result<void> call(std::size_t function, std::span<const Value> args,
                            std::vector<Value>& results, LiveInstance::Match match) = 0;
  // See LiveInstance::call_raw.
  virtual Result<void> call_raw(std::string_view name, const LiveInstance::RawArguments& make_args,
                                const LiveInstance::RawResults& take_results) = 0;
  virtual Result<RunOutcome> run_command() = 0;
  virtual bool has_function(std::string_view name) = 0;
  virtual std::uint64_t memory_bytes() = 0;

  std::optional<int> exit_code;  // set when the guest exited while instantiating
};

// What an instance of `program` is expected to cost before it exists
// (admission: engine::Capacity).
engine::InstanceNeed instance_need(const internal::ProgramData& program);

// `links` (may be null) links the program's imports of other modules.
// `pre`, when set, is the program pre-instantiated with `engine` (see
// Prepared); else the instance is linked here.
Result<std::unique_ptr<LiveInstance::Impl>> create_core_instance(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    wasmtime::Store store, std::shared_ptr<LinkState> links, const std::optional<ModuleId>& module,
    const wasmtime_instance_pre_t* pre = nullptr);

// `http` checks the component's outbound HTTP requests (wasi:http).
Result<std::unique_ptr<LiveInstance::Impl>> create_component_instance(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    wasmtime::Store store, std::shared_ptr<LinkState> links, const std::optional<ModuleId>& module,
    std::shared_ptr<const wasi::HttpPolicy> http, const orivon_component_pre_t* pre = nullptr);

}  // namespace orivon::instance
