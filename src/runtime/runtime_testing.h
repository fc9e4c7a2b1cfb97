#pragma once

// What tests may do to a Runtime that clients may not: choose the clock its
// services schedule by (core/clock.h). Not part of the public API; the unit
// tests see it because they build with the library's private headers.

#include <cstdint>
#include <functional>
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
  // Makes the runtime's triggers read Unix time in milliseconds from
  // `wall` (cron schedules, stored run times). Before start_triggers().
  static void set_wall_clock(Runtime& runtime, std::function<std::int64_t()> wall);
};

}  // namespace orivon::internal
