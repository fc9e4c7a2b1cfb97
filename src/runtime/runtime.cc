#include "orivon/runtime.h"

#include "engine/engine.h"
#include "engine/program_data.h"
#include "core/file_util.h"
#include "core/limits.h"
#include "engine/program_loader.h"
#include "registry/module_registry.h"
#include "runtime/live_instance.h"
#include "values/call_expression.h"

namespace orivon {
namespace internal {

// The Runtime's state. Owns the engine; everything else is per call, so the
// methods are safe to call from several threads at once.
class RuntimeImpl {
 public:
  explicit RuntimeImpl(std::unique_ptr<engine::Engine> engine) : engine_(std::move(engine)) {}
  engine::Engine& engine() { return *engine_; }

  Result<void> open_registry(const std::filesystem::path& state_dir) {
    ORIVON_TRY(registry_, registry::ModuleRegistry::open(*engine_, state_dir));
    return ok();
  }
  Result<registry::ModuleRegistry*> registry() {
    if (!registry_) {
      return Error(ErrorCode::FailedPrecondition,
                   "this runtime has no registry: create it with RuntimeOptions::state_dir");
    }
    return registry_.get();
  }

 private:
  std::unique_ptr<engine::Engine> engine_;
  // Declared after the engine, so destroyed before it.
  std::unique_ptr<registry::ModuleRegistry> registry_;
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
    if (!options.state_dir.empty()) ORIVON_RETURN_IF_ERROR(impl->open_registry(options.state_dir));
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
  return guarded("running a program", [&]() -> Result<RunOutcome> {
    ORIVON_TRY(auto instance, runtime::LiveInstance::create(impl_->engine(), program.shared_data(),
                                                            profile, limits));
    return instance.run_command();
  });
}

Result<InvokeOutcome> Runtime::invoke(const Program& program, std::string_view call,
                                      const WasiProfile& profile, const ExecutionLimits& limits) {
  return guarded("invoking a function", [&]() -> Result<InvokeOutcome> {
    ORIVON_TRY(auto expression, values::parse_call_expression(call));
    ORIVON_TRY(auto instance, runtime::LiveInstance::create(impl_->engine(), program.shared_data(),
                                                            profile, limits));
    return instance.invoke(expression);
  });
}

Result<ModuleInfo> Runtime::add_module(std::span<const std::byte> code, const AddOptions& options) {
  return guarded("adding a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->add(code, options);
  });
}

Result<ModuleInfo> Runtime::add_module_file(const std::filesystem::path& path,
                                            const AddOptions& options) {
  return guarded("adding a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto code, read_file(path, limits::kMaxBinaryBytes));
    return registry->add(code, options);
  });
}

Result<void> Runtime::remove_module(const ModuleId& id) {
  return guarded("removing a module", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->remove(id);
  });
}

Result<ModuleInfo> Runtime::update_module(const ModuleId& id, std::span<const std::byte> code) {
  return guarded("updating a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->update(id, code);
  });
}

Result<ModuleInfo> Runtime::update_module_file(const ModuleId& id,
                                               const std::filesystem::path& path) {
  return guarded("updating a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto code, read_file(path, limits::kMaxBinaryBytes));
    return registry->update(id, code);
  });
}

Result<std::vector<ModuleInfo>> Runtime::list_modules() {
  return guarded("listing modules", [&]() -> Result<std::vector<ModuleInfo>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->list();
  });
}

Result<ModuleDetails> Runtime::inspect_module(const ModuleId& id) {
  return guarded("inspecting a module", [&]() -> Result<ModuleDetails> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->inspect(id);
  });
}

Result<void> Runtime::decide_grant(const ModuleId& id, std::string_view grant,
                                   GrantDecision decision) {
  return guarded("recording a grant decision", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->decide(id, grant, decision);
  });
}

Result<LoadReport> Runtime::load_installed() {
  return guarded("loading installed modules", [&]() -> Result<LoadReport> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->load_installed();
  });
}

Result<Program> Runtime::program(const ModuleId& id) {
  return guarded("loading a module", [&]() -> Result<Program> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->program(id);
  });
}

}  // namespace orivon
