#include "runtime/core_runner.h"

#include <vector>

#include "engine/error_conversion.h"
#include "runtime/store_setup.h"
#include "values/core_values.h"

namespace orivon::runtime {
namespace {

// A live instance of a core module with WASI linked in.
struct CoreInstance {
  wasmtime::Store store;
  wasmtime::Instance instance;
};

// Instantiation can run the module's start function, so it can also exit or
// trap: `exit` is set when it exited.
Result<CoreInstance> instantiate(engine::Engine& engine, const internal::ProgramData& program,
                                 const WasiProfile& profile, const ExecutionLimits& limits,
                                 std::optional<int>& exit) {
  ORIVON_TRY(auto store, make_store(engine, profile, limits));
  wasmtime::Linker linker(engine.wasmtime_engine());
  auto wasi = linker.define_wasi();
  if (!wasi) return engine::to_error(wasi.err(), ErrorCode::Internal, "linking WASI");
  auto instance = linker.instantiate(store, *program.module);
  if (!instance) {
    const auto& failure = instance.err();
    if (const auto* error = std::get_if<wasmtime::Error>(&failure.data); error && !error->i32_exit()) {
      // Link errors (an import nobody provides) are the program's problem.
      return engine::to_error(*error, ErrorCode::InvalidArgument, "instantiating '" + program.name + "'");
    }
    auto classified = engine::classify_failure(failure);
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit = exited->code;
      return Error(ErrorCode::FailedPrecondition, "guest exited during instantiation");
    }
    return std::get<Error>(std::move(classified));
  }
  return CoreInstance{std::move(store), instance.ok()};
}

Result<wasmtime::Func> find_func(CoreInstance& core, const std::string& name,
                                 const std::string& program_name) {
  auto item = core.instance.get(core.store, name);
  if (!item) {
    return Error(ErrorCode::NotFound, "'" + program_name + "' has no export named '" + name + "'");
  }
  auto* func = std::get_if<wasmtime::Func>(&*item);
  if (!func) {
    return Error(ErrorCode::InvalidArgument,
                 "export '" + name + "' of '" + program_name + "' is not a function");
  }
  return *func;
}

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

// Calls `func`; on a normal return fills `results`, on a guest exit sets
// `exit`, otherwise returns the error.
Result<void> call(CoreInstance& core, wasmtime::Func func, const std::vector<wasmtime::Val>& args,
                  std::vector<wasmtime::Val>& results, std::optional<int>& exit) {
  auto returned = func.call(core.store, args);
  if (returned) {
    results = std::move(returned.ok());
    return ok();
  }
  auto classified = engine::classify_failure(returned.err());
  if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
    exit = exited->code;
    return ok();
  }
  return std::get<Error>(std::move(classified));
}

}  // namespace

Result<RunOutcome> run_core_command(engine::Engine& engine, const internal::ProgramData& program,
                                    const WasiProfile& profile, const ExecutionLimits& limits) {
  std::optional<int> exit;
  auto core = instantiate(engine, program, profile, limits, exit);
  if (exit) return RunOutcome{*exit};
  if (!core) return std::move(core).error();
  auto start = core->instance.get(core->store, "_start");
  if (!start || !std::holds_alternative<wasmtime::Func>(*start)) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + program.name +
                     "' is not a command (no _start export); call one of its exports with --invoke");
  }
  std::vector<wasmtime::Val> results;
  ORIVON_RETURN_IF_ERROR(call(*core, std::get<wasmtime::Func>(*start), {}, results, exit));
  return RunOutcome{exit.value_or(0)};
}

Result<InvokeOutcome> invoke_core(engine::Engine& engine, const internal::ProgramData& program,
                                  const values::CallExpression& expression,
                                  const WasiProfile& profile, const ExecutionLimits& limits) {
  std::optional<int> exit;
  auto core = instantiate(engine, program, profile, limits, exit);
  if (exit) return InvokeOutcome{{}, exit};
  if (!core) return std::move(core).error();

  ORIVON_TRY(auto func, find_func(*core, expression.name, program.name));
  auto args_kinds = param_kinds(core->store, func);
  auto args = values::parse_core_arguments(expression.arguments, args_kinds);
  if (!args) return Error::wrap("calling '" + expression.name + "'", args.error());

  // A reactor initialises itself (constructors, libc) before any export runs.
  std::vector<wasmtime::Val> results;
  if (auto init = core->instance.get(core->store, "_initialize");
      init && std::holds_alternative<wasmtime::Func>(*init)) {
    ORIVON_RETURN_IF_ERROR(call(*core, std::get<wasmtime::Func>(*init), {}, results, exit));
    if (exit) return InvokeOutcome{{}, exit};
  }
  ORIVON_RETURN_IF_ERROR(call(*core, func, *args, results, exit));
  if (exit) return InvokeOutcome{{}, exit};
  return InvokeOutcome{values::format_core_results(results), std::nullopt};
}

}  // namespace orivon::runtime
