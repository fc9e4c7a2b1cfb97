#pragma once

// Decides where a module's call to another module goes, and carries it
// there: the Links of every service the supervisor starts. Resolution reads
// the registry's grant snapshot (route_decision.h); calls into services go through the
// supervisor (on the caller's thread); calls to a group go to one of its
// running members.
//
// A component's import of interface I, function f, from caller A resolves
// to the first of A's grants (in the order they were made) whose target
//   - is a group standing for I, or
//   - is a component module exporting I, or
//   - is a core module exporting a function named f (numbers only),
// and that grants f (or everything). A core module's import from module M
// (an orivon module id) resolves to M directly. No granted provider: the
// call is Denied, naming the provider found among installed modules, or
// Unavailable when none exports it.
//
// An interface the embedding client registered host functions under
// (HostFunctions) is served by the host alone, and only to a caller that
// holds the grant `host:INTERFACE`; any other caller is Denied.
//
// Thread-safe.

#include <atomic>
#include <map>
#include <string>

#include "calls/host_functions.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "registry/module_registry.h"
#include "instance/links.h"
#include "supervisor/supervisor.h"

namespace orivon::calls {

class CallRouter final : public instance::Links {
 public:
  // `host_functions` must outlive the router.
  CallRouter(registry::ModuleRegistry& registry, supervisor::Supervisor& supervisor,
             const HostFunctions& host_functions)
      : registry_(registry), supervisor_(supervisor), host_functions_(host_functions) {}

  // Both counters only grow, so their sum changes whenever either does.
  std::uint64_t version() const override {
    return registry_.links_version() + host_functions_.generation();
  }
  instance::Route resolve(const ModuleId& caller, std::string_view import,
                          std::string_view function) override;
  void record_denial(const ModuleId& caller, const instance::route::Denied& denied) override;
  void record_unavailable(const ModuleId& caller,
                          const instance::route::Unavailable& unavailable) override;
  void record_library_call(const ModuleId& library, std::chrono::microseconds took,
                           bool trapped) override;
  std::shared_ptr<std::atomic<std::uint64_t>> typed_call_counter(const ModuleId& caller) override {
    return supervisor_.typed_call_counter(caller);
  }

  // A call into a group by a client (or a module): the first healthy member
  // (or the next in turn), failing over to the others while they are not
  // running. Members are called as another module would call them (numbers
  // take their kinds). Unavailable when none runs.
  Result<std::vector<Value>> call_group(const ModuleId& group, const std::string& function,
                                        std::span<const Value> args);

 private:
  registry::ModuleRegistry& registry_;
  supervisor::Supervisor& supervisor_;
  const HostFunctions& host_functions_;
  Mutex mutex_;
  // Round-robin position per group.
  std::map<ModuleId, std::uint64_t> next_member_ ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::calls
