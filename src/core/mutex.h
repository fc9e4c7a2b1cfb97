#pragma once

// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with
// clang's thread-safety annotations (core/thread_annotations.h), so that
// members marked ORIVON_GUARDED_BY(mutex_) are checked by -Wthread-safety.
// libstdc++'s std::mutex carries no annotations; this is the usual thin
// wrapper (LevelDB's port::Mutex, absl::Mutex).
//
// Waiting is written as a loop in the caller, with the guarded state read
// where the analysis can see the lock held:
//
//   MutexLock lock(mutex_);
//   while (!ready_) changed_.wait(mutex_);
//
// (A predicate lambda would be analysed as a function of its own that holds
// no lock.)

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/thread_annotations.h"

namespace orivon {

class CondVar;

// A non-recursive mutex. Thread-safe; neither copyable nor movable.
class ORIVON_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ORIVON_ACQUIRE() { mutex_.lock(); }
  void unlock() ORIVON_RELEASE() { mutex_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mutex_;
};

// Holds a Mutex for its scope (std::lock_guard, annotated).
class ORIVON_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ORIVON_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() ORIVON_RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

// A condition variable used with a Mutex. Thread-safe. Every wait may return
// spuriously: callers loop on their condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mutex` while blocked until notified; holds it again on return.
  void wait(Mutex& mutex) ORIVON_REQUIRES(mutex) {
    std::unique_lock<std::mutex> lock(mutex.mutex_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller's lock again
  }
  // As wait(), giving up at `deadline` on the steady clock: false if it
  // returned because the deadline passed.
  bool wait_until(Mutex& mutex, std::chrono::steady_clock::time_point deadline)
      ORIVON_REQUIRES(mutex) {
    std::unique_lock<std::mutex> lock(mutex.mutex_, std::adopt_lock);
    const std::cv_status status = cv_.wait_until(lock, deadline);
    lock.release();
    return status == std::cv_status::no_timeout;
  }

  void notify_one() noexcept { cv_.notify_one(); }
  void notify_all() noexcept { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace orivon
