#pragma once

/// \file
/// What running a command or calling an export returns (Runtime::run,
/// Runtime::invoke, Runtime::call with text arguments).

#include <optional>
#include <string>
#include <vector>

#include "orivon/value.h"

namespace orivon {

/// The result of running a command to completion.
struct RunOutcome {
  /// The guest's exit status: what it passed to exit(), or 0 when main
  /// returned normally. A WASI 0.2 component can only report 0 or 1.
  int exit_code = 0;
};

/// The result of calling one export.
struct InvokeOutcome {
  /// The results as text: WAVE for components, space-separated numbers for
  /// core modules; empty when the function returns nothing.
  std::string results;
  /// Set when the guest called exit() instead of returning; `results` is
  /// empty then.
  std::optional<int> exit_code;
  /// The same results as values (what `results` formats), for a caller that
  /// reads them instead of text (`orivon call --json`).
  std::vector<Value> values;
};

}  // namespace orivon
