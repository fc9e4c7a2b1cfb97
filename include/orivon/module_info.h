#pragma once

/// \file
/// What the registry knows about an installed module: ModuleInfo for lists,
/// ModuleDetails for `inspect`, and the lifecycle states a client can see.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orivon/export.h"
#include "orivon/ids.h"
#include "orivon/manifest.h"
#include "orivon/program.h"

namespace orivon {

/// Lifecycle states. A module is `Installed` once added; the supervisor
/// (services) moves it through the others.
enum class ModuleState { Installed, Starting, Running, Stopping, Stopped, Crashed };

/// "installed", "starting", "running", "stopping", "stopped" or "crashed".
ORIVON_API std::string_view module_state_name(ModuleState state);

/// The content hash a module installed from `code` gets (ModuleInfo::
/// content_hash: SHA-256, lowercase hex), to tell whether a file differs
/// from what is installed without installing it.
ORIVON_API std::string module_content_hash(std::span<const std::byte> code);

/// How long a service's calls ran (in its instance, waiting excluded), counted
/// in buckets whose upper bounds double: bucket i holds the calls that took at
/// most 2^i microseconds and more than half that; the last bucket holds every
/// call longer than the one before it. Percentiles read from it are therefore
/// bucket bounds ("p99 <= 2 ms"), never finer than a factor of two.
struct CallDurations {
  static constexpr std::size_t kBuckets = 28;  ///< the last: more than 2^26 us (67 s)
  std::array<std::uint64_t, kBuckets> counts{};
  std::uint64_t total_us = 0;  ///< the sum of every call's duration

  /// The upper bound, in microseconds, of bucket `index`; 0 for the last
  /// bucket (it has none).
  [[nodiscard]] static std::uint64_t bucket_bound_us(std::size_t index) {
    return index + 1 < kBuckets ? std::uint64_t{1} << index : 0;
  }
  /// The bucket a call of `duration_us` microseconds falls in.
  [[nodiscard]] static std::size_t bucket_for_us(std::uint64_t duration_us) {
    if (duration_us <= 1) return 0;
    const auto index = static_cast<std::size_t>(std::bit_width(duration_us - 1));
    return index < kBuckets ? index : kBuckets - 1;
  }
  /// The calls counted.
  [[nodiscard]] std::uint64_t count() const {
    std::uint64_t sum = 0;
    for (auto n : counts) sum += n;
    return sum;
  }
  /// The bucket holding the `quantile` (0 < q <= 1) of the calls counted, or
  /// nullopt when none was.
  [[nodiscard]] std::optional<std::size_t> quantile_bucket(double quantile) const {
    const std::uint64_t calls = count();
    if (calls == 0) return std::nullopt;
    // The rank of the call at the quantile, 1-based, rounded up.
    auto rank = static_cast<std::uint64_t>(quantile * static_cast<double>(calls));
    if (static_cast<double>(rank) < quantile * static_cast<double>(calls)) ++rank;
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return i;
    }
    return kBuckets - 1;
  }
};

/// A service's counters, as of the moment they were read.
struct ServiceMetrics {
  ModuleState state = ModuleState::Installed;
  std::string cause;              ///< why it crashed, when it did
  std::int64_t uptime_ms = 0;     ///< since the current instance started; 0 if not running
  std::uint64_t restarts = 0;     ///< automatic restarts since the host started
  std::uint64_t calls = 0;        ///< calls completed (successful or not), ticks excluded
  std::uint64_t traps = 0;        ///< crashes of any kind
  std::uint64_t denied_calls = 0; ///< calls it made that no grant allowed (never reached the target)
  /// Calls it made to other modules through a typed forwarder (the fast path
  /// for strings and lists; README, "Calls between modules"); 0 when the
  /// host runs every call on the generic path.
  std::uint64_t typed_calls = 0;
  std::uint64_t memory_bytes = 0; ///< linear memory in use (0 when the engine cannot tell)
  /// How long its calls ran since the host started (the ones counted in
  /// `calls`; ticks and a command's `_start` excluded).
  CallDurations call_durations;
};

/// One installed module, as listed.
struct ModuleInfo {
  explicit ModuleInfo(ModuleId module_id) : id(std::move(module_id)), kind(id.kind()) {}

  ModuleId id;
  ModuleKind kind = ModuleKind::Service;
  ProgramKind program_kind = ProgramKind::CoreModule;
  std::string version;
  std::string description;
  std::string content_hash;  ///< SHA-256 of the binary, lowercase hex
  std::uint64_t size_bytes = 0;
  ModuleState state = ModuleState::Installed;
  std::string state_cause;  ///< why it crashed, when it did
  /// Whether a host starts it when it comes up (set by start, cleared by stop).
  bool autostart = false;
  /// Counters of the running service; zeros when nothing runs it.
  ServiceMetrics metrics;
  std::int64_t installed_at = 0;  ///< Unix seconds
  std::int64_t updated_at = 0;    ///< Unix seconds
};

/// A client's decision on one grant.
enum class GrantDecision { Allow, Deny };

/// Everything `inspect` shows.
struct ModuleDetails {
  explicit ModuleDetails(ModuleInfo module_info) : info(std::move(module_info)) {}

  ModuleInfo info;
  bool has_manifest = false;
  Manifest manifest;  ///< what the module asked for (empty without a manifest)
  /// The client's decisions, by grant text. A request with no decision is
  /// not granted.
  std::map<std::string, GrantDecision> decisions;
  std::vector<std::string> imports;  ///< one line each, see engine/interface_text.h
  std::vector<std::string> exports;
};

/// How a module joins the registry.
struct AddOptions {
  /// The id to install under. Required unless the manifest names one; if
  /// both are given they must agree.
  std::optional<ModuleId> id;
  std::optional<Manifest> manifest;
};

/// What Runtime::remove_module does about the call grants other modules hold
/// on the module it removes: a caller's grant to call it, or a group's grant
/// that makes it a member.
enum class RemoveDependents {
  Refuse,  ///< FailedPrecondition naming each one; nothing is removed
  Remove,  ///< remove the module and those grants with it
};

/// One module of a bulk install (Runtime::add_modules): its binary, read
/// from `file`, or `code` when no file is given, and how it joins.
struct ModuleSource {
  std::filesystem::path file;
  std::span<const std::byte> code;
  AddOptions options;
};

/// Which installed modules a listing returns: ordered by id, those after
/// `after` (every one when empty), at most `limit` of them (no limit when
/// 0). A page ends at its last id; the next page starts after it.
struct ListOptions {
  std::string after;
  std::size_t limit = 0;
};

/// What loading the installed modules did.
struct LoadReport {
  std::size_t modules = 0;
  std::size_t from_cache = 0;  ///< compiled code read back from the cache
  std::size_t compiled = 0;    ///< compiled now (and written to the cache)
};

}  // namespace orivon
