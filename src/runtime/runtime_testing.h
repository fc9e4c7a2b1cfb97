#pragma once

// What tests may do to a Runtime that clients may not: choose the clock its
// services schedule by (core/clock.h). Not part of the public API; the unit
// tests see it because they build with the library's private headers.

#include <memory>

#include "core/clock.h"
#include "orivon/result.h"
#include "orivon/runtime.h"

namespace orivon::internal {

class RuntimeTesting {
 public:
  // Runtime::create, but with restart backoff and budgets, daemon tick
  // delays, stop grace periods and uptimes following `clock`, which must
  // outlive the runtime (a FakeClock, tests/support/fake_clock.h).
  static Result<std::unique_ptr<Runtime>> create_for_testing(const RuntimeOptions& options,
                                                             Clock& clock);
};

}  // namespace orivon::internal
