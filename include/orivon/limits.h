#pragma once

/// \file
/// ExecutionLimits: the resources one run or call of a guest may use. Each
/// limit is off when unset. Defaults the runtime applies on its own are in
/// src/core/limits.h.

#include <chrono>
#include <cstdint>
#include <optional>

namespace orivon {

struct ExecutionLimits {
  /// Wall-clock budget, enforced by epoch interruption: the guest is
  /// interrupted at the first epoch tick after the deadline.
  std::optional<std::chrono::nanoseconds> timeout;
  /// Fuel (roughly, WebAssembly instructions). Requires a Runtime created with
  /// FuelMetering::On.
  std::optional<std::uint64_t> fuel;
  /// Upper bound, in bytes, on each linear memory of the guest. Growing past
  /// it fails inside the guest (memory.grow returns -1; malloc returns NULL).
  std::optional<std::uint64_t> max_memory_bytes;
};

}  // namespace orivon
