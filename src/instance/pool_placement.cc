#include "instance/pool_placement.h"

#include <string>

#include "engine/compiled_code.h"
#include "wasi/wasi_extensions.h"

namespace orivon::instance {

Result<std::pair<engine::Engine*, std::shared_ptr<const internal::ProgramData>>>
place_on_function_engine(engine::Engine& engine,
                         const std::shared_ptr<const internal::ProgramData>& program,
                         std::uint64_t max_memory_bytes) {
  const std::string who = "'" + program->name + "' runs on the on-demand engine, not pooled: ";
  if (program->imports_modules) {
    return Error(ErrorCode::FailedPrecondition,
                 who + "it imports other modules' functions, linked per instance");
  }
  if (max_memory_bytes > engine::Engine::pool_max_memory_bytes()) {
    return Error(ErrorCode::FailedPrecondition,
                 who + "its [function] max-memory (" + std::to_string(max_memory_bytes) +
                     " bytes) is above a pooled slot's " +
                     std::to_string(engine::Engine::pool_max_memory_bytes()));
  }
  auto pooled = engine.ensure_function_engine();
  if (!pooled) return Error(ErrorCode::FailedPrecondition, who + pooled.error().message());
  auto moved = engine::program_for_engine((*pooled)->wasmtime_engine(), *program);
  if (!moved) return Error(ErrorCode::FailedPrecondition, who + moved.error().message());
  return std::make_pair(*pooled, moved->shared_data());
}

Error pool_exhausted_error() {
  return Error(ErrorCode::ResourceExhausted,
               "the host is at capacity: every pooled slot for function instances is in use "
               "(RuntimeOptions::function_pool_slots); try again later");
}

std::optional<Error> pool_refusal(wasmtime::Error& error) {
  wasmtime_error_t* raw = error.capi_release();
  const bool busy = orivon_error_is_pool_exhausted(&raw);
  error = wasmtime::Error(raw);
  if (busy) return pool_exhausted_error();
  return std::nullopt;
}

}  // namespace orivon::instance
