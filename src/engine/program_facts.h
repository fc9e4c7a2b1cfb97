#pragma once

// Facts about a compiled program that every instance would otherwise
// recompute: whether it imports other modules, and a component's function
// exports. Filled in once, when the program is loaded.

#include <wasmtime.hh>

#include "engine/program_data.h"

namespace orivon::engine {

void record_program_facts(wasmtime::Engine& engine, internal::ProgramData& program);

}  // namespace orivon::engine
