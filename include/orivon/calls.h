#pragma once

/// \file
/// Calls between modules. A module calls another only through a grant the
/// client made (default deny): to every function the target exports, or to
/// the ones named. Grants persist in the registry and are checked on every
/// call, so a revocation takes effect on the next call.

#include <string>
#include <vector>

#include "orivon/ids.h"

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

}  // namespace orivon
