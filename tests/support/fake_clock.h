#pragma once

// A Clock (core/clock.h) that moves only when the test moves it, so a test
// of restart backoff, daemon ticks or grace periods waits for nothing: it
// sees the runtime wait on the clock, checks until when, and advances.
//
// Header-only: unit tests include it with the library's private headers.

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"

namespace orivon::testing {

// Thread-safe. Must outlive whatever waits on it.
class FakeClock final : public Clock {
 public:
  FakeClock() = default;
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  time_point now() const override {
    MutexLock lock(mutex_);
    return now_;
  }

  void wait_until(CondVar& cv, Mutex& mutex, time_point deadline) override
      ORIVON_REQUIRES(mutex) {
    {
      MutexLock lock(mutex_);
      if (now_ >= deadline) return;
      waiters_.push_back(Waiter{&cv, deadline});
      registered_.notify_all();
    }
    // advance() notifies `cv` without holding `mutex`, so a notification
    // sent between the check above and this wait is lost; the short real
    // wait bounds what that costs (a spurious return, which callers expect).
    (void)cv.wait_until(mutex, std::chrono::steady_clock::now() + kRecheck);
    MutexLock lock(mutex_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), Waiter{&cv, deadline}));
  }

  // Moves the time forward and wakes every waiter to look at it.
  void advance(duration step) {
    MutexLock lock(mutex_);
    now_ += step;
    // Under mutex_: a waiter leaves the list (under it too) before its
    // condition variable can go away.
    for (const Waiter& waiter : waiters_) waiter.cv->notify_all();
  }

  // Waits (real time, at most `limit`) until some thread waits on this clock
  // for exactly `deadline`: the runtime has scheduled something for then.
  // False if none did in time.
  bool wait_for_waiter(time_point deadline,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    MutexLock lock(mutex_);
    while (!has_waiter_locked(deadline)) {
      if (!registered_.wait_until(mutex_, give_up) && !has_waiter_locked(deadline)) return false;
    }
    return true;
  }

  // Whether any thread waits on this clock now (until any time).
  bool has_waiters() const {
    MutexLock lock(mutex_);
    return !waiters_.empty();
  }

 private:
  struct Waiter {
    CondVar* cv;
    time_point deadline;
    bool operator==(const Waiter&) const = default;
  };

  static constexpr std::chrono::milliseconds kRecheck{5};

  bool has_waiter_locked(time_point deadline) const ORIVON_REQUIRES(mutex_) {
    return std::any_of(waiters_.begin(), waiters_.end(),
                       [&](const Waiter& waiter) { return waiter.deadline == deadline; });
  }

  mutable Mutex mutex_;
  CondVar registered_;  // notified whenever a waiter joins waiters_
  // Far from zero, so that subtracting a window from it stays a valid time.
  time_point now_ ORIVON_GUARDED_BY(mutex_) = time_point(std::chrono::hours(24 * 365));
  std::vector<Waiter> waiters_ ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::testing
