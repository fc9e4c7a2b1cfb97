#pragma once

// Where a function module's instances come from: the function engine's pool
// (Engine::ensure_function_engine) when the program can live there, else the
// on-demand engine. Shared by the HTTP and the call templates.

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "engine/engine.h"
#include "engine/program_data.h"
#include "orivon/result.h"

namespace orivon::instance {

// The function engine and the program moved onto it (compiled code reused,
// not recompiled), or FailedPrecondition whose message says why the program
// stays on `engine`: it imports other modules (their libraries' code lives on
// `engine`), `max_memory_bytes` is above a slot, the pool cannot be
// reserved, or the program does not fit the pool's limits.
Result<std::pair<engine::Engine*, std::shared_ptr<const internal::ProgramData>>>
place_on_function_engine(engine::Engine& engine,
                         const std::shared_ptr<const internal::ProgramData>& program,
                         std::uint64_t max_memory_bytes);

// ResourceExhausted for an invocation refused because every pooled slot is
// in use. Its message names "capacity", as the engine's admission refusals
// do, so callers answer both as busy (503 over HTTP).
Error pool_exhausted_error();

// pool_exhausted_error() when `error` is a pooling allocator's refusal because
// every slot is in use (told by the error's type); else nothing. `error`
// stays valid.
std::optional<Error> pool_refusal(wasmtime::Error& error);

}  // namespace orivon::instance
