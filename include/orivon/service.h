#pragma once

/// \file
/// Services: installed modules running in the host. Each running service
/// owns one instance in its own store; a worker pool drives all services, one
/// call at a time per service, so no module can block another beyond holding
/// one worker.
///
/// Two shapes:
///  - a *reactor service* exports functions that clients and other modules
///    call;
///  - a *daemon* also exports `tick` (core: `() -> i32`, component:
///    `func() -> u32`): the runtime calls it as the service's main loop, and
///    it returns the milliseconds until it wants the next tick. Calls from
///    clients run between ticks, so a daemon answers queries while it lives.
///    (A main loop that never returns cannot be queried: a store runs one
///    call at a time and a component instance cannot be re-entered.)

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "orivon/export.h"
#include "orivon/ids.h"
#include "orivon/manifest.h"
#include "orivon/module_info.h"
#include "orivon/result.h"

namespace orivon {

struct ServiceSettings;

/// The settings a manifest's [service] table asks for, on top of the
/// defaults. InvalidArgument if a value does not parse (parse_manifest has
/// already checked them, so only a hand-built Manifest can fail).
[[nodiscard]] ORIVON_API Result<ServiceSettings> service_settings_from(const Manifest& manifest);

/// What happens after a service crashes (traps, runs out of memory or time,
/// or fails on the host side).
enum class RestartPolicy {
  Never,      ///< stays crashed
  OnFailure,  ///< restarted after a crash, with backoff, within the budget
  Always,     ///< restarted after a crash and after it stops by itself
};

struct RestartSettings {
  RestartPolicy policy = RestartPolicy::OnFailure;
  /// Delay before the first restart; doubled after each restart up to
  /// max_backoff, reset once the service has run for a whole budget window.
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  /// At most `budget` restarts within `budget_window`; one more crash and
  /// the service stays crashed ("restart budget exhausted").
  int budget = 5;
  std::chrono::milliseconds budget_window{60'000};
};

/// Per-service settings. Defaults are in src/core/limits.h.
struct ServiceSettings {
  RestartSettings restart;
  /// How long a stop waits for the service's current call and its `stop`
  /// export before interrupting it.
  std::chrono::milliseconds stop_grace{2'000};
  /// Longest a single call (or tick) may run; past it the service is
  /// interrupted and counts as crashed (its state is no longer trustworthy).
  std::chrono::milliseconds call_deadline{30'000};
  /// Upper bound on each linear memory of the service.
  std::uint64_t max_memory_bytes = 256ull << 20;
};

/// A change of a service's state, delivered to listeners after it happened.
struct StateChange {
  ModuleId id;
  ModuleState from;
  ModuleState to;
  std::string cause;  ///< for Crashed: the reason
};

using StateListener = std::function<void(const StateChange&)>;

/// What stopping every service at once did (Runtime::shut_down()). At a
/// host's shutdown a service's log gets notes only when its `stop` export
/// ran or failed; the rest are counted here, in one line for the host's
/// output, instead of two notes in every service's log.
struct ShutdownSummary {
  std::uint64_t services = 0;       ///< services asked to stop (running or starting)
  std::uint64_t stop_exports = 0;   ///< of them, those whose `stop` export returned
  std::uint64_t stop_failures = 0;  ///< those whose `stop` export failed (trap, error, grace over)
  std::uint64_t interrupted = 0;    ///< still busy when the grace period ended: interrupted
  std::chrono::milliseconds took{0};  ///< from the first stop asked to the last service stopped
};

/// One line of a service's output or of the runtime's notes about it.
struct LogEntry {
  std::uint64_t sequence = 0;  ///< increasing per service, never reused
  std::int64_t time_ms = 0;    ///< Unix time in milliseconds
  std::string stream;          ///< "out", "err" or "orivon"
  std::string text;
};

}  // namespace orivon
