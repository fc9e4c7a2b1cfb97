#include "engine/function_type.h"

#include <algorithm>

#include "values/core_values.h"

namespace orivon::engine {
namespace {

namespace wc = wasmtime::component;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "(none)" : out;
}

Result<FunctionType> component_function_type(wasmtime::Engine& engine,
                                             const internal::ProgramData& program,
                                             std::string_view name) {
  ORIVON_TRY(auto qualified, qualify_component_function(program, name));
  const wc::ComponentType type = program.component->type();
  std::optional<wc::ComponentItem> item;
  const auto hash = qualified.find('#');
  if (hash == std::string::npos) {
    item = type.export_get(engine, qualified);
  } else if (auto outer = type.export_get(engine, std::string_view(qualified).substr(0, hash));
             outer && outer->is_component_instance()) {
    item = outer->component_instance().export_get(engine,
                                                  std::string_view(qualified).substr(hash + 1));
  }
  if (!item || !item->is_component_func()) {
    return Error(ErrorCode::Internal, "export '" + qualified + "' has no function type");
  }
  const wc::FuncType& func = item->component_func();
  FunctionType out;
  out.name = std::move(qualified);
  for (std::size_t i = 0; i < func.param_count(); ++i) {
    auto param = func.param_nth(i);
    if (!param) return Error(ErrorCode::Internal, "parameter type missing");
    out.params.push_back(std::move(param->second));
  }
  out.result = func.result();
  return out;
}

// Through the C API: the C++ API's ValType::Ref does not expose its kind.
Result<FunctionType> core_function_type(const internal::ProgramData& program,
                                        std::string_view name) {
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(program.module->capi(), &exports);
  struct Free {
    wasm_exporttype_vec_t& vec;
    ~Free() { wasm_exporttype_vec_delete(&vec); }
  } free_exports{exports};
  for (std::size_t i = 0; i < exports.size; ++i) {
    const wasm_name_t* export_name = wasm_exporttype_name(exports.data[i]);
    if (std::string_view(export_name->data, export_name->size) != name) continue;
    const wasm_functype_t* func =
        wasm_externtype_as_functype_const(wasm_exporttype_type(exports.data[i]));
    if (func == nullptr) {
      return Error(ErrorCode::InvalidArgument, "export '" + std::string(name) + "' of '" +
                                                   program.name + "' is not a function");
    }
    FunctionType out;
    out.name = std::string(name);
    const wasm_valtype_vec_t* params = wasm_functype_params(func);
    for (std::size_t k = 0; k < params->size; ++k) {
      out.core_params.push_back(values::core_value_kind(params->data[k]));
    }
    out.core_result_count = wasm_functype_results(func)->size;
    return out;
  }
  return Error(ErrorCode::NotFound,
               "'" + program.name + "' has no export named '" + std::string(name) + "'");
}

}  // namespace

Result<std::string> qualify_component_function(const internal::ProgramData& program,
                                               std::string_view name) {
  const auto& exports = program.function_exports;
  std::string qualified(name);
  if (name.find('#') == std::string_view::npos &&
      std::find(exports.begin(), exports.end(), name) == exports.end()) {
    std::vector<std::string> matches;
    for (const auto& candidate : exports) {
      auto hash = candidate.find('#');
      if (hash != std::string::npos && std::string_view(candidate).substr(hash + 1) == name) {
        matches.push_back(candidate);
      }
    }
    if (matches.size() > 1) {
      return Error(ErrorCode::InvalidArgument, "'" + std::string(name) + "' is ambiguous in '" +
                                                   program.name + "': " + join(matches));
    }
    if (matches.size() == 1) qualified = matches[0];
  }
  if (std::find(exports.begin(), exports.end(), qualified) == exports.end()) {
    return Error(ErrorCode::NotFound, "'" + program.name + "' exports no function '" +
                                          std::string(name) + "'; its functions: " +
                                          join(exports));
  }
  return qualified;
}

Result<std::shared_ptr<const FunctionType>> function_type(wasmtime::Engine& engine,
                                                          const internal::ProgramData& program,
                                                          std::string_view name) {
  if (program.function_types) {
    if (auto cached = program.function_types->find(name)) return cached;
  }
  auto read = program.kind == ProgramKind::Component
                  ? component_function_type(engine, program, name)
                  : core_function_type(program, name);
  if (!read) return read.error();
  auto type = std::make_shared<const FunctionType>(std::move(*read));
  if (program.function_types) program.function_types->add(std::string(name), type);
  return type;
}

std::shared_ptr<const FunctionType> FunctionTypeCache::find(std::string_view name) const {
  MutexLock lock(mutex_);
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second;
}

void FunctionTypeCache::add(std::string name, std::shared_ptr<const FunctionType> type) {
  MutexLock lock(mutex_);
  types_.emplace(std::move(name), std::move(type));
}

}  // namespace orivon::engine
