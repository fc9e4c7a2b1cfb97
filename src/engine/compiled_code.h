#pragma once

// Compiled code on disk: Wasmtime's serialized form of a module or
// component, so a restart does not recompile. Only ever read back from
// orivon's own private cache directory: deserializing runs no validation of
// the machine code, so such files are as trusted as the orivon binary.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <wasmtime.hh>

#include "engine/program_data.h"
#include "orivon/program.h"
#include "orivon/result.h"

namespace orivon::engine {

Result<std::vector<std::uint8_t>> serialize_program(const internal::ProgramData& program);

// Fails (and the caller recompiles) if the file is missing, damaged, or was
// written by an engine with another version or configuration.
Result<Program> deserialize_program_file(wasmtime::Engine& engine, const std::filesystem::path& path,
                                         ProgramKind kind, const std::string& name,
                                         std::uint64_t size_bytes);

// The same program on another engine whose compilation settings are the
// same (Engine::ensure_function_engine): its compiled code serialized and
// read back, never compiled again. Wasmtime checks the settings that shape
// code (memory reservation and guards, features, copy-on-write images) and
// refuses a mismatch; an engine with a pooling allocator also refuses a
// program that does not fit its slots. Either is FailedPrecondition.
Result<Program> program_for_engine(wasmtime::Engine& engine, const internal::ProgramData& program);

}  // namespace orivon::engine
