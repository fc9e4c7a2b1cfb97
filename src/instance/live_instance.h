#pragma once

// A live instance of a program in its own store: what one `orivon run`, one
// `--invoke`, or one running service holds. Core modules and components
// behind one interface. Used by one thread at a time (a store is
// single-threaded); owned by whoever created it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <wasmtime/component.hh>

#include "engine/engine.h"
#include "engine/program_data.h"
#include "instance/links.h"
#include "orivon/limits.h"
#include "orivon/outcomes.h"
#include "orivon/value.h"
#include "orivon/wasi_profile.h"

struct orivon_component_pre_t;

namespace orivon::instance {

// A program pre-instantiated once (see instance_template.h): an instance
// made from it skips resolving and type-checking its imports. At most one is
// set, made with the engine and program passed beside it.
struct Prepared {
  const orivon_component_pre_t* component = nullptr;
  const wasmtime_instance_pre_t* core = nullptr;
};

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
  // When set, tells the guest whether it was asked to stop
  // (orivon:lifecycle). Must outlive the instance.
  const std::atomic<bool>* stop_requested = nullptr;
};

class LiveInstance {
 public:
  class Impl;

  // Instantiates `program` (running its start function or component
  // initialisation). If the guest exits while doing so, the instance is
  // created anyway and exit_code() says how it exited; nothing can be called.
  // On a function engine (Engine::is_pooled) the instance takes a pooled
  // slot; with every slot in use it is ResourceExhausted naming "capacity".
  static Result<LiveInstance> create(engine::Engine& engine,
                                     std::shared_ptr<const internal::ProgramData> program,
                                     const WasiProfile& profile, const ExecutionLimits& limits,
                                     StoreHooks hooks = {}, const Prepared& prepared = {});
  LiveInstance(LiveInstance&&) noexcept;
  LiveInstance& operator=(LiveInstance&&) noexcept;
  ~LiveInstance();

  std::optional<int> exit_code() const;

  // A function export resolved once: a call through it does no lookup by
  // name, no type walk and, for numbers, no allocation.
  //
  //   ORIVON_TRY(auto add, live.lookup("add"));
  //   std::vector<Value> results;  // kept between calls: its storage is reused
  //   ORIVON_RETURN_IF_ERROR(live.call(add, args, results));
  //
  // A small value, cheap to copy. Only the LiveInstance that returned it
  // accepts it (another refuses it with InvalidArgument), for as long as that
  // instance lives.
  class Function {
   private:
    friend class LiveInstance;
    Function(const Impl* owner, std::size_t index) : owner_(owner), index_(index) {}
    const Impl* owner_;   // identifies the instance; never dereferenced
    std::size_t index_;   // into the owner's table of resolved exports
  };
  // Resolves the function export `name` (components: "name" or
  // "interface#name") and its types once; later lookups of the same name
  // find it in a table. NotFound for an unknown export; InvalidArgument for
  // an export that is not a function or an ambiguous unqualified name.
  Result<Function> lookup(std::string_view name);
  // How a call's arguments must fit the parameter types.
  enum class Match {
    // A client's call: each value is checked against its parameter type
    // (kinds must match exactly, see values::to_wasmtime), before the guest
    // runs.
    Exact,
    // A call from another module: numbers take the parameter's kind (a core
    // module's i32 passed to a u32), the rest is passed as it is and
    // Wasmtime checks it against the callee's types.
    Numbers,
  };
  // Calls `function` with `args` (core modules: numbers, integers passed by
  // bit pattern) and replaces the contents of `results` with its results (at
  // most one for components; core i32/i64/f32/f64 become s32/s64/f32/f64).
  // `results` keeps its capacity, so a caller that reuses it allocates
  // nothing for numbers. InvalidArgument for arguments that do not fit,
  // before the guest runs; FailedPrecondition if the guest exited before or
  // during the call (exit_code() then says how); Unimplemented for a core
  // result that is not a number; a trap, deadline or fuel error as for
  // Runtime::run. `results` is empty after an error. The only way into an
  // export: every caller (the facade, services, other modules) comes here.
  Result<void> call(Function function, std::span<const Value> args, std::vector<Value>& results,
                    Match match = Match::Exact);

  // For host interfaces whose exports take values a Value cannot hold
  // (resources): calls the export `name` with the arguments `make_args`
  // builds in the instance's store, and hands its results to `take_results`
  // before post-return. Components only (a core module: Unimplemented).
  // Errors as call(); an error of either function is returned as it is.
  using RawArguments =
      std::function<Result<std::vector<wasmtime::component::Val>>(wasmtime::Store::Context)>;
  using RawResults = std::function<Result<void>(wasmtime::Store::Context,
                                                std::span<const wasmtime::component::Val>)>;
  Result<void> call_raw(std::string_view name, const RawArguments& make_args,
                        const RawResults& take_results);

  // Runs `_start` or `wasi:cli/run`.
  Result<RunOutcome> run_command();
  // Whether the program exports a function called `name` (components:
  // "name" or "interface#name").
  bool has_function(std::string_view name);
  // Bytes of linear memory the instance uses now (core modules: their
  // exported memories; 0 when unknown).
  std::uint64_t memory_bytes();

 private:
  LiveInstance(engine::Capacity::Ticket ticket, std::unique_ptr<Impl> impl);
  // Declared first so it is released last, after the instance is gone.
  engine::Capacity::Ticket ticket_;
  std::unique_ptr<Impl> impl_;
};

// What one call returned: its results, or, when the guest exited instead
// of returning, the status it exited with.
struct Returned {
  std::vector<Value> values;
  std::optional<int> exit_code;
};

// lookup(name), then call(), reporting a guest exit (before or during the
// call) as a Returned rather than an error: what a command, a service's own
// exports and a client's call by name need.
Result<Returned> call_by_name(LiveInstance& live, std::string_view name,
                              std::span<const Value> args,
                              LiveInstance::Match match = LiveInstance::Match::Exact);

}  // namespace orivon::instance
