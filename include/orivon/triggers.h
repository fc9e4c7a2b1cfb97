#pragma once

/// \file
/// What a module's triggers are doing (`orivon triggers`): the timers and
/// start-up triggers a host runs, and the event triggers it subscribed.

#include <cstdint>
#include <optional>
#include <string>

#include "orivon/ids.h"
#include "orivon/manifest.h"

namespace orivon {

struct TriggerInfo {
  explicit TriggerInfo(ModuleId module_id) : module(std::move(module_id)) {}

  ModuleId module;
  Trigger trigger;
  /// Whether the module is a function (each run in a fresh instance) rather
  /// than a service (runs call its running instance).
  bool function = false;
  /// Timers: when the next run is due, Unix time in milliseconds; nothing
  /// when no run is scheduled (no host runs, or a cron day that never comes).
  std::optional<std::int64_t> next_run_ms;
  std::optional<std::int64_t> last_run_ms;  ///< Unix ms of the last run's start
  /// "ok", "error: ...", "skipped: ...", or empty before the first run.
  std::string last_result;
  std::uint64_t runs = 0;      ///< runs that reached the module
  std::uint64_t failures = 0;  ///< of those, the ones that failed
  /// Runs not made: still running from the last time (no overlap), the
  /// service not running, the function at its instance cap, or missed
  /// while no host ran.
  std::uint64_t skipped = 0;
};

}  // namespace orivon
