#pragma once

// Where a caller's import of one function leads, decided from the grants and
// the installed modules alone: nothing is loaded, started or called. The call
// router builds its routes from it (call_router.h, which states the rules),
// and `inspect` and `start` use it to say which imports no call can pass
// before one is made. Reads the registry's grant snapshot; thread-safe as the
// registry and HostFunctions are.

#include <string>
#include <string_view>

#include "calls/host_functions.h"
#include "orivon/ids.h"
#include "registry/module_registry.h"

namespace orivon::calls {

// The target a decision names for a function the embedding client
// registered.
inline constexpr std::string_view kHostTarget = "host";

struct RouteDecision {
  enum class Kind { Granted, Denied, Unavailable };
  Kind kind = Kind::Unavailable;
  // Granted: the module id (or kHostTarget); Denied: the provider found
  // (empty for a host function); Unavailable: empty.
  std::string target;
  // The target's name for the function: "iface#func", or a core export name.
  std::string function;
  // Denied and Unavailable: why, naming caller and function (and, for a
  // denial, the grant to give).
  std::string message;
};

RouteDecision decide_route(registry::ModuleRegistry& registry, const HostFunctions& host_functions,
                           const ModuleId& caller, std::string_view import,
                           std::string_view function);

}  // namespace orivon::calls
