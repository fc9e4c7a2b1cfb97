#include "runtime/component_runner.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/error_conversion.h"
#include "runtime/store_setup.h"
#include "values/wave.h"

namespace orivon::runtime {
namespace {

namespace wc = wasmtime::component;

constexpr std::string_view kRunInterfacePrefix = "wasi:cli/run@";

struct ComponentInstance {
  wasmtime::Store store;
  wc::Instance instance;
};

Result<ComponentInstance> instantiate(engine::Engine& engine, const internal::ProgramData& program,
                                      const WasiProfile& profile, const ExecutionLimits& limits,
                                      std::optional<int>& exit) {
  ORIVON_TRY(auto store, make_store(engine, profile, limits));
  wc::Linker linker(engine.wasmtime_engine());
  auto wasi = linker.add_wasip2();
  if (!wasi) return engine::to_error(wasi.err(), ErrorCode::Internal, "linking WASI");
  auto instance = linker.instantiate(store, *program.component);
  if (!instance) {
    const auto& error = instance.err();
    if (auto status = error.i32_exit()) {
      exit = *status;
      return Error(ErrorCode::FailedPrecondition, "guest exited during instantiation");
    }
    return engine::to_error(error, ErrorCode::InvalidArgument,
                            "instantiating '" + program.name + "'");
  }
  return ComponentInstance{std::move(store), instance.ok()};
}

// Names of the function exports, top-level and one interface deep
// ("iface#func"), for error messages and for resolving unqualified names.
std::vector<std::string> function_exports(wasmtime::Engine& engine, const wc::Component& component) {
  std::vector<std::string> names;
  auto type = component.type();
  for (std::size_t i = 0; i < type.export_count(engine); ++i) {
    auto item = type.export_nth(engine, i);
    if (!item) continue;
    const std::string outer(item->first);
    if (item->second.is_component_func()) {
      names.push_back(outer);
    } else if (item->second.is_component_instance()) {
      const auto& instance_type = item->second.component_instance();
      for (std::size_t j = 0; j < instance_type.export_count(engine); ++j) {
        auto inner = instance_type.export_nth(engine, j);
        if (inner && inner->second.is_component_func()) {
          names.push_back(outer + "#" + std::string(inner->first));
        }
      }
    }
  }
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "(none)" : out;
}

// Resolves `name` ("func", "iface#func", or an unqualified function that
// exactly one exported interface has) to its export index.
Result<wc::ExportIndex> resolve_export(wasmtime::Engine& engine, const internal::ProgramData& program,
                                       const std::string& name) {
  const auto& component = *program.component;
  const auto exports = function_exports(engine, component);
  std::string qualified = name;
  if (name.find('#') == std::string::npos &&
      std::find(exports.begin(), exports.end(), name) == exports.end()) {
    std::vector<std::string> matches;
    for (const auto& candidate : exports) {
      auto hash = candidate.find('#');
      if (hash != std::string::npos && candidate.substr(hash + 1) == name) matches.push_back(candidate);
    }
    if (matches.size() > 1) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + name + "' is ambiguous in '" + program.name + "': " + join(matches));
    }
    if (matches.size() == 1) qualified = matches[0];
  }
  if (std::find(exports.begin(), exports.end(), qualified) == exports.end()) {
    return Error(ErrorCode::NotFound, "'" + program.name + "' exports no function '" + name +
                                          "'; its functions: " + join(exports));
  }
  auto hash = qualified.find('#');
  if (hash == std::string::npos) {
    auto index = component.export_index(nullptr, qualified);
    if (index) return std::move(*index);
  } else {
    auto outer = component.export_index(nullptr, qualified.substr(0, hash));
    if (outer) {
      auto inner = component.export_index(&*outer, qualified.substr(hash + 1));
      if (inner) return std::move(*inner);
    }
  }
  return Error(ErrorCode::Internal, "export '" + qualified + "' has no index");
}

// Calls `func` and runs its post-return. Sets `exit` when the guest exited.
Result<void> call(ComponentInstance& live, const wc::Func& func, const std::vector<wc::Val>& args,
                  std::vector<wc::Val>& results, std::optional<int>& exit) {
  auto returned = func.call(live.store, args, results);
  if (!returned) {
    auto classified = engine::classify_failure(returned.err());
    if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
      exit = exited->code;
      return ok();
    }
    return std::get<Error>(std::move(classified));
  }
  auto post = func.post_return(live.store);
  if (!post) return engine::to_error(post.err(), ErrorCode::Trapped, "post-return");
  return ok();
}

std::vector<wc::Val> result_slots(const wc::FuncType& type) {
  std::vector<wc::Val> slots;
  if (type.result()) slots.emplace_back(false);
  return slots;
}

}  // namespace

Result<RunOutcome> run_component_command(engine::Engine& engine,
                                         const internal::ProgramData& program,
                                         const WasiProfile& profile, const ExecutionLimits& limits) {
  std::string run_name;
  for (const auto& name : function_exports(engine.wasmtime_engine(), *program.component)) {
    if (name.starts_with(kRunInterfacePrefix) && name.ends_with("#run")) run_name = name;
  }
  if (run_name.empty()) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + program.name +
                     "' is not a command (it does not export wasi:cli/run); call one of its "
                     "exports with --invoke");
  }
  std::optional<int> exit;
  auto live = instantiate(engine, program, profile, limits, exit);
  if (exit) return RunOutcome{*exit};
  if (!live) return std::move(live).error();
  ORIVON_TRY(auto index, resolve_export(engine.wasmtime_engine(), program, run_name));
  auto func = live->instance.get_func(live->store, index);
  if (!func) return Error(ErrorCode::Internal, "wasi:cli/run#run is not a function");

  std::vector<wc::Val> results = result_slots(func->type(live->store));
  ORIVON_RETURN_IF_ERROR(call(*live, *func, {}, results, exit));
  if (exit) return RunOutcome{*exit};
  // run returns result<_, _>: ok is success, err a failure without a code.
  bool succeeded = !results.empty() && results[0].is_result() && results[0].get_result().is_ok();
  return RunOutcome{succeeded ? 0 : 1};
}

Result<InvokeOutcome> invoke_component(engine::Engine& engine,
                                       const internal::ProgramData& program,
                                       const values::CallExpression& expression,
                                       const WasiProfile& profile, const ExecutionLimits& limits) {
  ORIVON_TRY(auto index, resolve_export(engine.wasmtime_engine(), program, expression.name));
  std::optional<int> exit;
  auto live = instantiate(engine, program, profile, limits, exit);
  if (exit) return InvokeOutcome{{}, exit};
  if (!live) return std::move(live).error();
  auto func = live->instance.get_func(live->store, index);
  if (!func) return Error(ErrorCode::Internal, "'" + expression.name + "' is not a function");

  auto type = func->type(live->store);
  std::vector<wc::ValType> param_types;
  for (std::size_t i = 0; i < type.param_count(); ++i) {
    auto param = type.param_nth(i);
    if (!param) return Error(ErrorCode::Internal, "parameter type missing");
    param_types.push_back(std::move(param->second));
  }
  auto args = values::parse_wave_arguments(expression.arguments, param_types);
  if (!args) return Error::wrap("calling '" + expression.name + "'", args.error());

  std::vector<wc::Val> results = result_slots(type);
  ORIVON_RETURN_IF_ERROR(call(*live, *func, *args, results, exit));
  if (exit) return InvokeOutcome{{}, exit};
  std::string text;
  if (!results.empty()) text = values::format_wave(results[0]);
  return InvokeOutcome{text, std::nullopt};
}

}  // namespace orivon::runtime
