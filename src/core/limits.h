#pragma once

// Every default limit orivon applies on its own, in one place, each with its
// reason. Limits a client sets per run are in include/orivon/limits.h.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace orivon::limits {

// How often the engine's epoch advances. Timeouts are enforced at tick
// granularity, so this is the worst-case overshoot of a deadline; 10 ms keeps
// the ticker's own cost negligible (100 wake-ups a second).
inline constexpr std::chrono::milliseconds kEpochTick{10};

// Deadline given to a store with no timeout: far enough to never fire, small
// enough that Wasmtime's current-epoch + delta cannot overflow.
inline constexpr std::uint64_t kNoDeadlineTicks = std::uint64_t{1} << 62;

// Largest binary orivon reads from a file. Larger inputs are refused before
// they are read, so a hostile path (a device, a huge file) cannot exhaust the
// host's memory. Real-world components are well under this.
inline constexpr std::uint64_t kMaxBinaryBytes = std::uint64_t{1} << 30;  // 1 GiB

// Table elements and instances per store when a memory limit is set: generous
// for ordinary programs, bounded so a hostile one cannot grow tables forever.
inline constexpr std::int64_t kMaxTableElements = 1'000'000;
inline constexpr std::int64_t kMaxInstances = 10'000;
inline constexpr std::int64_t kMaxTables = 10'000;
inline constexpr std::int64_t kMaxMemories = 10'000;

// Longest a daemon's tick may ask to sleep: a daemon that returns a huge
// delay still wakes up once a minute, so a bad value cannot stall it forever.
inline constexpr std::int64_t kMaxTickDelayMs = 60'000;

// Worker threads for services: one per core, at least two, so one busy
// service never holds every worker on a small machine.
inline constexpr std::size_t kMinServiceWorkers = 2;

// A client's call into a library runs in a fresh instance; without a
// timeout of its own it is stopped after this long.
inline constexpr std::chrono::milliseconds kDefaultLibraryCallTimeout{30'000};

// How long a host name in a network rule stays resolved before the next
// check asks the system again: long enough that a busy guest does not
// resolve on every connect, short enough to follow DNS changes. A name that
// does not resolve is asked again after kNetNameMissTtl.
inline constexpr std::chrono::seconds kNetNameCacheTtl{30};
inline constexpr std::chrono::seconds kNetNameMissTtl{5};

}  // namespace orivon::limits
