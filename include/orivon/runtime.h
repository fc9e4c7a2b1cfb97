#pragma once

/// \file
/// Runtime: the one object a client creates to host WebAssembly. It owns the
/// Wasmtime engine (and its epoch ticker thread) and compiles, runs and calls
/// guests under the grants and limits the client gives for each run.
///
///   auto runtime = orivon::Runtime::create({});
///   auto program = (*runtime)->load_file("hello.wasm");
///   orivon::WasiProfile profile;
///   profile.args = {"hello.wasm", "world"};
///   auto outcome = (*runtime)->run(*program, profile, {});
///   // outcome->exit_code is the guest's exit status.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "orivon/export.h"
#include "orivon/limits.h"
#include "orivon/program.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon {

/// Whether the engine counts fuel. Counting costs a little on every call, so
/// it is chosen once per Runtime; ExecutionLimits::fuel requires it.
enum class FuelMetering { Off, On };

struct RuntimeOptions {
  FuelMetering fuel = FuelMetering::Off;
};

/// The result of running a command to completion.
struct RunOutcome {
  /// The guest's exit status: what it passed to exit(), or 0 when main
  /// returned normally. A WASI 0.2 component can only report 0 or 1.
  int exit_code = 0;
};

/// The result of calling one export.
struct InvokeOutcome {
  /// The results as text: WAVE for components, space-separated numbers for
  /// core modules; empty when the function returns nothing.
  std::string results;
  /// Set when the guest called exit() instead of returning; `results` is
  /// empty then.
  std::optional<int> exit_code;
};

namespace internal {
class RuntimeImpl;
}

/// Owns the engine; every Program it compiles must not outlive it.
/// Thread-safe: runs and calls on different threads proceed in parallel, each
/// in its own store.
class ORIVON_API Runtime {
 public:
  /// Creates a runtime. Fails with Internal if the engine cannot be set up.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> create(const RuntimeOptions& options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Reads and compiles a core module or component. NotFound if the file is
  /// missing; InvalidArgument if it is not valid WebAssembly (the message
  /// names the file and says what is wrong).
  [[nodiscard]] Result<Program> load_file(const std::filesystem::path& path);
  /// Compiles a binary held in memory; `name` is used in messages.
  [[nodiscard]] Result<Program> load_bytes(std::span<const std::byte> bytes, std::string_view name);

  /// Runs a command to completion: `_start` of a core module, `wasi:cli/run`
  /// of a component. A guest exit is a RunOutcome, whatever its code; a trap
  /// is Trapped, a timeout DeadlineExceeded, fuel running out
  /// ResourceExhausted, each with the wasm backtrace in the message.
  [[nodiscard]] Result<RunOutcome> run(const Program& program, const WasiProfile& profile,
                                       const ExecutionLimits& limits);

  /// Instantiates the program and calls one export, written as
  /// `name(arg, ...)`. For components, arguments are WAVE values checked
  /// against the export's type, and `name` may be `interface#function`; for
  /// core modules, arguments are numbers. A core reactor's `_initialize` runs
  /// first. Errors as for run(); NotFound for an unknown export,
  /// InvalidArgument for arguments that do not fit its type.
  [[nodiscard]] Result<InvokeOutcome> invoke(const Program& program, std::string_view call,
                                             const WasiProfile& profile,
                                             const ExecutionLimits& limits);

 private:
  explicit Runtime(std::unique_ptr<internal::RuntimeImpl> impl);
  std::unique_ptr<internal::RuntimeImpl> impl_;
};

}  // namespace orivon
