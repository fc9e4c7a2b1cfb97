#include "instance/store_setup.h"

#include <memory>
#include <string>

#include "engine/host_interface.h"
#include "wasi/wasi_config_builder.h"

namespace orivon::instance {
namespace {

// What a custom WASI output stream carries to the C callback.
struct OutputTarget {
  std::function<void(bool, std::string_view)> output;
  bool is_stderr;
};

ptrdiff_t write_output(void* data, const unsigned char* bytes, size_t length) noexcept {
  auto* target = static_cast<OutputTarget*>(data);
  try {
    target->output(target->is_stderr,
                   std::string_view(reinterpret_cast<const char*>(bytes), length));
  } catch (...) {
    // Losing output must not unwind into Wasmtime; the bytes count as written.
  }
  return static_cast<ptrdiff_t>(length);
}

void delete_output(void* data) noexcept { delete static_cast<OutputTarget*>(data); }

}  // namespace

Result<wasmtime::Store> make_store(engine::Engine& engine, const WasiProfile& profile,
                                   const ExecutionLimits& limits, const StoreHooks& hooks) {
  wasmtime::Store store(engine.wasmtime_engine());
  ORIVON_RETURN_IF_ERROR(engine.apply_limits(store, limits));
  ORIVON_TRY(auto config, wasi::build_wasi_config(profile));
  if (hooks.output) {
    for (bool is_stderr : {false, true}) {
      auto* target = new OutputTarget{hooks.output, is_stderr};
      auto set = is_stderr ? wasi_config_set_stderr_custom : wasi_config_set_stdout_custom;
      set(config.capi(), write_output, target, delete_output);
    }
  }
  auto set = store.context().set_wasi(std::move(config));
  if (!set) return Error(ErrorCode::Internal, "configuring WASI: " + set.err().message());

  auto context = std::make_shared<engine::StoreContext>(hooks.module);
  if (profile.network != Network::Denied) context->set_network(profile.network, profile.net_rules);
  context->set_stop_flag(hooks.stop_requested);
  engine::set_store_context(store.context(), std::move(context));

  if (hooks.on_tick) {
    // Checked at every tick while the guest runs: the hook decides (a
    // per-call deadline, a stop request) for this store alone.
    store.epoch_deadline_callback(
        [on_tick = hooks.on_tick](wasmtime::Store::Context, std::uint64_t& delta) noexcept
        -> wasmtime::Result<wasmtime::DeadlineKind> {
          try {
            auto verdict = on_tick();
            if (!verdict) return wasmtime::Error(verdict.error().message());
          } catch (...) {
            return wasmtime::Error("orivon: the tick check failed");
          }
          delta = 1;
          return wasmtime::DeadlineKind::Continue;
        });
    store.context().set_epoch_deadline(1);
  }
  return store;
}

}  // namespace orivon::instance
