#pragma once

// A fixed set of worker threads running posted jobs in FIFO order, and a
// timer thread that posts jobs later. Services are actors on top of this:
// each service has a mailbox and is on the pool at most once at a time.

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace orivon::supervisor {

// Thread-safe. Jobs must not throw (they are noexcept boundaries). The
// destructor finishes the jobs that are running and drops the queued ones.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> job);
  std::size_t size() const { return threads_.size(); }

 private:
  void work() noexcept;

  Mutex mutex_;
  CondVar wake_;
  std::deque<std::function<void()>> jobs_ ORIVON_GUARDED_BY(mutex_);
  bool stopping_ ORIVON_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

// Runs jobs at (or just after) their time by `clock` on one thread; jobs
// should only post work elsewhere. Thread-safe; pending jobs are dropped on
// destruction.
class TimerQueue {
 public:
  // `clock` must outlive the queue.
  explicit TimerQueue(Clock& clock);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  void schedule(Clock::time_point when, std::function<void()> job);

 private:
  void run() noexcept;

  Clock& clock_;
  Mutex mutex_;
  CondVar wake_;
  std::multimap<Clock::time_point, std::function<void()>> jobs_ ORIVON_GUARDED_BY(mutex_);
  bool stopping_ ORIVON_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace orivon::supervisor
