#pragma once

#include <wasmtime.hh>

#include "engine/engine.h"
#include "orivon/limits.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon::runtime {

// A fresh store for one run or call: limits applied and WASI configured from
// the profile. The store is used by one thread at a time.
Result<wasmtime::Store> make_store(engine::Engine& engine, const WasiProfile& profile,
                                   const ExecutionLimits& limits);

}  // namespace orivon::runtime
