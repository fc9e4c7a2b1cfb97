#pragma once

/// \file
/// WasiProfile: everything a guest may see of the system through WASI. The
/// default profile grants nothing: no arguments beyond the program name, no
/// environment, no directories, no network. Standard output and error are
/// inherited unless set otherwise; standard input is empty.

#include <filesystem>
#include <string>
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

/// Whether the guest may use sockets and name lookup (all or nothing; finer
/// host:port grants are a later addition).
enum class Network { Denied, Full };

/// The system access granted to one guest. Plain data; thread-compatible.
struct WasiProfile {
  /// argv as the guest sees it; by convention args[0] is the program name.
  std::vector<std::string> args;
  /// Environment variables, in order. Names are unique (last one wins).
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<DirGrant> dirs;
  Stdio stdio = Stdio::Inherit;
  Network network = Network::Denied;
};

}  // namespace orivon
