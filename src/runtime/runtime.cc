#include "orivon/runtime.h"

#include "engine/engine.h"
#include "engine/program_data.h"
#include "engine/program_loader.h"
#include "runtime/component_runner.h"
#include "runtime/core_runner.h"
#include "values/call_expression.h"

namespace orivon {
namespace internal {

// The Runtime's state. Owns the engine; everything else is per call, so the
// methods are safe to call from several threads at once.
class RuntimeImpl {
 public:
  explicit RuntimeImpl(std::unique_ptr<engine::Engine> engine) : engine_(std::move(engine)) {}
  engine::Engine& engine() { return *engine_; }

 private:
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace internal

namespace {

// Every entry point is a boundary where nothing may escape (STYLE.md rule
// 15): an exception from the standard library becomes an Internal error.
template <typename F>
auto guarded(std::string_view what, F&& body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Error(ErrorCode::Internal, std::string(what) + ": " + e.what());
  } catch (...) {
    return Error(ErrorCode::Internal, std::string(what) + ": unknown exception");
  }
}

}  // namespace

ProgramKind Program::kind() const { return data_->kind; }
const std::string& Program::name() const { return data_->name; }
std::uint64_t Program::size_bytes() const { return data_->size_bytes; }

Runtime::Runtime(std::unique_ptr<internal::RuntimeImpl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
  return guarded("creating the runtime", [&]() -> Result<std::unique_ptr<Runtime>> {
    ORIVON_TRY(auto engine, engine::Engine::create(options));
    auto impl = std::make_unique<internal::RuntimeImpl>(std::move(engine));
    return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
  });
}

Result<Program> Runtime::load_file(const std::filesystem::path& path) {
  return guarded("loading a program", [&] {
    return engine::load_program_file(impl_->engine().wasmtime_engine(), path);
  });
}

Result<Program> Runtime::load_bytes(std::span<const std::byte> bytes, std::string_view name) {
  return guarded("loading a program", [&] {
    return engine::load_program(impl_->engine().wasmtime_engine(), bytes, name);
  });
}

Result<RunOutcome> Runtime::run(const Program& program, const WasiProfile& profile,
                                const ExecutionLimits& limits) {
  return guarded("running a program", [&] {
    const auto& data = program.data();
    if (data.kind == ProgramKind::Component) {
      return runtime::run_component_command(impl_->engine(), data, profile, limits);
    }
    return runtime::run_core_command(impl_->engine(), data, profile, limits);
  });
}

Result<InvokeOutcome> Runtime::invoke(const Program& program, std::string_view call,
                                      const WasiProfile& profile, const ExecutionLimits& limits) {
  return guarded("invoking a function", [&]() -> Result<InvokeOutcome> {
    ORIVON_TRY(auto expression, values::parse_call_expression(call));
    const auto& data = program.data();
    if (data.kind == ProgramKind::Component) {
      return runtime::invoke_component(impl_->engine(), data, expression, profile, limits);
    }
    return runtime::invoke_core(impl_->engine(), data, expression, profile, limits);
  });
}

}  // namespace orivon
