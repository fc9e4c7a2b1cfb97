#pragma once

/// \file
/// Grants: the system access a client gives one module, written as short
/// strings that read naturally. A module's manifest *requests* grants; the
/// client allows or denies each one (Runtime::allow_grant, `orivon allow`),
/// and a service gets exactly what is allowed, nothing else (default deny).
///
///   fs:/srv/data=/data:ro        the host directory /srv/data, read-only, seen at /data
///   fs:/srv/data:rw              the same path on both sides, read-write
///   env:HOME                     orivon's own value of HOME (absent if orivon has none)
///   env:MODE=fast                MODE set to "fast"
///   arg:--verbose                appended to argv (argv[0] is the module id), in the
///                                order the grants were first allowed
///   stdio:log|none|inherit       where stdout/stderr go (default: log; stdin is empty
///                                unless inherit)
///   clock, random                always available (Wasmtime's WASI cannot withhold them)
///   net:connect:HOST:PORT[-PORT] connect to HOST (a name, an address, a CIDR block, "*";
///   net:listen:HOST:PORT[-PORT]  IPv6 in brackets: "[::1]:80"); listen likewise
///   net:unrestricted             WASI's unrestricted networking: every address and port
///   http:https://api.example.com outbound HTTP to one origin
///   host:example:log/sink@1.0.0  an interface of host functions the client registered
///   topic:orders.*:publish       publish events on topics the pattern matches ('*' one
///   topic:audit.>:subscribe      token, a final '>' the rest); receive events on them
///
/// parse_grant() checks the syntax of one string and says what was expected
/// when it is malformed (untrusted input: never throws, never asserts).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "orivon/export.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon {

/// `fs:HOST=GUEST:ro|rw`: a host directory made visible inside the guest.
struct FsGrant {
  std::filesystem::path host_path;  ///< absolute, as written (canonicalized when used)
  std::string guest_path;           ///< absolute guest path ("/data")
  DirAccess access = DirAccess::ReadOnly;
  friend bool operator==(const FsGrant&, const FsGrant&) = default;
};

/// `env:NAME` (orivon's own value) or `env:NAME=VALUE`.
struct EnvGrant {
  std::string name;
  std::optional<std::string> value;  ///< empty: pass orivon's own value through
  friend bool operator==(const EnvGrant&, const EnvGrant&) = default;
};

/// `arg:VALUE`: one more argument after the module id.
struct ArgGrant {
  std::string value;
  friend bool operator==(const ArgGrant&, const ArgGrant&) = default;
};

/// Where a service's standard streams go.
enum class StdioMode {
  Log,      ///< stdout and stderr captured to the module's log; stdin empty (the default)
  None,     ///< output discarded; stdin empty
  Inherit,  ///< the host process's stdin, stdout and stderr
};

/// `stdio:log|none|inherit`.
struct StdioGrant {
  StdioMode mode = StdioMode::Log;
  friend bool operator==(const StdioGrant&, const StdioGrant&) = default;
};

/// `clock` or `random`. Accepted and shown, but they change nothing: WASI as
/// Wasmtime implements it gives every guest wall and monotonic clocks and
/// random bytes, and the C API has no way to take them away.
struct AmbientGrant {
  enum class Kind { Clock, Random };
  Kind kind = Kind::Clock;
  friend bool operator==(const AmbientGrant&, const AmbientGrant&) = default;
};

/// `net:connect:...`, `net:listen:...` (`rule` set) or `net:unrestricted`.
struct NetGrant {
  std::optional<NetRule> rule;  ///< empty: unrestricted
  friend bool operator==(const NetGrant&, const NetGrant&) = default;
};

/// `http:ORIGIN`: outbound HTTP to one origin, normalized to
/// "scheme://host[:port]" (lowercase, no default port, no trailing slash).
struct HttpGrant {
  std::string origin;
  friend bool operator==(const HttpGrant&, const HttpGrant&) = default;
};

/// `host:INTERFACE`: the host functions a client registered under a WIT
/// interface name ("example:log/sink@1.0.0").
struct HostGrant {
  std::string interface;
  friend bool operator==(const HostGrant&, const HostGrant&) = default;
};

/// `kv:BUCKET:ro|rw`: a named key-value bucket ("*": every named bucket),
/// read-only or read-write. A module's private bucket needs no grant.
struct KvGrant {
  enum class Access { ReadOnly, ReadWrite };
  std::string bucket;  ///< a bucket name, or "*"
  Access access = Access::ReadOnly;
  friend bool operator==(const KvGrant&, const KvGrant&) = default;
};

/// What a topic grant allows.
enum class TopicAccess {
  Publish,    ///< publish events on the topics the pattern matches
  Subscribe,  ///< subscribe to them and receive their events
};

/// `topic:PATTERN:publish|subscribe` (see orivon/events.h for topics and
/// patterns). Checked at every publish and every delivery.
struct TopicGrant {
  std::string pattern;
  TopicAccess access = TopicAccess::Publish;
  friend bool operator==(const TopicGrant&, const TopicGrant&) = default;
};

/// One parsed grant.
using Grant = std::variant<FsGrant, EnvGrant, ArgGrant, StdioGrant, AmbientGrant, NetGrant,
                           HttpGrant, HostGrant, KvGrant, TopicGrant>;

/// Whether `name` is a valid key-value bucket name: 1 to 64 characters of
/// `[A-Za-z0-9_-]` (the characters a NATS key-value bucket allows).
ORIVON_API bool is_bucket_name(std::string_view name);

/// Parses one grant string. InvalidArgument for anything malformed, with a
/// message that quotes the string, says which part is wrong and gives the
/// expected form with an example.
[[nodiscard]] ORIVON_API Result<Grant> parse_grant(std::string_view text);

/// What a grant gives, in a few words for people ("read-only /srv/data at
/// /data", "connect to *:443").
ORIVON_API std::string describe_grant(const Grant& grant);

/// The grant syntax, one form per line with an example: for help texts and
/// error messages.
ORIVON_API std::string_view grant_syntax();

}  // namespace orivon
