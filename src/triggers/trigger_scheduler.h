#pragma once

// Runs the installed modules' timer and start-up triggers in a host.
//
// A timer calls one export of its module every period (`every = "10s"`) or
// on a cron schedule, read as UTC (`cron = "*/5 * * * *"`); a start-up
// trigger calls one once each time a host starts its triggers. A service's
// export runs on its running instance (not running: the run is skipped); a
// function's in a fresh instance of its own (see Supervisor::is_function).
//
// Runs of one timer never overlap: one due while the last still runs is
// skipped and counted. When a timer is due next is stored (trigger_runs in
// state.db) before its run starts, so a host that restarts does not run it
// twice; runs that fell due while no host ran are skipped and counted, or
// made up by one run at start when the trigger says `catch-up = "once"`.
//
// Thread-safe. Waits follow `clock` (a test's FakeClock moves them); run
// times, cron schedules and stored times follow the wall clock.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/ids.h"
#include "orivon/result.h"
#include "orivon/triggers.h"
#include "registry/module_registry.h"
#include "supervisor/supervisor.h"
#include "supervisor/worker_pool.h"

namespace orivon::triggers {

// Unix time in milliseconds.
using WallClock = std::function<std::int64_t()>;
std::int64_t system_wall_ms();

// The installed modules' triggers (of `only`, when set) with the records a
// host left in the state directory: what `orivon triggers` shows when no
// host runs. NotFound for an unknown `only`.
Result<std::vector<TriggerInfo>> stored_triggers(registry::ModuleRegistry& registry,
                                                 const std::optional<ModuleId>& only);

class TriggerScheduler {
 public:
  // `supervisor` and `registry` must outlive the scheduler, and so must
  // `clock`.
  TriggerScheduler(supervisor::Supervisor& supervisor, registry::ModuleRegistry& registry,
                   Clock& clock = real_clock(), WallClock wall = system_wall_ms);
  // Stops scheduling and waits for the runs in progress.
  ~TriggerScheduler();
  TriggerScheduler(const TriggerScheduler&) = delete;
  TriggerScheduler& operator=(const TriggerScheduler&) = delete;

  // Reads every installed module's triggers, runs the start-up ones and
  // schedules the timers. Once per host start; a second call does nothing.
  Result<void> start();
  // `id` was installed, updated or removed: its timers are read again (a
  // removed module's are dropped). Start-up triggers run only at start().
  // Before start(): nothing.
  void reload(const ModuleId& id);
  // No run starts after this; runs in progress finish.
  void stop();

  // The triggers known now with their records; of one module when `only`
  // is set.
  std::vector<TriggerInfo> status(const std::optional<ModuleId>& only);

  // Waits (real time, at most `limit`) until no run is in progress; false
  // if one still is. For tests and shutdown.
  bool wait_idle(std::chrono::milliseconds limit);

 private:
  struct Entry;

  // The entries of one module's triggers, with their stored records
  // (a missed timer's next run decided here).
  Result<std::vector<std::shared_ptr<Entry>>> entries_for(const ModuleId& id,
                                                          const Manifest& manifest,
                                                          bool is_function);
  void loop() noexcept;
  // Handles every entry due at `now`; returns nothing.
  void fire_due_locked(std::int64_t now) ORIVON_REQUIRES(mutex_);
  void launch_locked(const std::shared_ptr<Entry>& entry, std::int64_t now)
      ORIVON_REQUIRES(mutex_);
  void finish(const std::shared_ptr<Entry>& entry, const Result<void>& outcome);
  void save_locked(const Entry& entry) ORIVON_REQUIRES(mutex_);

  supervisor::Supervisor& supervisor_;
  registry::ModuleRegistry& registry_;
  Clock& clock_;
  const WallClock wall_;

  Mutex mutex_;
  CondVar wake_;
  CondVar idle_;
  std::vector<std::shared_ptr<Entry>> entries_ ORIVON_GUARDED_BY(mutex_);
  bool started_ ORIVON_GUARDED_BY(mutex_) = false;
  bool stopping_ ORIVON_GUARDED_BY(mutex_) = false;
  int in_flight_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::thread thread_;
  // Declared last: destroyed first, finishing the runs in progress while the
  // rest still exists.
  supervisor::WorkerPool pool_;
};

}  // namespace orivon::triggers
