#pragma once

// What the host looks like at one moment: its own figures (uptime, CPU,
// memory, instances, events, key-value) and one row per installed module
// with its counters. Read through the Runtime's public API only. The
// dashboard's page, its /metrics and `orivon top` (through the control
// socket's "status" request) all show one of these.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orivon/events.h"
#include "orivon/module_info.h"
#include "orivon/result.h"
#include "orivon/runtime.h"

namespace orivon::cli {

// Rows past this many modules (by id) are left out of a snapshot; the
// host's totals still count every module. A page of 100,000 rows each second
// would cost the host more than it tells anyone.
inline constexpr std::size_t kMaxSnapshotModules = 1000;

struct ModuleRow {
  std::string id;
  std::string kind;         // "service", "library" or "group"
  std::string description;  // the module's own words: untrusted text
  ModuleState state = ModuleState::Installed;
  std::string cause;        // why it crashed, when it did: may quote the module
  ServiceMetrics metrics;
  // A component's linear memory cannot be read through Wasmtime's C API:
  // its memory_bytes is left out rather than shown as 0.
  bool memory_known = true;
  EventCounters events;
};

struct HostSnapshot {
  std::int64_t uptime_ms = 0;
  double cpu_seconds = 0;  // user and system time of the host process so far
  CapacityReport capacity;
  std::size_t module_count = 0;
  std::map<std::string, std::size_t> modules_by_state;  // every state, zeros included
  // Sums over every module.
  std::uint64_t calls = 0;
  std::uint64_t traps = 0;
  std::uint64_t denied_calls = 0;
  std::uint64_t restarts = 0;
  EventCounters events;
  std::uint64_t event_topics = 0;
  std::uint64_t event_subscriptions = 0;
  std::uint64_t events_pending = 0;
  std::uint64_t dead_letters = 0;
  std::optional<ClusterReport> cluster;  // a host on --nats: its link to the others
  std::uint64_t kv_buckets = 0;
  std::uint64_t kv_keys = 0;
  std::uint64_t kv_bytes = 0;
  std::vector<ModuleRow> modules;  // the first kMaxSnapshotModules, by id
};

// Reads the host now. `host_started` is when the host came up (for its
// uptime). Fails only if the registry cannot be listed.
Result<HostSnapshot> take_snapshot(Runtime& runtime,
                                   std::chrono::steady_clock::time_point host_started);

// "<= 8 us", "<= 2.0 ms", "> 67 s" for the `quantile` of a module's call
// durations (bucket bounds, see CallDurations); "-" before its first call.
std::string latency_text(const CallDurations& durations, double quantile);

// The snapshot as JSON: {"host": {...}, "modules": [{...}], "module_count",
// "modules_shown"}. Strings are the modules' own, unescaped: whoever shows
// them escapes them.
nlohmann::json to_json(const HostSnapshot& snapshot);

// The Prometheus text exposition format (version 0.0.4), every label value
// escaped as it requires.
std::string to_prometheus(const HostSnapshot& snapshot);

// A Prometheus label value escaped: backslash, double quote and line feed.
std::string escape_label_value(std::string_view value);

}  // namespace orivon::cli
