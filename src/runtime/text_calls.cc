#include "runtime/text_calls.h"

#include "values/core_values.h"
#include "values/numeric_bridge.h"
#include "values/value_conversion.h"
#include "values/wave.h"

namespace orivon::runtime {

Result<TypedCall> parse_text_call(wasmtime::Engine& engine, const internal::ProgramData& program,
                                  const values::CallExpression& call) {
  TypedCall typed;
  ORIVON_TRY(typed.function, engine::function_type(engine, program, call.name));
  if (program.kind == ProgramKind::Component) {
    auto args = values::parse_wave_arguments(call.arguments, typed.function->params);
    if (!args) return Error::wrap("calling '" + call.name + "'", args.error());
    for (const auto& arg : *args) {
      ORIVON_TRY(auto value, values::from_wasmtime(arg));
      typed.args.push_back(std::move(value));
    }
    return typed;
  }
  auto args = values::parse_core_arguments(call.arguments, typed.function->core_params);
  if (!args) return Error::wrap("calling '" + call.name + "'", args.error());
  for (const auto& arg : *args) {
    auto value = values::value_from_core(arg);
    if (!value) return Error::wrap("calling '" + call.name + "'", value.error());
    typed.args.push_back(std::move(*value));
  }
  return typed;
}

std::string format_results(ProgramKind kind, std::span<const Value> results) {
  if (kind == ProgramKind::Component) return results.empty() ? std::string() : to_wave(results[0]);
  std::vector<wasmtime::Val> core;
  core.reserve(results.size());
  for (const auto& result : results) {
    // A core call's results are s32, s64, f32 or f64 (LiveInstance::call).
    if (auto i32 = result.as_s32()) {
      core.emplace_back(*i32);
    } else if (auto i64 = result.as_s64()) {
      core.emplace_back(*i64);
    } else if (auto f32 = result.as_f32()) {
      core.emplace_back(*f32);
    } else if (auto f64 = result.as_f64()) {
      core.emplace_back(*f64);
    }
  }
  return values::format_core_results(core);
}

Result<void> check_arguments(const engine::FunctionType& function, std::string_view called_as,
                             std::span<const Value> args) {
  if (function.params.size() != args.size()) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + std::string(called_as) + "' takes " + std::to_string(function.params.size()) +
                     " arguments, not " + std::to_string(args.size()));
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    // Bytes for a list<u8> fit as they are: checking them by conversion
    // would build one Wasmtime value per byte, for nothing.
    const auto& type = function.params[i];
    if (args[i].if_bytes() != nullptr && type.is_list() && type.list().element().is_u8()) continue;
    ORIVON_TRY(auto checked, values::to_wasmtime(args[i], function.params[i]));
    (void)checked;
  }
  return ok();
}

}  // namespace orivon::runtime
