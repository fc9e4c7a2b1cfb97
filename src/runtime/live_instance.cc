#include "runtime/live_instance.h"

#include "runtime/instance_impl.h"
#include "runtime/store_setup.h"
#include "values/value_conversion.h"

namespace orivon::runtime {

Result<LiveInstance> LiveInstance::create(engine::Engine& engine,
                                          std::shared_ptr<const internal::ProgramData> program,
                                          const WasiProfile& profile, const ExecutionLimits& limits,
                                          StoreHooks hooks) {
  ORIVON_TRY(auto store, make_store(engine, profile, limits, hooks));
  ORIVON_TRY(auto http, wasi::HttpPolicy::compile(profile.http_origins));
  std::shared_ptr<LinkState> links;
  if (hooks.links && hooks.module) links = std::make_shared<LinkState>(engine, *hooks.links, http);
  if (program->kind == ProgramKind::Component) {
    ORIVON_TRY(auto impl, create_component_instance(engine, std::move(program), std::move(store),
                                                    std::move(links), hooks.module,
                                                    std::move(http)));
    return LiveInstance(std::move(impl));
  }
  ORIVON_TRY(auto impl, create_core_instance(engine, std::move(program), std::move(store),
                                             std::move(links), hooks.module));
  return LiveInstance(std::move(impl));
}

LiveInstance::LiveInstance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LiveInstance::LiveInstance(LiveInstance&&) noexcept = default;
LiveInstance& LiveInstance::operator=(LiveInstance&&) noexcept = default;
LiveInstance::~LiveInstance() = default;

std::optional<int> LiveInstance::exit_code() const { return impl_->exit_code; }

Result<InvokeOutcome> LiveInstance::invoke(const values::CallExpression& call) {
  return impl_->invoke(call);
}

Result<std::vector<wasmtime::component::Val>> LiveInstance::call_values(
    std::string_view name, std::span<const wasmtime::component::Val> args) {
  return impl_->call_values(name, args);
}

Result<std::vector<Value>> LiveInstance::call_typed(std::string_view name,
                                                    std::span<const Value> args) {
  ORIVON_TRY(auto types, impl_->param_types(name));
  std::vector<wasmtime::component::Val> values;
  values.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (types && i < types->size()) {
      auto value = values::to_wasmtime(args[i], (*types)[i]);
      if (!value) {
        return Error::wrap("argument " + std::to_string(i + 1) + " of '" + std::string(name) + "'",
                           value.error());
      }
      values.push_back(std::move(*value));
    } else {
      values.push_back(values::to_wasmtime_unchecked(args[i]));  // counts checked by the callee
    }
  }
  ORIVON_TRY(auto results, impl_->call_values(name, values));
  std::vector<Value> out;
  out.reserve(results.size());
  for (const auto& result : results) {
    ORIVON_TRY(auto value, values::from_wasmtime(result));
    out.push_back(std::move(value));
  }
  return out;
}

Result<LiveInstance::PreparedCall> LiveInstance::prepare_typed(std::string_view name,
                                                               std::span<const Value> args) {
  // The qualified name comes from the WAVE path with no arguments checked.
  ORIVON_TRY(auto types, impl_->param_types(name));
  if (!types) return Error(ErrorCode::Unimplemented, "only a component's calls can be prepared");
  if (types->size() != args.size()) {
    return Error(ErrorCode::InvalidArgument, "'" + std::string(name) + "' takes " +
                                                 std::to_string(types->size()) + " arguments, not " +
                                                 std::to_string(args.size()));
  }
  PreparedCall prepared;
  ORIVON_TRY(prepared.function, impl_->qualified_name(name));
  for (std::size_t i = 0; i < args.size(); ++i) {
    ORIVON_TRY(auto value, values::to_wasmtime(args[i], (*types)[i]));
    prepared.arguments.push_back(std::move(value));
  }
  return prepared;
}

Result<LiveInstance::PreparedCall> LiveInstance::prepare_call(const values::CallExpression& call) {
  return impl_->prepare_call(call);
}

Result<RunOutcome> LiveInstance::run_command() { return impl_->run_command(); }

bool LiveInstance::has_function(std::string_view name) { return impl_->has_function(name); }

std::uint64_t LiveInstance::memory_bytes() { return impl_->memory_bytes(); }

}  // namespace orivon::runtime
