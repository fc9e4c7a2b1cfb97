#include "supervisor/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "core/mutex.h"
#include "support/fake_clock.h"
#include "support/wait.h"

namespace orivon::supervisor {
namespace {

using namespace std::chrono_literals;
using orivon::testing::eventually;
using orivon::testing::FakeClock;

TEST(TimerQueue, RunsAJobWhenItsClockReachesItsTimeAndNotBefore) {
  FakeClock clock;
  TimerQueue timers(clock);
  const auto start = clock.now();
  std::atomic<bool> early{false}, late{false};
  timers.schedule(start + 10ms, [&] { late = true; });
  timers.schedule(start + 9ms, [&] { early = true; });
  ASSERT_TRUE(clock.wait_for_waiter(start + 9ms));  // the earlier job's time
  clock.advance(9ms);
  ASSERT_TRUE(eventually([&] { return early.load(); }));
  // Having run the due job, the queue waits again, now until the other's
  // time: 1 ms short of it, that job has not run.
  ASSERT_TRUE(clock.wait_for_waiter(start + 10ms));
  EXPECT_FALSE(late);
  clock.advance(1ms);
  EXPECT_TRUE(eventually([&] { return late.load(); }));
}

TEST(TimerQueue, RunsDueJobsInTheOrderOfTheirTimes) {
  FakeClock clock;
  TimerQueue timers(clock);
  Mutex mutex;
  std::vector<int> order;
  const auto record = [&](int job) {
    return [&, job] {
      MutexLock lock(mutex);
      order.push_back(job);
    };
  };
  const auto start = clock.now();
  timers.schedule(start + 30ms, record(3));
  timers.schedule(start + 10ms, record(1));
  timers.schedule(start + 20ms, record(2));
  ASSERT_TRUE(clock.wait_for_waiter(start + 10ms));  // the earliest first
  clock.advance(1h);
  EXPECT_TRUE(eventually([&] {
    MutexLock lock(mutex);
    return order.size() == 3;
  }));
  MutexLock lock(mutex);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace orivon::supervisor
