#pragma once

/// \file
/// Capacity: how much of the machine a Runtime may fill with live instances.
///
/// Every instance (a running service, a library's instance for one call, an
/// `orivon run`) costs the process memory mappings, address space and
/// memory. Past the kernel's limits the next allocation anywhere in the
/// process fails, and the allocator of Wasmtime's Rust code aborts the whole
/// process: every module with it. So a Runtime admits an instance only while
/// the process stays under each limit below; one that would pass a limit is
/// refused with ResourceExhausted naming it, and everything already running
/// carries on.

#include <cstdint>

namespace orivon {

/// Limits a client may set. Zero means "the default" described for each.
struct CapacityOptions {
  /// Memory mappings the process may hold. Default: the kernel's
  /// vm.max_map_count less a reserve the host keeps for itself (threads,
  /// the allocator, SQLite, compiled code): 5%, at least 1,024.
  std::uint64_t max_mappings = 0;
  /// Resident memory the process may use before new instances are refused.
  /// Default: 80% of physical memory.
  std::uint64_t memory_bytes = 0;
  /// Address space the process may reserve. Default: RLIMIT_AS when set,
  /// else the 128 TiB of a 47-bit user address space; less 1/16 reserve.
  std::uint64_t address_space_bytes = 0;
};

/// The limits in force and what is in use, as last measured.
struct CapacityReport {
  std::uint64_t kernel_max_map_count = 0;  ///< /proc/sys/vm/max_map_count (0: unknown)
  std::uint64_t max_mappings = 0;
  std::uint64_t mappings = 0;
  std::uint64_t memory_budget_bytes = 0;
  std::uint64_t resident_bytes = 0;
  std::uint64_t address_space_limit_bytes = 0;
  std::uint64_t address_space_bytes = 0;
  std::uint64_t live_instances = 0;
  std::uint64_t refused = 0;  ///< instances refused so far
  /// About how many more instances like the ones running now fit, by the
  /// tightest limit (an estimate: real modules differ).
  std::uint64_t more_instances = 0;
};

}  // namespace orivon
