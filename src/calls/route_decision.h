#pragma once

// Where a caller's import of one function leads, decided from the grants and
// the installed modules alone: nothing is loaded, started or called. The call
// router builds its routes from it (call_router.h, which states the rules),
// and `inspect` and `start` use it to say which imports no call can pass
// before one is made. Reads the registry's grant snapshot; thread-safe as the
// registry and HostFunctions are.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Every installed module with its exports (and a group's interface), in id
// order: whom a denial can name as the provider to grant, when no grant of
// the caller reaches one. Read on first use, then kept, so that the imports
// of one module are decided against one reading: with 100,000 modules
// installed, a reading per import cost a start about a second per import.
// Not thread-safe: one per decision, or per module's imports on one thread.
class ProviderCandidates {
 public:
  struct Candidate {
    ModuleId id;
    std::shared_ptr<const registry::ExportTable> exports;
    std::optional<registry::GroupSpec> group;
  };
  explicit ProviderCandidates(registry::ModuleRegistry& registry) : registry_(registry) {}
  // Modules whose exports (or group) cannot be read are left out.
  const std::vector<Candidate>& all();

 private:
  registry::ModuleRegistry& registry_;
  std::optional<std::vector<Candidate>> all_;
};

// `candidates`, when given, is read (at most once) instead of the registry's
// listing; pass one to decide several imports of the same moment.
RouteDecision decide_route(registry::ModuleRegistry& registry, const HostFunctions& host_functions,
                           const ModuleId& caller, std::string_view import,
                           std::string_view function, ProviderCandidates* candidates = nullptr);

}  // namespace orivon::calls
