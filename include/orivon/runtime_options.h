#pragma once

/// \file
/// RuntimeOptions: what a client chooses once, when it creates a Runtime
/// (see runtime.h): fuel metering, the state directory, the capacity limits.

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "orivon/capacity.h"
#include "orivon/cluster.h"
#include "orivon/kv.h"

namespace orivon {

/// Whether the engine counts fuel. Counting costs a little on every call, so
/// it is chosen once per Runtime; ExecutionLimits::fuel requires it.
enum class FuelMetering { Off, On };

/// How calls between modules carry their values. `Typed` (the default) passes strings and
/// `list<u8>`s of the shapes the README lists in one bulk copy each, through Wasmtime's typed
/// API; every other function, and every function under `Generic`, goes value by value
/// through Wasmtime's generic values. Both give the same results and errors; `Generic` is
/// there to compare them (the environment variable `ORIVON_CALL_PATH=generic` forces it).
enum class CallPath { Typed, Generic };

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
  /// See CallPath.
  CallPath call_path = CallPath::Typed;
  /// The most bytes of strings and lists one call between modules may carry each way
  /// (arguments in, results back); past it the call fails with a message naming the limit
  /// (as an `err` where the function returns `result<_, string>`). Also what a guest may pass
  /// to any host function in one call. At least 1 MiB.
  std::uint64_t max_call_bytes = std::uint64_t{64} << 20;
  /// Function instances (HTTP requests, calls, timer and event runs) that may
  /// run at once on pooled slots: the pool of Wasmtime's pooling allocator that
  /// function modules are instantiated from, reserved (address space, not
  /// memory) when the first function runs. An invocation past it is refused as
  /// busy (ResourceExhausted; 503 over HTTP), never queued. 0: 1,024, the
  /// host's cap on live function instances. A slot holds one component; a core
  /// module function (one memory, no component instance) takes half of one.
  std::uint32_t function_pool_slots = 0;
  /// Whether destroying the runtime gives back the memory of what it ran: the
  /// stopped instances (their linear memories and stores) and the compiled
  /// code. Unmapping each instance's memory one by one is most of the cost of
  /// closing a host with many services (about 60 us a service here, 6 s for
  /// 100,000). A process that exits right after destroying the runtime, such
  /// as `orivon up`, can set it false: the kernel takes the whole address space
  /// back at exit in one go. Everything else (the state's databases, files,
  /// connections) is closed either way.
  bool release_memory_on_destroy = true;
  /// Sharing events (and region/global buckets) with other hosts through NATS
  /// (cluster.h). An empty URL: this host is alone.
  ClusterOptions cluster;
};

}  // namespace orivon
