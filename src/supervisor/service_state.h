#pragma once

// What the supervisor keeps per module, and the helpers its files share
// (supervisor.cc runs services, function_runs.cc runs functions). Private
// to the supervisor area.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/limits.h"
#include "core/mutex.h"
#include "core/strings.h"
#include "core/thread_annotations.h"
#include "engine/error_conversion.h"
#include "instance/live_instance.h"
#include "instance/instance_template.h"
#include "instance/proxy_template.h"
#include "orivon/module_info.h"
#include "orivon/service.h"
#include "supervisor/log_sink.h"
#include "supervisor/supervisor.h"

namespace orivon::supervisor {

// The messages a store's tick check stops a guest with. They reach people
// only: Wasmtime hands the guest's failure back as text, so the check also
// records why it stopped the guest (Service::tick_stop), and with_deadline
// tags the failure with that.
constexpr std::string_view kInterruptedToStop = "orivon: interrupted to stop the service";
constexpr std::string_view kDeadlineCause = "the call ran past its deadline";

// Why the store's tick check stopped the guest during the current run.
enum class TickStop : std::uint8_t { None, Stop, Deadline };

// Deadlines are checked once per epoch tick (10 ms), so a clock with a few
// milliseconds of resolution is enough, and it is several times cheaper to
// read on every call than the precise one.
inline std::int64_t now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// Failures that leave the instance in a state nobody can trust: the guest was
// stopped in the middle of something.
inline bool is_guest_failure(const Error& error) {
  return error.code() == ErrorCode::Trapped || error.code() == ErrorCode::DeadlineExceeded ||
         error.code() == ErrorCode::ResourceExhausted || error.code() == ErrorCode::Internal;
}

// A crash cause for humans, on one line and bounded: the trap's reason (or
// the failed call that trapped the guest) rather than "guest trapped". What
// the log's crash line, the service's state and a caller's error carry.
inline std::string crash_cause(const Error& error) {
  if (error.tag() == ErrorTag::CallDeadline) return std::string(kDeadlineCause);
  return elide_middle(engine::failure_reason(error.to_string()), limits::kMaxFailureTextBytes);
}

struct Supervisor::Service {
  explicit Service(ModuleId module_id) : id(std::move(module_id)), name(id.str()) {}
  ~Service() {
    // The supervisor joins command threads before it goes; a thread that
    // drops the last reference itself (a forgotten service) cannot join
    // itself, and is past everything that needs the service.
    if (!command_thread.joinable()) return;
    if (command_thread.get_id() == std::this_thread::get_id()) {
      command_thread.detach();
    } else {
      command_thread.join();
    }
  }

  const ModuleId id;
  const std::string name;  // id.str(), kept for the call chain

  Mutex mutex;
  CondVar changed;  // signalled on every state change
  ModuleState state ORIVON_GUARDED_BY(mutex) = ModuleState::Installed;
  std::string cause ORIVON_GUARDED_BY(mutex);
  ServiceSettings settings ORIVON_GUARDED_BY(mutex);
  bool client_settings ORIVON_GUARDED_BY(mutex) = false;
  std::deque<Task> mailbox ORIVON_GUARDED_BY(mutex);
  bool scheduled ORIVON_GUARDED_BY(mutex) = false;  // a drain job is posted
  bool busy ORIVON_GUARDED_BY(mutex) = false;       // a thread holds the store
  int waiters ORIVON_GUARDED_BY(mutex) = 0;         // threads waiting in acquire
  CondVar idle;                                     // signalled when busy clears
  std::atomic<std::uint64_t> owner{0};              // the holding thread's token (0: none)
  std::uint64_t generation ORIVON_GUARDED_BY(mutex) = 0;  // bumped at start/stop
  std::deque<Clock::time_point> restart_times ORIVON_GUARDED_BY(mutex);
  std::chrono::milliseconds backoff ORIVON_GUARDED_BY(mutex){0};
  Clock::time_point started_at ORIVON_GUARDED_BY(mutex){};

  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> traps{0};
  std::atomic<std::uint64_t> restarts{0};
  std::atomic<std::uint64_t> denied{0};
  // Calls the module made through typed forwarders; added to by the threads
  // of every store it runs in (its own, or a caller's for a library).
  std::atomic<std::uint64_t> typed_calls{0};
  std::atomic<std::uint64_t> memory_bytes{0};
  // How long calls ran (CallDurations' buckets). A service's are written only
  // by the thread holding the store; a function's by concurrent invocations,
  // which add with fetch_add.
  std::array<std::atomic<std::uint64_t>, CallDurations::kBuckets> call_duration_counts{};
  std::atomic<std::uint64_t> call_duration_total_us{0};

  // Read by the store's tick check on the worker, written by anyone.
  std::atomic<bool> interrupt{false};
  std::atomic<std::int64_t> deadline_ns{std::numeric_limits<std::int64_t>::max()};
  // Set when a stop is asked, cleared at each start: what the guest sees
  // through orivon:lifecycle (the store's context points here).
  std::atomic<bool> stop_requested{false};
  // A command service: its `_start` runs on command_thread, which holds the
  // store for the instance's whole life (so it takes no calls).
  std::atomic<bool> command{false};

  // Only touched by the thread that holds the store (`busy`); the store's
  // tick check runs on that thread too.
  std::optional<instance::LiveInstance> live;
  TickStop tick_stop = TickStop::None;  // set by the tick check, read by with_deadline
  bool daemon = false;
  std::thread command_thread;  // started and joined by store holders

  std::unique_ptr<LogSink> logs;

  // Whether the module is a function (its manifest has [function]): read
  // from the manifest once, or known when it started as a service. An
  // update or removal forgets the whole Service, so this never goes stale.
  enum class Role : std::uint8_t { Unknown, Service, Function };
  Role role ORIVON_GUARDED_BY(mutex) = Role::Unknown;
  FunctionSettings function ORIVON_GUARDED_BY(mutex);
  std::atomic<std::uint64_t> invocations{0};  // a function's fresh instances alive now
  // An HTTP function's template, made on its first request and again when
  // its outbound HTTP grants change (the rest of its grants go into each
  // request's store).
  std::shared_ptr<const instance::ProxyTemplate> http_template ORIVON_GUARDED_BY(mutex);
  std::vector<std::string> http_template_origins ORIVON_GUARDED_BY(mutex);
  // The same for calls, events and timers (instance_template.h).
  std::shared_ptr<const instance::InstanceTemplate> call_template ORIVON_GUARDED_BY(mutex);
  std::vector<std::string> call_template_origins ORIVON_GUARDED_BY(mutex);
  // The recipe every invocation of a function uses (program and grants),
  // read once per grant
  // decision rather than once per request: the registry's
  // decisions_version() it was read at.
  std::shared_ptr<const Recipe> function_recipe ORIVON_GUARDED_BY(mutex);
  std::uint64_t function_recipe_version ORIVON_GUARDED_BY(mutex) = 0;
};

}  // namespace orivon::supervisor
