#include "instance/import_linking.h"

#include "engine/error_conversion.h"
#include "values/core_values.h"
#include "values/numeric_bridge.h"
#include "values/value_conversion.h"

namespace orivon::instance {
namespace {

namespace wc = wasmtime::component;

// How a failed call reaches the calling guest. A function declared to
// return `result<_, string>` (or `result<T, string>`) gets `err(message)`:
// the guest can handle a denial or an unavailable target like any other
// error. Any other function cannot carry the error, so the caller traps
// with the message (and, being a service, is restarted by its policy).
wasmtime::Result<std::monostate> deliver_failure(const wc::FuncType& type,
                                                 wasmtime::Span<wc::Val> results,
                                                 const Error& error, bool may_return_err) {
  const std::string message = error.message();
  if (may_return_err && results.size() == 1) {
    auto result_type = type.result();
    if (result_type && result_type->is_result()) {
      auto err_type = result_type->result().err();
      if (err_type && err_type->is_string()) {
        results[0] = wc::Val(wc::WitResult::err(wc::Val::string(message)));
        return std::monostate{};
      }
    }
  }
  return wasmtime::Error(message);
}

// The export index of "iface#func" (or "func") in `component`.
std::optional<wc::ExportIndex> export_index(const wc::Component& component,
                                            const std::string& name) {
  auto hash = name.find('#');
  if (hash == std::string::npos) return component.export_index(nullptr, name);
  auto outer = component.export_index(nullptr, name.substr(0, hash));
  if (!outer) return std::nullopt;
  return component.export_index(&*outer, name.substr(hash + 1));
}

// The module a route leads to, for messages.
std::string target_name(const Route& route) {
  if (const auto* remote = std::get_if<route::Remote>(&route)) return remote->target;
  if (const auto* library = std::get_if<route::Library>(&route)) return library->target.str();
  if (const auto* denied = std::get_if<route::Denied>(&route)) return denied->provider;
  return {};
}

}  // namespace

Result<void> LinkState::link_component_imports(wc::Linker& linker, const wc::Component& component,
                                               const ModuleId& module) {
  wasmtime::Engine& engine = engine_.wasmtime_engine();
  auto type = component.type();
  auto root = linker.root();
  for (std::size_t i = 0; i < type.import_count(engine); ++i) {
    auto item = type.import_nth(engine, i);
    if (!item || !item->second.is_component_instance()) continue;
    const std::string interface(item->first);
    if (engine::is_host_namespace(interface)) continue;
    const auto& instance_type = item->second.component_instance();
    auto added = root.add_instance(interface);
    if (!added) {
      return engine::to_error(added.err(), ErrorCode::Internal, "linking '" + interface + "'");
    }
    wc::LinkerInstance instance = added.ok();
    for (std::size_t j = 0; j < instance_type.export_count(engine); ++j) {
      auto inner = instance_type.export_nth(engine, j);
      if (!inner || !inner->second.is_component_func()) continue;
      auto site = std::make_shared<ImportSite>(
          ImportSite{module, interface, std::string(inner->first), 0, Route{},
                     inner->second.component_func().result()});
      auto defined = instance.add_func(
          inner->first,
          [state = shared_from_this(), site](wasmtime::Store::Context store,
                                             const wc::FuncType& func_type,
                                             wasmtime::Span<wc::Val> args,
                                             wasmtime::Span<wc::Val> results)
              -> wasmtime::Result<std::monostate> {
            try {
              auto returned = state->call_component(*site, store, std::span<const wc::Val>(args));
              // A library shares the caller's store: its failure is the caller's.
              const bool library = std::holds_alternative<route::Library>(site->route);
              if (!returned) return deliver_failure(func_type, results, returned.error(), !library);
              if (returned->size() != results.size()) {
                return deliver_failure(
                    func_type, results,
                    Error(ErrorCode::InvalidArgument,
                          "'" + target_name(site->route) + "' returned " +
                              std::to_string(returned->size()) + " values for " + site->function +
                              ", its caller expects " + std::to_string(results.size())),
                    !library);
              }
              for (std::size_t k = 0; k < results.size(); ++k) {
                wc::Val& value = (*returned)[k];
                // Numbers from a core module take the kind the caller declared.
                if (site->result_type && (value.is_s32() || value.is_s64() || value.is_f32())) {
                  results[k] = values::coerce_number(value, *site->result_type);
                  continue;
                }
                results[k] = std::move(value);
              }
              return std::monostate{};
            } catch (...) {
              return wasmtime::Error("orivon: host-side failure in a call to another module");
            }
          });
      if (!defined) {
        return engine::to_error(defined.err(), ErrorCode::Internal,
                                "linking '" + interface + "#" + site->function + "'");
      }
    }
  }
  return ok();
}

Result<void> LinkState::link_core_imports(wasmtime::Linker& linker, const wasmtime::Module& module,
                                          const ModuleId& caller) {
  // Through the C API: the C++ API's ValType::Ref does not expose its kind.
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(module.capi(), &imports);
  struct Free {
    wasm_importtype_vec_t& vec;
    ~Free() { wasm_importtype_vec_delete(&vec); }
  } free_imports{imports};
  for (std::size_t i = 0; i < imports.size; ++i) {
    const wasm_importtype_t* import = imports.data[i];
    const wasm_name_t* module_name = wasm_importtype_module(import);
    const wasm_name_t* field_name = wasm_importtype_name(import);
    const std::string import_module(module_name->data, module_name->size);
    const std::string import_name(field_name->data, field_name->size);
    if (!ModuleId::parse(import_module)) continue;  // WASI, or another convention
    const wasm_functype_t* c_type = wasm_externtype_as_functype_const(wasm_importtype_type(import));
    if (c_type == nullptr) continue;
    std::vector<wasmtime::ValKind> result_kinds;
    const wasm_valtype_vec_t* c_results = wasm_functype_results(c_type);
    for (std::size_t k = 0; k < c_results->size; ++k) {
      result_kinds.push_back(values::core_value_kind(c_results->data[k]));
    }
    wasmtime::FuncType func_type{wasmtime::FuncType::Ref(c_type)};
    auto site = std::make_shared<ImportSite>(
        ImportSite{caller, import_module, import_name, 0, Route{}, std::nullopt});
    auto defined = linker.func_new(
        import_module, import_name, func_type,
        [state = shared_from_this(), site, result_kinds](
            wasmtime::Caller, wasmtime::Span<const wasmtime::Val> args,
            wasmtime::Span<wasmtime::Val> results) -> wasmtime::Result<std::monostate, wasmtime::Trap> {
          try {
            std::vector<Value> values;
            values.reserve(args.size());
            for (const auto& arg : args) {
              auto value = values::value_from_core(arg);
              if (!value) return wasmtime::Trap(value.error().message());
              values.push_back(std::move(*value));
            }
            auto returned = state->call_core(*site, values);
            if (!returned) return wasmtime::Trap(returned.error().message());
            if (returned->size() != results.size()) {
              return wasmtime::Trap("'" + target_name(site->route) + "' returned " +
                                    std::to_string(returned->size()) + " values for " +
                                    site->function + ", its caller expects " +
                                    std::to_string(results.size()));
            }
            for (std::size_t k = 0; k < results.size(); ++k) {
              auto value = values::core_from_component(
                  values::to_wasmtime_unchecked((*returned)[k]), result_kinds[k]);
              if (!value) return wasmtime::Trap(value.error().message());
              results[k] = std::move(*value);
            }
            return std::monostate{};
          } catch (...) {
            return wasmtime::Trap("orivon: host-side failure in a call to another module");
          }
        });
    if (!defined) {
      return engine::to_error(defined.err(), ErrorCode::Internal,
                              "linking '" + site->import + "::" + site->function + "'");
    }
  }
  return ok();
}

const Route& LinkState::route_of(ImportSite& site) {
  const std::uint64_t version = links_.version();
  if (site.version != version) {
    site.route = links_.resolve(site.caller, site.import, site.function);
    site.version = version;
  }
  return site.route;
}

Result<std::vector<wc::Val>> LinkState::call_component(ImportSite& site,
                                                       wasmtime::Store::Context store,
                                                       std::span<const wc::Val> args) {
  const Route& route = route_of(site);
  if (const auto* remote = std::get_if<route::Remote>(&route)) {
    std::vector<Value> passed;
    passed.reserve(args.size());
    for (const auto& arg : args) {
      ORIVON_TRY(auto value, values::from_wasmtime(arg));
      passed.push_back(std::move(value));
    }
    ORIVON_TRY(auto returned, remote->callee->call(remote->function, passed));
    std::vector<wc::Val> results;
    results.reserve(returned.size());
    for (const auto& value : returned) results.push_back(values::to_wasmtime_unchecked(value));
    return results;
  }
  if (const auto* library = std::get_if<route::Library>(&route)) {
    ORIVON_TRY(auto func, library_function(store, *library));
    std::vector<wc::Val> results;
    if (func.type(store).result()) results.emplace_back(false);
    auto called = func.call(store, args, results);
    if (!called) {
      return engine::to_error(called.err(), ErrorCode::Trapped,
                              "library '" + library->target.str() + "' " + library->function);
    }
    auto post = func.post_return(store);
    if (!post) return engine::to_error(post.err(), ErrorCode::Trapped, "post-return");
    return results;
  }
  return refusal(site, route);
}

Result<std::vector<Value>> LinkState::call_core(ImportSite& site, std::span<const Value> args) {
  const Route& route = route_of(site);
  if (const auto* remote = std::get_if<route::Remote>(&route)) {
    return remote->callee->call(remote->function, args);
  }
  if (const auto* library = std::get_if<route::Library>(&route)) {
    return Error(ErrorCode::Unimplemented,
                 "'" + site.caller.str() + "' is a core module; only components can use "
                 "the library '" + library->target.str() + "'");
  }
  return refusal(site, route);
}

Error LinkState::refusal(const ImportSite& site, const Route& route) {
  if (const auto* denied = std::get_if<route::Denied>(&route)) {
    links_.record_denial(site.caller, *denied);
    return Error(ErrorCode::PermissionDenied, denied->message);
  }
  return Error(ErrorCode::Unavailable, std::get<route::Unavailable>(route).message);
}

Result<wc::Func> LinkState::library_function(wasmtime::Store::Context store,
                                             const route::Library& route) {
  const ModuleId& id = route.target;
  auto library = libraries_.find(id);
  if (library == libraries_.end()) {
    if (!route.program || !route.program->component) {
      return Error(ErrorCode::Unimplemented,
                   "library '" + id.str() + "' is a core module; libraries must be components");
    }
    if (instantiating_.contains(id)) {
      return Error(ErrorCode::FailedPrecondition,
                   "library '" + id.str() + "' calls itself while it is being instantiated");
    }
    instantiating_.insert(id);
    struct Done {
      std::set<ModuleId>& set;
      const ModuleId& id;
      ~Done() { set.erase(id); }
    } done{instantiating_, id};
    // The library shares the caller's store, so it also shares the caller's
    // WASI context: it never has more OS access than the module using it.
    wc::Linker linker(engine_.wasmtime_engine());
    ORIVON_RETURN_IF_ERROR(engine_.define_host(linker, http_));
    ORIVON_RETURN_IF_ERROR(link_component_imports(linker, *route.program->component, route.target));
    auto instance = linker.instantiate(store, *route.program->component);
    if (!instance) {
      return engine::to_error(instance.err(), ErrorCode::FailedPrecondition,
                              "instantiating library '" + id.str() + "'");
    }
    library = libraries_.emplace(id, Library{instance.ok(), {}}).first;
  }
  auto& functions = library->second.functions;
  auto found = functions.find(route.function);
  if (found != functions.end()) return found->second;
  auto index = export_index(*route.program->component, route.function);
  if (!index) {
    return Error(ErrorCode::NotFound,
                 "library '" + id.str() + "' exports no function '" + route.function + "'");
  }
  auto func = library->second.instance.get_func(store, *index);
  if (!func) {
    return Error(ErrorCode::NotFound,
                 "library '" + id.str() + "' exports no function '" + route.function + "'");
  }
  return functions.emplace(route.function, *func).first->second;
}

}  // namespace orivon::instance
