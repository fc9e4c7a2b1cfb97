#pragma once

/// \file
/// RuntimeOptions: what a client chooses once, when it creates a Runtime
/// (see runtime.h): fuel metering, the state directory, the capacity limits.

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "orivon/capacity.h"
#include "orivon/kv.h"

namespace orivon {

/// Whether the engine counts fuel. Counting costs a little on every call, so
/// it is chosen once per Runtime; ExecutionLimits::fuel requires it.
enum class FuelMetering { Off, On };

struct RuntimeOptions {
  FuelMetering fuel = FuelMetering::Off;
  /// Where the registry lives (created 0700 if missing). Empty: no registry;
  /// the registry methods then fail with FailedPrecondition.
  std::filesystem::path state_dir;
  /// How much of the machine live instances may fill (see capacity.h). An
  /// instance past a limit is refused with ResourceExhausted; a service so
  /// refused is crashed with that cause.
  CapacityOptions capacity;
  /// How key-value writes reach the disk (kv.db in the state directory).
  KvSync kv_sync = KvSync::Normal;
  /// Limits of private buckets and of named buckets created without their own.
  BucketLimits kv_limits;
  /// Durable events (see events.h): deliveries an event gets before it goes
  /// to the dead letters, and the wait before its first retry (doubled for
  /// each next one, at most a minute).
  std::uint32_t event_max_deliveries = 5;
  std::chrono::milliseconds event_retry_backoff{1000};
};

}  // namespace orivon
