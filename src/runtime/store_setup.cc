#include "runtime/store_setup.h"

#include "wasi/wasi_config_builder.h"

namespace orivon::runtime {

Result<wasmtime::Store> make_store(engine::Engine& engine, const WasiProfile& profile,
                                   const ExecutionLimits& limits) {
  wasmtime::Store store(engine.wasmtime_engine());
  ORIVON_RETURN_IF_ERROR(engine.apply_limits(store, limits));
  ORIVON_TRY(auto config, wasi::build_wasi_config(profile));
  auto set = store.context().set_wasi(std::move(config));
  if (!set) return Error(ErrorCode::Internal, "configuring WASI: " + set.err().message());
  return store;
}

}  // namespace orivon::runtime
