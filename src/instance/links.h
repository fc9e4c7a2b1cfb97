#pragma once

// How a live instance reaches other modules. When a module imports an
// interface (component) or a module name (core) that is not WASI, each
// imported function is linked to a host function that asks Links where the
// call goes, checks the grant, and forwards the values. The answer (a
// Route) is cached per imported function until Links::version() changes,
// which it does on every grant, revocation, install, update or removal: a
// revocation is seen by the very next call, and an unchanged call costs one
// atomic load.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/program_data.h"
#include "orivon/ids.h"
#include "orivon/result.h"
#include "orivon/value.h"

namespace orivon::instance {

// Something a call can be carried to outside the caller's store: a running
// service, a group's members, a function the embedding client registered.
// Made by the Links implementation; the instance layer only calls it.
class Callee {
 public:
  virtual ~Callee() = default;
  // Calls `function` with `args` as another module passes them (numbers take
  // the callee's kinds; see LiveInstance::Match::Numbers) and returns its
  // results. Runs on the caller's thread.
  virtual Result<std::vector<Value>> call(const std::string& function,
                                          std::span<const Value> args) = 0;
};

// Where one imported function leads, for one caller: one of the kinds below.
namespace route {

// Nothing installed provides it.
struct Unavailable {
  std::string message;  // says caller and function
};

// A provider exists, but the caller holds no grant for this function.
struct Denied {
  std::string provider;  // the module found to provide it (empty for a host function)
  std::string function;
  std::string message;   // says caller, provider and function, and the grant to give
};

// A library: instantiated in the caller's own store on its first call.
struct Library {
  ModuleId target;
  std::string function;  // its export: "iface#func"
  std::shared_ptr<const internal::ProgramData> program;
};

// A service, a group or a host function, called through its Callee.
struct Remote {
  std::string target;    // module id, or "host"
  std::string function;  // the target's export: "iface#func", or a core export name
  std::shared_ptr<Callee> callee;
};

}  // namespace route

using Route = std::variant<route::Unavailable, route::Denied, route::Library, route::Remote>;

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

  // Records a denied call (the caller's log and the audit trail).
  virtual void record_denial(const ModuleId& caller, const route::Denied& denied) = 0;
  // Records a call that found no provider (a module not installed, or
  // nothing exporting the function) in the caller's log.
  virtual void record_unavailable(const ModuleId& caller,
                                  const route::Unavailable& unavailable) = 0;
  // Records a call into `library` (it ran in the caller's store) for the
  // library's counters. Does nothing unless overridden.
  virtual void record_library_call(const ModuleId& library, std::chrono::microseconds took,
                                   bool trapped) {}
  // Where the calls `caller` makes through typed forwarders are counted
  // (each adds 1, relaxed), or null: not counted. Asked once per import.
  virtual std::shared_ptr<std::atomic<std::uint64_t>> typed_call_counter(const ModuleId& caller) {
    return nullptr;
  }
};

}  // namespace orivon::instance
