#include "instance/proxy_template.h"

#include <string>

#include "engine/error_conversion.h"
#include "engine/host_interface.h"
#include "instance/import_linking.h"
#include "instance/instance_impl.h"
#include "instance/pool_placement.h"
#include "instance/store_setup.h"
#include "wasi/http_policy.h"

namespace orivon::instance {
namespace {

namespace wc = wasmtime::component;

// Takes ownership of a C error (null: none).
std::optional<wasmtime::Error> take_error(wasmtime_error_t* raw) {
  if (raw == nullptr) return std::nullopt;
  return wasmtime::Error(raw);
}

}  // namespace

Result<std::shared_ptr<const ProxyTemplate>> ProxyTemplate::create(
    engine::Engine& engine, std::shared_ptr<const internal::ProgramData> program,
    const WasiProfile& profile, Links* links, std::optional<ModuleId> module,
    Placement placement, std::uint64_t max_memory_bytes) {
  if (program->kind != ProgramKind::Component || !program->component) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + program->name + "' is a core module: an HTTP handler is a component "
                 "exporting wasi:http/incoming-handler");
  }
  engine::Engine* chosen = &engine;
  std::string reason;
  if (placement == Placement::Pooled) {
    auto pooled = place_on_function_engine(engine, program, max_memory_bytes);
    if (pooled) {
      chosen = pooled->first;
      program = std::move(pooled->second);
    } else {
      reason = pooled.error().message();
    }
  }
  std::shared_ptr<ProxyTemplate> made(
      new ProxyTemplate(*chosen, std::move(program), links, std::move(module)));
  made->on_demand_reason_ = std::move(reason);
  ORIVON_TRY(made->http_, wasi::HttpPolicy::compile(profile.http_origins));
  if (!made->links_per_store()) {
    ORIVON_TRY(made->pre_, made->make_pre(nullptr));
  } else {
    // Checked once now, so a bad handler fails when its route is first used
    // the same way whatever it imports.
    auto links_now = std::make_shared<LinkState>(*chosen, *links, made->http_);
    ORIVON_TRY(auto checked, made->make_pre(links_now));
    (void)checked;
  }
  return std::shared_ptr<const ProxyTemplate>(std::move(made));
}

ProxyTemplate::~ProxyTemplate() = default;

bool ProxyTemplate::links_per_store() const {
  return links_ != nullptr && module_ && program_->imports_modules;
}

auto ProxyTemplate::make_pre(const std::shared_ptr<LinkState>& store_links) const
    -> Result<Pre> {
  wc::Linker linker(engine_.wasmtime_engine());
  ORIVON_RETURN_IF_ERROR(engine_.define_host(linker, http_));
  if (store_links) {
    ORIVON_RETURN_IF_ERROR(
        store_links->link_component_imports(linker, *program_->component, *module_));
  }
  orivon_proxy_pre_t* raw = nullptr;
  if (auto error = take_error(
          orivon_proxy_pre_new(linker.capi(), program_->component->capi(), &raw))) {
    return engine::to_error(*error, ErrorCode::InvalidArgument,
                            "'" + program_->name + "' cannot serve HTTP");
  }
  return Pre(raw);
}

Result<void> ProxyTemplate::serve(orivon_http_request_t* request, const WasiProfile& profile,
                                  const ExecutionLimits& limits, const StoreHooks& hooks) const {
  // A pooled instance maps nothing new: its slot was reserved with the pool.
  engine::InstanceNeed need = instance_need(*program_);
  if (engine_.is_pooled()) need.mappings = need.address_space_bytes = 0;
  ORIVON_TRY(auto ticket, engine_.capacity().admit(need));
  ORIVON_TRY(auto store, make_store(engine_, profile, limits, hooks));
  wasi::enable_wasi_http(store.context());
  Pre per_store;
  const orivon_proxy_pre_t* pre = pre_.get();
  if (pre == nullptr) {
    auto store_links = std::make_shared<LinkState>(engine_, *links_, http_);
    ORIVON_TRY(per_store, make_pre(store_links));
    pre = per_store.get();
  }
  wasmtime_error_t* raw = orivon_http_request_serve(request, pre, store.context().capi());
  if (raw == nullptr) return ok();
  if (orivon_error_is_pool_exhausted(&raw)) {
    wasmtime_error_delete(raw);
    return pool_exhausted_error();
  }
  auto error = take_error(raw);
  auto classified = engine::classify_failure(*error);
  if (auto* exited = std::get_if<engine::GuestExit>(&classified)) {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + program_->name + "' exited with status " + std::to_string(exited->code));
  }
  return std::get<Error>(std::move(classified));
}

Result<void> ProxyTemplate::instantiate_once(const WasiProfile& profile,
                                             const ExecutionLimits& limits) const {
  if (pre_ == nullptr) {
    return Error(ErrorCode::Unimplemented, "this handler is linked per store");
  }
  ORIVON_TRY(auto store, make_store(engine_, profile, limits, StoreHooks{}));
  wasi::enable_wasi_http(store.context());
  wasmtime_error_t* raw = orivon_proxy_pre_instantiate(pre_.get(), store.context().capi());
  if (raw != nullptr && orivon_error_is_pool_exhausted(&raw)) {
    wasmtime_error_delete(raw);
    return pool_exhausted_error();
  }
  if (auto error = take_error(raw)) {
    return engine::to_error(*error, ErrorCode::Trapped, "instantiating");
  }
  return ok();
}

}  // namespace orivon::instance
