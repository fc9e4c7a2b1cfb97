#pragma once

// The time the runtime schedules by: when a restart or the next tick of a
// daemon is due, how many restarts fell within the budget window, when a
// stop's grace period ends, how long a service has been up. It is a seam
// (STYLE.md rule 20): the runtime runs on the steady clock, and tests inject a
// FakeClock (tests/support/fake_clock.h) that they move by hand, so they wait
// for what they test instead of sleeping.
//
// Not on it: guest execution deadlines. The engine's epoch ticker enforces
// them on real time (a guest spins on a real CPU), so waits bounded by a
// guest's deadline (a start, a call queued behind another, a guest told to
// stop) use the steady clock directly.

#include <chrono>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace orivon {

// Steady time and timed waits on it. Implementations are thread-safe.
class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // The current time; never goes backwards.
  virtual time_point now() const = 0;
  // Waits on `cv`, with `mutex` released meanwhile, until `cv` is notified or
  // now() reaches `deadline`; `mutex` is held on entry and on return. May
  // also return spuriously: callers loop on their condition and on
  // now() < deadline.
  virtual void wait_until(CondVar& cv, Mutex& mutex, time_point deadline)
      ORIVON_REQUIRES(mutex) = 0;
};

// std::chrono::steady_clock behind the Clock interface. Stateless.
class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  void wait_until(CondVar& cv, Mutex& mutex, time_point deadline) override
      ORIVON_REQUIRES(mutex) {
    (void)cv.wait_until(mutex, deadline);
  }
};

// The process's SteadyClock: what every clock parameter defaults to.
inline Clock& real_clock() {
  static SteadyClock clock;  // stateless, so sharing it is safe
  return clock;
}

}  // namespace orivon
