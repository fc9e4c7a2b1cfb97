#pragma once

// A live instance of a program in its own store: what one `orivon run`, one
// `--invoke`, or one running service holds. Core modules and components
// behind one interface. Used by one thread at a time (a store is
// single-threaded); owned by whoever created it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <span>
#include <vector>

#include <wasmtime/component.hh>

#include "engine/engine.h"
#include "engine/program_data.h"
#include "runtime/links.h"
#include "orivon/runtime.h"
#include "orivon/value.h"
#include "values/call_expression.h"

namespace orivon::runtime {

struct StoreHooks {
  // When set, receives the guest's stdout (false) and stderr (true) instead
  // of the profile's stdio. Called on the thread running the guest; must not
  // throw.
  std::function<void(bool is_stderr, std::string_view bytes)> output;
  // When set, called at every epoch tick while the guest runs (instead of a
  // plain deadline): return an error to stop the guest with that message.
  // Must not throw.
  std::function<Result<void>()> on_tick;
  // When set, the module's imports of other modules are linked through
  // these Links, as `module` (see links.h). Must outlive the instance.
  Links* links = nullptr;
  std::optional<ModuleId> module;
};

class LiveInstance {
 public:
  class Impl;

  // Instantiates `program` (running its start function or component
  // initialisation). If the guest exits while doing so, the instance is
  // created anyway and exit_code() says how it exited; nothing can be called.
  static Result<LiveInstance> create(engine::Engine& engine,
                                     std::shared_ptr<const internal::ProgramData> program,
                                     const WasiProfile& profile, const ExecutionLimits& limits,
                                     StoreHooks hooks = {});
  LiveInstance(LiveInstance&&) noexcept;
  LiveInstance& operator=(LiveInstance&&) noexcept;
  ~LiveInstance();

  std::optional<int> exit_code() const;
  // Calls `name(arguments)` (see Runtime::invoke for the syntax and errors).
  Result<InvokeOutcome> invoke(const values::CallExpression& call);
  // Calls `name` with component values; for core modules the values must
  // be numbers (converted to the export's parameter kinds) and so are the
  // results. FailedPrecondition if the guest exited during the call.
  Result<std::vector<wasmtime::component::Val>> call_values(
      std::string_view name, std::span<const wasmtime::component::Val> args);
  // call_values with public typed values: checked against the export's
  // parameter types (components) or passed as numbers (core modules).
  Result<std::vector<Value>> call_typed(std::string_view name, std::span<const Value> args);
  // A component export's qualified name ("iface#func" or "func") and the
  // call's WAVE arguments parsed against its parameter types, without
  // calling it (a group routes the values to a member).
  struct PreparedCall {
    std::string function;
    std::vector<wasmtime::component::Val> arguments;
  };
  Result<PreparedCall> prepare_call(const values::CallExpression& call);
  // The same from typed values.
  Result<PreparedCall> prepare_typed(std::string_view name, std::span<const Value> args);
  // Runs `_start` or `wasi:cli/run`.
  Result<RunOutcome> run_command();
  // Whether the program exports a function called `name` (components:
  // "name" or "interface#name").
  bool has_function(std::string_view name);
  // Bytes of linear memory the instance uses now (core modules: their
  // exported memories; 0 when unknown).
  std::uint64_t memory_bytes();

 private:
  explicit LiveInstance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orivon::runtime
