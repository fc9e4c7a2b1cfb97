#include "instance/instance_template.h"

#include <optional>
#include <utility>

#include "engine/error_conversion.h"
#include "instance/pool_placement.h"

namespace orivon::instance {

namespace wc = wasmtime::component;

Result<std::shared_ptr<const InstanceTemplate>> InstanceTemplate::create(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    const WasiProfile& profile, std::uint64_t max_memory_bytes) {
  engine::Engine* chosen = &engine;
  std::string reason;
  if (auto placed = place_on_function_engine(engine, program, max_memory_bytes)) {
    chosen = placed->first;
    program = std::move(placed->second);
  } else {
    reason = placed.error().message();
  }
  std::shared_ptr<InstanceTemplate> made(new InstanceTemplate(*chosen, std::move(program)));
  made->on_demand_reason_ = std::move(reason);
  const internal::ProgramData& data = *made->program_;
  if (data.imports_modules) return std::shared_ptr<const InstanceTemplate>(std::move(made));
  const std::string context = "'" + data.name + "' cannot be instantiated";
  if (data.kind == ProgramKind::Component) {
    ORIVON_TRY(auto http, wasi::HttpPolicy::compile(profile.http_origins));
    // As a live instance links it: the engine's shared linker unless the
    // component is granted outbound HTTP (its own origin check).
    std::optional<wc::Linker> own;
    wc::Linker* linker = &chosen->wasi_component_linker();
    if (!http->denies_all()) {
      own.emplace(chosen->wasmtime_engine());
      ORIVON_RETURN_IF_ERROR(chosen->define_host(*own, http));
      linker = &*own;
    }
    orivon_component_pre_t* raw = nullptr;
    if (wasmtime_error_t* failed =
            orivon_component_pre_new(linker->capi(), data.component->capi(), &raw)) {
      return engine::to_error(wasmtime::Error(failed), ErrorCode::InvalidArgument, context);
    }
    made->component_pre_.reset(raw);
  } else {
    wasmtime_instance_pre_t* raw = nullptr;
    if (wasmtime_error_t* failed = wasmtime_linker_instantiate_pre(
            chosen->wasi_core_linker().capi(), data.module->capi(), &raw)) {
      return engine::to_error(wasmtime::Error(failed), ErrorCode::InvalidArgument, context);
    }
    made->core_pre_.reset(raw);
  }
  return std::shared_ptr<const InstanceTemplate>(std::move(made));
}

InstanceTemplate::~InstanceTemplate() = default;

Result<LiveInstance> InstanceTemplate::instantiate(const WasiProfile& profile,
                                                   const ExecutionLimits& limits,
                                                   StoreHooks hooks) const {
  return LiveInstance::create(engine_, program_, profile, limits, std::move(hooks),
                              Prepared{component_pre_.get(), core_pre_.get()});
}

}  // namespace orivon::instance
