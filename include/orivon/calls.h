#pragma once

/// \file
/// Calls between modules. A module calls another only through a grant the
/// client made (default deny): to every function the target exports, or to
/// the ones named. Grants persist in the registry and are checked on every
/// call, so a revocation takes effect on the next call.

#include <functional>
#include <span>
#include <string>
#include <vector>

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
