// Live instances of core WebAssembly modules: WASI preview1 commands and
// reactors, or plain exports.

#include <vector>

#include "engine/error_conversion.h"
#include "runtime/instance_impl.h"
#include "values/core_values.h"
#include "values/numeric_bridge.h"

namespace orivon::runtime {
namespace {

// The C++ API's ValType::Ref does not expose its kind, so read the
// parameter kinds through the C API.
std::vector<wasmtime::ValKind> param_kinds(wasmtime::Store& store, const wasmtime::Func& func) {
  wasm_functype_t* type = wasmtime_func_type(store.context().capi(), &func.capi());
  const wasm_valtype_vec_t* params = wasm_functype_params(type);
  std::vector<wasmtime::ValKind> kinds;
  for (std::size_t i = 0; i < params->size; ++i) {
    switch (wasm_valtype_kind(params->data[i])) {
      case WASM_I32: kinds.push_back(wasmtime::ValKind::I32); break;
      case WASM_I64: kinds.push_back(wasmtime::ValKind::I64); break;
      case WASM_F32: kinds.push_back(wasmtime::ValKind::F32); break;
      case WASM_F64: kinds.push_back(wasmtime::ValKind::F64); break;
      case WASMTIME_V128: kinds.push_back(wasmtime::ValKind::V128); break;
      default: kinds.push_back(wasmtime::ValKind::ExternRef); break;
    }
  }
  wasm_functype_delete(type);
  return kinds;
}

class CoreInstance final : public LiveInstance::Impl {
 public:
  CoreInstance(std::shared_ptr<const internal::ProgramData> program, wasmtime::Store store,
               std::shared_ptr<LinkState> links, std::optional<ModuleId> module)
      : program_(std::move(program)),
        store_(std::move(store)),
        links_(std::move(links)),
        module_(std::move(module)) {}

  // Instantiation can run the module's start function, so it can exit or
  // trap too.
  Result<void> instantiate(engine::Engine& engine) {
    // A module importing other modules gets a linker of its own; the rest
    // share the engine's WASI linker, built once.
    std::optional<wasmtime::Linker> own;
    wasmtime::Linker* linker = &engine.wasi_core_linker();
    if (links_ && program_->imports_modules) {
      own.emplace(engine.wasmtime_engine());
      auto wasi = own->define_wasi();
      if (!wasi) return engine::to_error(wasi.err(), ErrorCode::Internal, "linking WASI");
      ORIVON_RETURN_IF_ERROR(links_->link_core_imports(*own, *program_->module, *module_));
      linker = &*own;
    }
    auto instance = linker->instantiate(store_, *program_->module);
    if (instance) {
      instance_ = instance.ok();
      return ok();
    }
    const auto& failure = instance.err();
    if (const auto* error = std::get_if<wasmtime::Error>(&failure.data); error && !error->i32_exit()) {
      // Link errors (an import nobody provides) are the program's problem.
      return engine::to_error(*error, ErrorCode::InvalidArgument,
                              "instantiating '" + program_->name + "'");
    }
    auto classified = engine::classify_failure(failure);
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit_code = exited->code;
      return ok();
    }
    return std::get<Error>(std::move(classified));
  }

  Result<InvokeOutcome> invoke(const values::CallExpression& expression) override {
    if (exit_code) return InvokeOutcome{{}, exit_code};
    ORIVON_TRY(auto func, find_func(expression.name));
    auto args = values::parse_core_arguments(expression.arguments, param_kinds(store_, func));
    if (!args) return Error::wrap("calling '" + expression.name + "'", args.error());
    ORIVON_RETURN_IF_ERROR(initialize());
    if (exit_code) return InvokeOutcome{{}, exit_code};
    std::vector<wasmtime::Val> results;
    ORIVON_RETURN_IF_ERROR(call(func, *args, results));
    if (exit_code) return InvokeOutcome{{}, exit_code};
    return InvokeOutcome{values::format_core_results(results), std::nullopt};
  }

