#pragma once

// Runs and calls components: `wasi:cli/run` commands and typed exports.

#include "engine/engine.h"
#include "engine/program_data.h"
#include "orivon/runtime.h"
#include "values/call_expression.h"

namespace orivon::runtime {

Result<RunOutcome> run_component_command(engine::Engine& engine,
                                         const internal::ProgramData& program,
                                         const WasiProfile& profile, const ExecutionLimits& limits);

Result<InvokeOutcome> invoke_component(engine::Engine& engine,
                                       const internal::ProgramData& program,
                                       const values::CallExpression& call,
                                       const WasiProfile& profile, const ExecutionLimits& limits);

}  // namespace orivon::runtime
