#pragma once

// The text edge of calls. A call written as `name(arguments)` (the CLI, the
// control socket, Runtime::invoke) is parsed here, once, against the
// function's types read from the compiled program, into the typed values
// every call carries inside the runtime; the results are formatted back as
// text here too. Nothing below the facade sees call text.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>

#include "engine/function_type.h"
#include "engine/program_data.h"
#include "orivon/result.h"
#include "orivon/value.h"
#include "values/call_expression.h"

namespace orivon::runtime {

struct TypedCall {
  std::shared_ptr<const engine::FunctionType> function;  // function->name: the qualified name
  std::vector<Value> args;
};

// Resolves `call.name` in `program` and parses `call.arguments` against its
// parameters: WAVE for components, numbers for core modules. Errors as for
// engine::function_type; a bad argument is InvalidArgument, "calling 'f': ...".
Result<TypedCall> parse_text_call(wasmtime::Engine& engine, const internal::ProgramData& program,
                                  const values::CallExpression& call);

// Results as text: the WAVE of the one result for a component, numbers
// separated by spaces for a core module; empty for none.
std::string format_results(ProgramKind kind, std::span<const Value> results);

// Checks typed arguments against a component function's parameter types, as
// a call would (kinds must match exactly), without calling it: a group
// checks a client's call against its own types before a member serves it.
// `called_as` is the name the caller used, for messages.
Result<void> check_arguments(const engine::FunctionType& function, std::string_view called_as,
                             std::span<const Value> args);

}  // namespace orivon::runtime
