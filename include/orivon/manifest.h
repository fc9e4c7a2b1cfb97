#pragma once

/// \file
/// Manifest: what a module says about itself, in TOML or JSON beside its
/// binary. It *requests* grants; only the client grants them (Android style),
/// and the client's decisions are stored apart from these requests.
///
///   id = "bitcoin.node.metamask"          # optional if the client gives one
///   version = "1.2.0"
///   description = "A Bitcoin full node"
///   requests = ["fs:/srv/btc=/data:rw", "net:connect:*:8333"]
///
///   [config]                              # values the module reads
///   network = "mainnet"
///   max-peers = 8                         # scalars are kept as text
///
///   [service]                             # how a service module runs (all optional)
///   restart = "on-failure"                # never | on-failure | always
///   restart-budget = 5                    # restarts allowed per minute
///   restart-backoff = "100ms"             # first delay, doubled each time
///   stop-grace = "2s"                     # before a stop interrupts it
///   call-deadline = "30s"                 # longest call or tick
///   max-memory = "256MiB"                 # each linear memory
///
///   [group]                               # group modules only (all optional)
///   interface = "example:greet/greeter@1.0.0"  # default: the one its binary exports
///   routing = "round-robin"               # first-healthy (default) | round-robin
///
///   [function]                            # run per invocation, not as a service
///   max-instances = 16                    # at most this many at once (1 to 1024)
///   deadline = "30s"                      # longest invocation
///   max-memory = "256MiB"                 # each linear memory
///
///   [[triggers]]                          # what starts the module's functions
///   kind = "timer"                        # startup | timer | event | http | call
///   every = "10s"                         # timer only: every, or cron (UTC)
///   # cron = "*/5 * * * *"                # 5 fields, or 6 with seconds first
///   # catch-up = "once"                   # timer only: none (default) | once
///   call = "tick"                         # the export to call
///
/// The same structure in JSON is accepted too.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/export.h"
#include "orivon/ids.h"
#include "orivon/result.h"

namespace orivon {

enum class ManifestFormat { Toml, Json };

/// One trigger: when the runtime should call one of the module's exports.
struct Trigger {
  enum class Kind { Startup, Timer, Event, Http, Call };
  Kind kind = Kind::Call;
  std::string call;   ///< the export to call; required
  std::string every;  ///< Timer: a duration such as "10s" (validated); or
  std::string cron;   ///< Timer: a cron schedule, UTC (validated); one of the two
  /// Timer: what a host that was down when runs were due does: "none" skips
  /// them (the default), "once" makes one catch-up run.
  std::string catch_up;
  std::string topic;  ///< Event: the topic name
  std::string route;  ///< Http: the path prefix, starting with '/'

  friend bool operator==(const Trigger&, const Trigger&) = default;
};

/// "startup", "timer", "event", "http" or "call".
ORIVON_API std::string_view trigger_kind_name(Trigger::Kind kind);

struct Manifest {
  std::optional<ModuleId> id;
  std::string version;      ///< free-form, at most 64 characters
  std::string description;  ///< at most 4096 characters
  /// Grants the module asks for, as written (syntax checked by the grants
  /// layer when the client decides on them). Duplicates are removed, order kept.
  std::vector<std::string> requests;
  std::map<std::string, std::string> config;
  /// The [service] settings as written, keys validated (restart,
  /// restart-budget, restart-backoff, stop-grace, call-deadline, max-memory).
  std::map<std::string, std::string> service;
  /// The [group] settings as written, keys validated (interface, routing).
  std::map<std::string, std::string> group;
  /// The [function] settings as written, keys validated (max-instances,
  /// deadline, max-memory); present when the module is a function: each
  /// invocation gets a fresh instance, and it never runs as a service.
  std::optional<std::map<std::string, std::string>> function;
  std::vector<Trigger> triggers;

  friend bool operator==(const Manifest&, const Manifest&) = default;
};

/// Parses a manifest. Untrusted input: any malformed text, unknown key, wrong
/// type, bad id, oversized value or more than 64 KiB of input is an
/// InvalidArgument error that names the key (and line, where the parser
/// knows it); nothing is thrown.
[[nodiscard]] ORIVON_API Result<Manifest> parse_manifest(std::string_view text,
                                                         ManifestFormat format);

/// How deeply TOML `text` nests (the tables a header or dotted key opens,
/// inline tables and arrays), measured without parsing it; counting stops
/// past `stop_above`. toml++ overflows its stack on a document nested some
/// thousands of levels deep, so a client that parses TOML of its own (the
/// CLI's application files) refuses a deep one with this first, as
/// parse_manifest does.
ORIVON_API std::size_t toml_nesting_depth(std::string_view text, std::size_t stop_above);

/// The format implied by a file name: ".json" is JSON, anything else TOML.
ORIVON_API ManifestFormat manifest_format_for(std::string_view file_name);

/// Serializes a manifest as JSON (the form orivon stores); parse_manifest
/// with ManifestFormat::Json reads it back to an equal Manifest.
ORIVON_API std::string manifest_to_json(const Manifest& manifest);

}  // namespace orivon
