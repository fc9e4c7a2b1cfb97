#include "supervisor/worker_pool.h"

#include <cstdio>
#include <cstdlib>

namespace orivon::supervisor {
namespace {

// A job that throws is a bug in orivon (jobs catch their own errors); a
// worker that dies would silently stall services, so fail loudly instead.
[[noreturn]] void die(const char* what) noexcept {
  std::fprintf(stderr, "orivon: %s threw; aborting\n", what);
  std::abort();
}

}  // namespace

WorkerPool::WorkerPool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::post(std::function<void()> job) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void WorkerPool::work() noexcept {
  while (true) {
    std::function<void()> job;
    {
      MutexLock lock(mutex_);
      while (!stopping_ && jobs_.empty()) wake_.wait(mutex_);
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (...) {
      die("a worker job");
    }
  }
}

TimerQueue::TimerQueue(Clock& clock) : clock_(clock), thread_([this] { run(); }) {}

TimerQueue::~TimerQueue() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  thread_.join();
}

void TimerQueue::schedule(Clock::time_point when, std::function<void()> job) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    jobs_.emplace(when, std::move(job));
  }
  wake_.notify_all();
}

void TimerQueue::run() noexcept {
  mutex_.lock();
  while (!stopping_) {
    if (jobs_.empty()) {
      wake_.wait(mutex_);
      continue;
    }
    auto first = jobs_.begin();
    if (first->first > clock_.now()) {
      // A copy: wait_until reads the time point while the lock is released,
      // when the destructor may clear the map under it.
      const auto when = first->first;
      clock_.wait_until(wake_, mutex_, when);
      continue;
    }
    auto job = std::move(first->second);
    jobs_.erase(first);
    mutex_.unlock();
    try {
      job();
    } catch (...) {
      die("a timer job");
    }
    mutex_.lock();
  }
  mutex_.unlock();
}

}  // namespace orivon::supervisor
