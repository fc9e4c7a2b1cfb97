#pragma once

// Links a module's imports of other modules (see links.h) into the linker
// that instantiates it. One LinkState per store: it knows the store's
// module, the Links to ask, and the libraries instantiated in this store so
// far (a library lives in its caller's store, created on its first call).

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "engine/engine.h"
#include "orivon/value.h"
#include "instance/links.h"
#include "wasi/http_policy.h"

namespace orivon::instance {

// One imported function of one module, with its cached route.
struct ImportSite {
  ModuleId caller;       // the importing module (the store's module, or a library in it)
  std::string import;    // interface name, or core import module name
  std::string function;  // the function's name inside it
  std::uint64_t version = 0;  // Links::version() the route was decided at; 0: never
  Route route;
  // The caller's declared result type (components), read once at link time:
  // a core target's numbers are converted to it.
  std::optional<wasmtime::component::ValType> result_type;
};

// One function a module imports from another module (or from the functions
// the embedding client registered), as linking sees it.
struct ImportedFunction {
  std::string import;    // interface name, or core import module name
  std::string function;  // the function's name inside it
  // Whether a failed call can come back as a value: the function returns
  // result<_, string> (components only). Otherwise a failed call traps the
  // caller.
  bool carries_error = false;
};

// The functions `program` imports from other modules, in import order:
// exactly those linking routes through Links.
std::vector<ImportedFunction> imported_functions(engine::Engine& engine,
                                                 const internal::ProgramData& program);

class LinkState : public std::enable_shared_from_this<LinkState> {
 public:
  // `http` is the caller's outbound HTTP policy, which its libraries share.
  LinkState(engine::Engine& engine, Links& links, std::shared_ptr<const wasi::HttpPolicy> http)
      : engine_(engine), links_(links), http_(std::move(http)) {}

  // Defines each function of every non-WASI interface `component` imports.
  // Imports of other kinds are left for the linker to report.
  Result<void> link_component_imports(wasmtime::component::Linker& linker,
                                      const wasmtime::component::Component& component,
                                      const ModuleId& module);
  // Defines every function a core module imports from a module named by an
  // orivon module id.
  Result<void> link_core_imports(wasmtime::Linker& linker, const wasmtime::Module& module,
                                 const ModuleId& caller);

  // The per-call limit on values (RuntimeOptions::max_call_bytes).
  std::size_t max_call_bytes() const { return engine_.max_call_bytes(); }
  // The route of `site`, decided again if the grants changed since.
  const Route& route_of(ImportSite& site);
  // Carries one call through `site` to a Remote route or a Library, in
  // component values. `store` is the caller's store (a library is
  // instantiated in it).
  Result<std::vector<wasmtime::component::Val>> call_component(
      ImportSite& site, wasmtime::Store::Context store,
      std::span<const wasmtime::component::Val> args);
  // The same in orivon Values, for the typed path: strings and list<u8>s
  // (as Bytes) cross in bulk, a library's function is called through a typed
  // call when its shape allows.
  Result<std::vector<Value>> call_values(ImportSite& site, wasmtime::Store::Context store,
                                         std::span<const Value> args);
  // The same for a core module's import: numbers only, and no libraries.
  Result<std::vector<Value>> call_core(ImportSite& site, std::span<const Value> args);

 private:
  // Defines the import `name` of `instance` with a typed forwarder when the
  // engine takes the typed path and the function's shape allows it. False:
  // not defined (use the generic host function).
  Result<bool> add_typed_forwarder(wasmtime::component::LinkerInstance& instance,
                                   const std::string& name,
                                   const wasmtime::component::FuncType& type,
                                   std::shared_ptr<ImportSite> site);
  // The error a Denied or Unavailable route gives; records a denial.
  Error refusal(const ImportSite& site, const Route& route);
  Result<wasmtime::component::Func> library_function(wasmtime::Store::Context store,
                                                     const route::Library& library);

  engine::Engine& engine_;
  Links& links_;
  const std::shared_ptr<const wasi::HttpPolicy> http_;
  struct Library {
    wasmtime::component::Instance instance;
    std::map<std::string, wasmtime::component::Func> functions;
  };
  std::map<ModuleId, Library> libraries_;  // used by the store's thread only
  std::set<ModuleId> instantiating_;       // libraries being instantiated (cycle guard)
};

}  // namespace orivon::instance
