#pragma once

/// \file
/// WasiProfile: everything a guest may see of the system through WASI. The
/// default profile grants nothing: no arguments beyond the program name, no
/// environment, no directories, no network. Standard output and error are
/// inherited unless set otherwise; standard input is empty.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orivon {

/// What a guest may do inside a granted directory.
enum class DirAccess {
  ReadOnly,   ///< list, stat, open for reading
  ReadWrite,  ///< also create, write, rename, remove
};

/// One host directory made visible to the guest under `guest_path`.
struct DirGrant {
  std::filesystem::path host_path;
  std::string guest_path;
  DirAccess access = DirAccess::ReadOnly;
};

/// How the guest's standard streams are connected.
enum class Stdio {
  Inherit,  ///< stdin, stdout and stderr are the host process's
  Null,     ///< stdin is empty, output is discarded
};

/// Whether the guest may use sockets and name lookup.
enum class Network {
  Denied,  ///< no sockets, no name lookup
  Rules,   ///< only what `net_rules` allow, checked on every connect and bind
  Full,    ///< WASI's unrestricted networking (an explicit, loudly named grant)
};

/// One network permission: connect to, or listen on, matching addresses.
struct NetRule {
  enum class Kind { Connect, Listen };
  Kind kind = Kind::Connect;
  /// A host name (resolved when checked), an IP address, a CIDR block
  /// ("10.0.0.0/8", "::1/128"), or "*" for any address.
  std::string host;
  std::uint16_t first_port = 0;  ///< inclusive
  std::uint16_t last_port = 0;   ///< inclusive
  friend bool operator==(const NetRule&, const NetRule&) = default;
};

/// The system access granted to one guest. Plain data; thread-compatible.
struct WasiProfile {
  /// argv as the guest sees it; by convention args[0] is the program name.
  std::vector<std::string> args;
  /// Environment variables, in order. Names are unique (last one wins).
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<DirGrant> dirs;
  Stdio stdio = Stdio::Inherit;
  Network network = Network::Denied;
  /// With Network::Rules: what the guest may connect to and listen on.
  std::vector<NetRule> net_rules;
  /// Origins ("https://api.example.com", "http://127.0.0.1:8080") the guest
  /// may send outbound HTTP requests to (wasi:http); empty: none.
  std::vector<std::string> http_origins;
  /// When set, told (one line, e.g. "refused tcp connect to 10.0.0.1:80: no
  /// net: grant covers it") each time the guest's use of a socket is refused,
  /// with or without network grants: the first 16 per instance, then once
  /// that further refusals go unnoted. Called on the guest's thread; must
  /// not throw. `orivon run` prints these on stderr; services note them in
  /// their log.
  std::function<void(std::string_view)> on_network_refused;
};

}  // namespace orivon
