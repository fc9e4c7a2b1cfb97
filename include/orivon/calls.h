#pragma once

/// \file
/// Calls between modules. A module calls another only through a grant the
/// client made (default deny): to every function the target exports, or to
/// the ones named. Grants persist in the registry and are checked on every
/// call, so a revocation takes effect on the next call.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/export.h"
#include "orivon/ids.h"
#include "orivon/result.h"
#include "orivon/value.h"

namespace orivon {

/// `caller` may call `functions` of `target` (a module or a group).
struct CallGrant {
  ModuleId caller;
  ModuleId target;
  /// Names as the target exports them ("iface#function" for components, the
  /// export name for core modules). Empty: every function.
  std::vector<std::string> functions;
};

/// The functions a name a user typed stands for among `names` (a module's
/// exports, or the functions a grant holds): the name itself if it is one of
/// them, else every "interface#name" whose part after its last '#' is the
/// name, so a component's function may be named without its interface. One
/// result: the name resolves; none: there is no such function; several: it
/// is ambiguous and must be named with its interface. Runtime::grant_calls
/// and revoke_calls resolve names this way.
ORIVON_API std::vector<std::string> resolve_function_name(std::string_view typed,
                                                          std::span<const std::string> names);

/// What a grant stores for the function names a user typed (to grant_calls
/// or revoke_calls): each name resolved among `stored` (the CallGrant's
/// functions) by resolve_function_name(), or kept as typed when it resolves
/// to none or several. Sorted and without duplicates, as a CallGrant lists
/// them; for saying what a grant or a revocation changed.
ORIVON_API std::vector<std::string> stored_function_names(std::span<const std::string> typed,
                                                          std::span<const std::string> stored);

/// Where one function a module imports from another module leads, as the
/// grants stand now (Runtime::import_routes). A call through a route that is
/// not Granted is refused: it comes back as `err(message)` when the import
/// returns `result<_, string>` (`carries_error`), and traps the caller
/// otherwise.
struct ImportRoute {
  enum class Status {
    Granted,      ///< a grant routes it to `target`
    Denied,       ///< `target` provides it, but no grant lets the module call it
    Unavailable,  ///< nothing installed provides it (or the module named is not installed)
  };
  std::string import;    ///< interface name ("ns:pkg/iface@1.0.0"), or a core import module
  std::string function;  ///< the function's name inside it
  Status status = Status::Unavailable;
  /// Granted: the module (or group) id, or "host" for a function the client
  /// registered. Denied: the provider found (empty for a host function).
  std::string target;
  /// The target's name for the function ("iface#func", or a core export).
  std::string target_function;
  /// Denied, Unavailable: why, and for a denial the grant that would route it.
  std::string message;
  /// The import returns `result<_, string>`, so a refused or failed call
  /// reaches the module as an `err` value instead of trapping it.
  bool carries_error = false;
};

/// "granted", "denied" or "unavailable".
ORIVON_API std::string_view import_route_status_name(ImportRoute::Status status);

/// Where `route` (an import of `caller`) leads, in a few words, as `inspect`
/// shows it and `start` warns: "-> lib.fmt.x (granted)", "NO GRANT: a call
/// will trap (orivon grant CALLER TARGET FUNCTION)", "NO GRANT: a call
/// returns an error (...)", "NOT INSTALLED: no module provides it; a call
/// will trap".
ORIVON_API std::string import_route_text(const ModuleId& caller, const ImportRoute& route);

/// How a group picks the member that serves a call.
enum class GroupRouting {
  FirstHealthy,  ///< the first running member, in the order members were granted
  RoundRobin,    ///< running members in turn
};

/// A function the embedding client offers to modules under a WIT interface
/// name (Runtime::register_host_function). It receives the caller's
/// arguments and returns the function's results (none or one). An Error is
/// delivered as err(message) when the import returns result<_, string>, and
/// traps the caller otherwise. It runs on the calling module's thread, may
/// run on several threads at once, and must not throw.
using HostFunction = std::function<Result<std::vector<Value>>(std::span<const Value> args)>;

}  // namespace orivon
