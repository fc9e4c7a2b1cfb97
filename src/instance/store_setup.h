#pragma once

#include <wasmtime.hh>

#include "engine/engine.h"
#include "orivon/limits.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"
#include "instance/live_instance.h"

namespace orivon::instance {

// A fresh store for one instance: limits applied, WASI configured from the
// profile, and the hooks (output capture, per-tick check) installed. The
// store is used by one thread at a time.
Result<wasmtime::Store> make_store(engine::Engine& engine, const WasiProfile& profile,
                                   const ExecutionLimits& limits, const StoreHooks& hooks);

}  // namespace orivon::instance