  Result<std::vector<wasmtime::component::Val>> call_values(
      std::string_view name, std::span<const wasmtime::component::Val> args) override {
    if (exit_code) return exited_error();
    ORIVON_TRY(auto func, find_func(std::string(name)));
    const auto kinds = param_kinds(store_, func);
    if (kinds.size() != args.size()) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + std::string(name) + "' of '" + program_->name + "' takes " +
                       std::to_string(kinds.size()) + " arguments, not " +
                       std::to_string(args.size()));
    }
    std::vector<wasmtime::Val> core_args;
    core_args.reserve(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
      auto value = values::core_from_component(args[i], kinds[i]);
      if (!value) return Error::wrap("calling '" + std::string(name) + "'", value.error());
      core_args.push_back(std::move(*value));
    }
    ORIVON_RETURN_IF_ERROR(initialize());
    if (exit_code) return exited_error();
    std::vector<wasmtime::Val> results;
    ORIVON_RETURN_IF_ERROR(call(func, core_args, results));
    if (exit_code) return exited_error();
    std::vector<wasmtime::component::Val> out;
    out.reserve(results.size());
    for (const auto& result : results) {
      ORIVON_TRY(auto value, values::component_from_core(result));
      out.push_back(std::move(value));
    }
    return out;
  }

  Result<RunOutcome> run_command() override {
    if (exit_code) return RunOutcome{*exit_code};
    auto start = instance_->get(store_, "_start");
    if (!start || !std::holds_alternative<wasmtime::Func>(*start)) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + program_->name +
                       "' is not a command (no _start export); call one of its exports with --invoke");
    }
    std::vector<wasmtime::Val> results;
    ORIVON_RETURN_IF_ERROR(call(std::get<wasmtime::Func>(*start), {}, results));
    return RunOutcome{exit_code.value_or(0)};
  }

  bool has_function(std::string_view name) override {
    if (!instance_) return false;
    auto item = instance_->get(store_, name);
    return item && std::holds_alternative<wasmtime::Func>(*item);
  }

  std::uint64_t memory_bytes() override {
    if (!instance_) return 0;
    std::uint64_t total = 0;
    for (std::size_t i = 0;; ++i) {
      auto item = instance_->get(store_, i);
      if (!item) break;
      if (auto* memory = std::get_if<wasmtime::Memory>(&item->second)) {
        total += memory->size(store_) * memory->page_size(store_);
      }
    }
    return total;
  }

 private:
  // A reactor initialises itself (constructors, libc) before any export
  // runs, once.
  Result<void> initialize() {
    if (initialized_) return ok();
    initialized_ = true;
    if (auto init = instance_->get(store_, "_initialize");
        init && std::holds_alternative<wasmtime::Func>(*init)) {
      std::vector<wasmtime::Val> results;
      return call(std::get<wasmtime::Func>(*init), {}, results);
    }
    return ok();
  }

  Error exited_error() const {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + program_->name + "' exited with status " + std::to_string(*exit_code));
  }

  Result<wasmtime::Func> find_func(const std::string& name) {
    auto item = instance_->get(store_, name);
    if (!item) {
      return Error(ErrorCode::NotFound,
                   "'" + program_->name + "' has no export named '" + name + "'");
    }
    auto* func = std::get_if<wasmtime::Func>(&*item);
    if (!func) {
      return Error(ErrorCode::InvalidArgument,
                   "export '" + name + "' of '" + program_->name + "' is not a function");
    }
    return *func;
  }

  // Calls `func`; on a normal return fills `results`, on a guest exit sets
  // exit_code, otherwise returns the error.
  Result<void> call(wasmtime::Func func, const std::vector<wasmtime::Val>& args,
                    std::vector<wasmtime::Val>& results) {
    auto returned = func.call(store_, args);
    if (returned) {
      results = std::move(returned.ok());
      return ok();
    }
    auto classified = engine::classify_failure(returned.err());
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit_code = exited->code;
      return ok();
    }
    return std::get<Error>(std::move(classified));
  }

  std::shared_ptr<const internal::ProgramData> program_;
  wasmtime::Store store_;
  std::shared_ptr<LinkState> links_;  // null: imports of other modules are not linked
  std::optional<ModuleId> module_;
  std::optional<wasmtime::Instance> instance_;
  bool initialized_ = false;
};

}  // namespace

Result<std::unique_ptr<LiveInstance::Impl>> create_core_instance(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    wasmtime::Store store, std::shared_ptr<LinkState> links, const std::optional<ModuleId>& module) {
  auto instance =
      std::make_unique<CoreInstance>(std::move(program), std::move(store), std::move(links), module);
  ORIVON_RETURN_IF_ERROR(instance->instantiate(engine));
  return std::unique_ptr<LiveInstance::Impl>(std::move(instance));
}

}  // namespace orivon::runtime
