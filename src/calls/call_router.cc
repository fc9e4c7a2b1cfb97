#include "calls/call_router.h"

#include "orivon/grants.h"
#include "values/value_conversion.h"

namespace orivon::calls {
namespace {

using instance::Route;

bool permits(const registry::GrantSnapshot::Entry& entry, const std::string& function) {
  return entry.all || entry.functions.contains(function);
}

// The function name a grant on `target` uses for import `function` of
// `interface`, or empty if the target does not provide it.
std::string provided_name(const ModuleId& target, const registry::ExportTable& exports,
                          const std::optional<registry::GroupSpec>& group,
                          std::string_view interface, std::string_view function) {
  const std::string qualified = std::string(interface) + "#" + std::string(function);
  if (group) return group->interface == interface ? qualified : std::string();
  if (exports.kind == ProgramKind::Component) {
    return exports.functions.contains(qualified) ? qualified : std::string();
  }
  // A core module serves a component's import by the function's own name.
  (void)target;
  return exports.functions.contains(std::string(function)) ? std::string(function) : std::string();
}

Route::Kind kind_of(const ModuleId& target) {
  switch (target.kind()) {
    case ModuleKind::Library: return Route::Kind::Library;
    case ModuleKind::Group: return Route::Kind::Group;
    case ModuleKind::Service: break;
  }
  return Route::Kind::Service;
}

}  // namespace

Route CallRouter::resolve_host(const ModuleId& caller, std::string_view interface,
                              std::string_view function) {
  Route route;
  route.target = "host";
  route.function = std::string(interface) + "#" + std::string(function);
  bool granted = false;
  if (auto allowed = registry_.allowed_grants(caller)) {
    for (const auto& text : *allowed) {
      auto grant = parse_grant(text);
      const auto* host = grant ? std::get_if<HostGrant>(&*grant) : nullptr;
      if (host != nullptr && host->interface == interface) granted = true;
    }
  }
  if (!granted) {
    route.kind = Route::Kind::Denied;
    route.message = "'" + caller.str() + "' may not call the host function " + route.function +
                    ": no grant (orivon allow " + caller.str() + " host:" +
                    std::string(interface) + ")";
    return route;
  }
  auto callback = host_functions_.find(interface, function);
  if (!callback) {
    route.kind = Route::Kind::Unavailable;
    route.message = "the host registered no function " + route.function + " (imported by '" +
                    caller.str() + "')";
    return route;
  }
  route.kind = Route::Kind::Host;
  route.handle = std::const_pointer_cast<HostFunction>(callback);
  return route;
}

Result<std::vector<wasmtime::component::Val>> CallRouter::call_host(
    const Route& route, std::span<const wasmtime::component::Val> args) {
  std::vector<Value> values;
  values.reserve(args.size());
  for (const auto& arg : args) {
    ORIVON_TRY(auto value, values::from_wasmtime(arg));
    values.push_back(std::move(value));
  }
  const auto& callback = *std::static_pointer_cast<const HostFunction>(route.handle);
  Result<std::vector<Value>> returned = std::vector<Value>{};
  try {
    returned = callback(values);
  } catch (...) {
    return Error(ErrorCode::Internal, "the host function " + route.function + " threw");
  }
  if (!returned) return Error::wrap("host function " + route.function, returned.error());
  // Unchecked here: Wasmtime checks each result against the import's type
  // when it hands it to the guest, and a mismatch traps the caller.
  std::vector<wasmtime::component::Val> results;
  for (const auto& value : *returned) results.push_back(values::to_wasmtime_unchecked(value));
  return results;
}

Route CallRouter::resolve(const ModuleId& caller, std::string_view import,
                          std::string_view function) {
  if (host_functions_.has_interface(import)) return resolve_host(caller, import, function);
  const auto snapshot = registry_.grant_snapshot();
  const auto* grants = snapshot->grants_of(caller.str());
  const auto core_target = ModuleId::parse(import);  // a core caller names its target

  auto route_to = [&](const ModuleId& target, std::string name) -> Route {
    Route route;
    route.kind = kind_of(target);
    route.target = target.str();
    route.function = std::move(name);
    if (route.kind == Route::Kind::Service) route.handle = supervisor_.handle(target);
    if (route.kind == Route::Kind::Library) {
      auto program = registry_.program(target);
      if (!program) {
        route.kind = Route::Kind::Unavailable;
        route.message = "library '" + target.str() + "' cannot be loaded: " +
                        program.error().message();
      } else {
        route.program = program->shared_data();
      }
    }
    return route;
  };
  auto denied = [&](const std::string& target, const std::string& name) {
    Route route;
    route.kind = Route::Kind::Denied;
    route.target = target;
    route.function = name;
    route.message = "'" + caller.str() + "' may not call " + name + " of '" + target +
                    "': no grant (orivon grant " + caller.str() + " " + target + " " + name + ")";
    return route;
  };

  // Which target provides the import, and by which name.
  auto provides = [&](const ModuleId& target) -> std::string {
    auto exports = registry_.exports(target);
    if (!exports) return {};
    if (core_target) {
      if (target != *core_target) return {};
      if ((*exports)->kind == ProgramKind::CoreModule) {
        return (*exports)->functions.contains(std::string(function)) ? std::string(function)
                                                                     : std::string();
      }
      // A core module calling a component by function name: unique match.
      std::string found;
      for (const auto& [name, signature] : (*exports)->functions) {
        auto hash = name.rfind('#');
        const std::string bare = hash == std::string::npos ? name : name.substr(hash + 1);
        if (bare == function) {
          if (!found.empty()) return {};
          found = name;
        }
      }
      return found;
    }
    std::optional<registry::GroupSpec> group;
    if (target.kind() == ModuleKind::Group) {
      auto spec = registry_.group(target);
      if (!spec) return {};
      group = *spec;
    }
    return provided_name(target, **exports, group, import, function);
  };

  std::optional<Route> first_denial;
  if (grants) {
    for (const auto& entry : *grants) {
      auto target = ModuleId::parse(entry.target);
      if (!target) continue;
      const std::string name = provides(*target);
      if (name.empty()) continue;
      if (permits(entry, name)) return route_to(*target, name);
      if (!first_denial) first_denial = denied(entry.target, name);
    }
  }
  if (first_denial) return *first_denial;

  // No grant reaches a provider: name one for the message, if any exists.
  if (core_target) {
    if (registry_.exports(*core_target)) {
      std::string name = provides(*core_target);
      return denied(core_target->str(), name.empty() ? std::string(function) : name);
    }
    Route route;
    route.kind = Route::Kind::Unavailable;
    route.target = core_target->str();
    route.function = std::string(function);
    route.message = "'" + caller.str() + "' imports " + std::string(function) + " from '" +
                    core_target->str() + "', which is not installed";
    return route;
  }
  // A group standing for the interface is what the caller should be
  // granted, so it is named before any single module exporting it.
  if (auto modules = registry_.list()) {
    std::optional<Route> module_provider;
    for (const auto& info : *modules) {
      if (info.id == caller) continue;
      const std::string name = provides(info.id);
      if (name.empty()) continue;
      if (info.id.kind() == ModuleKind::Group) return denied(info.id.str(), name);
      if (!module_provider) module_provider = denied(info.id.str(), name);
    }
    if (module_provider) return *module_provider;
  }
  Route route;
  route.kind = Route::Kind::Unavailable;
  route.function = std::string(import) + "#" + std::string(function);
  route.message = "no installed module exports " + route.function + " (imported by '" +
                  caller.str() + "')";
  return route;
}

Result<std::vector<wasmtime::component::Val>> CallRouter::call(
    const Route& route, std::span<const wasmtime::component::Val> args) {
  if (route.kind == Route::Kind::Host) return call_host(route, args);
  if (route.kind == Route::Kind::Service && route.handle) {
    return supervisor_.call_values(
        std::static_pointer_cast<supervisor::Supervisor::Service>(route.handle), route.function,
        args);
  }
  auto target = ModuleId::parse(route.target);
  if (!target) return Error(ErrorCode::Internal, "bad route target '" + route.target + "'");
  if (route.kind == Route::Kind::Group) return call_group(*target, route.function, args);
  return supervisor_.call_values(*target, route.function, args);
}

Result<std::vector<wasmtime::component::Val>> CallRouter::call_group(
    const ModuleId& group, const std::string& function,
    std::span<const wasmtime::component::Val> args) {
  ORIVON_TRY(auto spec, registry_.group(group));
  const auto snapshot = registry_.grant_snapshot();
  std::vector<ModuleId> members;
  if (const auto* grants = snapshot->grants_of(group.str())) {
    for (const auto& entry : *grants) {
      if (auto member = ModuleId::parse(entry.target)) members.push_back(*member);
    }
  }
  if (members.empty()) {
    return Error(ErrorCode::Unavailable, "group '" + group.str() + "' has no members");
  }
  std::size_t start = 0;
  if (spec.routing == GroupRouting::RoundRobin) {
    std::lock_guard lock(mutex_);
    start = static_cast<std::size_t>(next_member_[group.str()]++ % members.size());
  }
  // Members that are not running are skipped; one that stopped between the
  // check and the call is skipped too. A member that fails during the call
  // (a trap) is not retried elsewhere: the call may have had effects.
  for (std::size_t i = 0; i < members.size(); ++i) {
    const ModuleId& member = members[(start + i) % members.size()];
    if (!supervisor_.is_running(member)) continue;
    auto result = supervisor_.call_values(member, function, args);
    if (!result && result.error().code() == ErrorCode::FailedPrecondition &&
        result.error().message().find("is not running") != std::string::npos) {
      continue;
    }
    return result;
  }
  return Error(ErrorCode::Unavailable, "no member of group '" + group.str() + "' is running");
}

void CallRouter::record_denial(const ModuleId& caller, const Route& route) {
  supervisor_.count_denial(caller);
  supervisor_.note(caller, "denied: " + route.message);
}

}  // namespace orivon::calls
