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
