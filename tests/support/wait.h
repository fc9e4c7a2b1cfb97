#pragma once

// Waiting for a condition in a test, instead of sleeping for a fixed time and
// hoping it holds by then.

#include <chrono>
#include <thread>

namespace orivon::testing {

// Checks `done` until it returns true (then true) or until `limit` of real
// time has passed (then false). The limit is generous because it only costs
// time when the test is failing anyway: a loaded machine, or ASan, may take
// much longer than usual to get there.
template <typename Done>
bool eventually(Done&& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace orivon::testing
