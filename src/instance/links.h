#pragma once

// How a live instance reaches other modules. When a module imports an
// interface (component) or a module name (core) that is not WASI, each
// imported function is linked to a host function that asks Links where the
// call goes, checks the grant, and forwards the values. The answer (a
// Route) is cached per imported function until Links::version() changes,
// which it does on every grant, revocation, install, update or removal: a
// revocation is seen by the very next call, and an unchanged call costs one
// atomic load.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "engine/program_data.h"
#include "orivon/ids.h"
#include "orivon/result.h"

namespace orivon::instance {

// Where one imported function leads, for one caller.
struct Route {
  enum class Kind {
    Denied,       // a provider exists but the caller holds no grant for this function
    Unavailable,  // nothing installed provides it
    Service,      // a service module: called in its own store
    Library,      // a library: instantiated in the caller's store
    Group,        // a group: routed to a running member
    Host,         // a function the embedding client registered (handle: the HostFunction)
  };
  Kind kind = Kind::Unavailable;
  std::string target;    // module id (Denied: the provider found, if any)
  std::string function;  // the target's export: "iface#func", or a core export name
  std::string message;   // Denied / Unavailable: says caller, target and function
  std::shared_ptr<const internal::ProgramData> program;  // Library: its code
  std::shared_ptr<void> handle;  // Service, Host: the Links implementation's handle to it
};

class Links {
 public:
  virtual ~Links() = default;

  // Changes whenever a Route could change.
  virtual std::uint64_t version() const = 0;

  // Decides where `caller`'s import of `function` goes. `import` is the
  // interface name ("ns:pkg/iface@1.0.0") for component callers, the import
  // module name for core callers (an orivon module id).
  virtual Route resolve(const ModuleId& caller, std::string_view import,
                        std::string_view function) = 0;

  // Calls a Service, Group or Host route and returns the target's results. The
  // target checks the arguments against its own types; numbers are
  // converted between core and component kinds (see values/numeric_bridge.h).
  virtual Result<std::vector<wasmtime::component::Val>> call(
      const Route& route, std::span<const wasmtime::component::Val> args) = 0;

  // Records a denied call (the caller's log and the audit trail).
  virtual void record_denial(const ModuleId& caller, const Route& route) = 0;
};

}  // namespace orivon::instance
