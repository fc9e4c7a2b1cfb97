#include "calls/call_router.h"

#include "core/limits.h"
#include "core/strings.h"
#include "orivon/grants.h"

namespace orivon::calls {
namespace {

using instance::Route;
namespace route = instance::route;

// A running service, reached through its supervisor handle.
class ServiceCallee final : public instance::Callee {
 public:
  ServiceCallee(supervisor::Supervisor& supervisor,
                std::shared_ptr<supervisor::Supervisor::Service> service)
      : supervisor_(supervisor), service_(std::move(service)) {}
  Result<std::vector<Value>> call(const std::string& function,
                                  std::span<const Value> args) override {
    supervisor::Supervisor::CallOptions options;
    options.from = supervisor::Supervisor::CallOptions::From::Module;
    ORIVON_TRY(auto returned, supervisor_.call(service_, function, args, options));
    return std::move(returned.values);
  }

 private:
  supervisor::Supervisor& supervisor_;
  const std::shared_ptr<supervisor::Supervisor::Service> service_;
};

// A group: one of its running members serves the call.
class GroupCallee final : public instance::Callee {
 public:
  GroupCallee(CallRouter& router, ModuleId group) : router_(router), group_(std::move(group)) {}
  Result<std::vector<Value>> call(const std::string& function,
                                  std::span<const Value> args) override {
    return router_.call_group(group_, function, args);
  }

 private:
  CallRouter& router_;
  const ModuleId group_;
};

// A function the embedding client registered.
class HostCallee final : public instance::Callee {
 public:
  explicit HostCallee(std::shared_ptr<const HostFunction> callback)
      : callback_(std::move(callback)) {}
  // Results are unchecked here: Wasmtime checks each against the import's
  // type when it hands it to the guest, and a mismatch traps the caller.
  Result<std::vector<Value>> call(const std::string& function,
                                  std::span<const Value> args) override {
    Result<std::vector<Value>> returned = std::vector<Value>{};
    try {
      returned = (*callback_)(args);
    } catch (...) {
      return Error(ErrorCode::Internal, "the host function " + function + " threw");
    }
    if (!returned) return Error::wrap("host function " + function, returned.error());
    return returned;
  }

 private:
  const std::shared_ptr<const HostFunction> callback_;
};

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

route::Denied denied_route(const ModuleId& caller, const std::string& target,
                          const std::string& name) {
  return route::Denied{target, name,
                       "'" + caller.str() + "' may not call " + name + " of '" + target +
                           "': no grant (orivon grant " + caller.str() + " " + target + " " +
                           name + ")"};
}

}  // namespace

Route CallRouter::resolve_host(const ModuleId& caller, std::string_view interface,
                               std::string_view function) {
  const std::string name = std::string(interface) + "#" + std::string(function);
  bool granted = false;
  if (auto allowed = registry_.allowed_grants(caller)) {
    for (const auto& text : *allowed) {
      auto grant = parse_grant(text);
      const auto* host = grant ? std::get_if<HostGrant>(&*grant) : nullptr;
      if (host != nullptr && host->interface == interface) granted = true;
    }
  }
  if (!granted) {
    return route::Denied{"", name,
                         "'" + caller.str() + "' may not call the host function " + name +
                             ": no grant (orivon allow " + caller.str() + " host:" +
                             std::string(interface) + ")"};
  }
  auto callback = host_functions_.find(interface, function);
  if (!callback) {
    return route::Unavailable{"the host registered no function " + name + " (imported by '" +
                              caller.str() + "')"};
  }
  return route::Remote{"host", name, std::make_shared<HostCallee>(std::move(callback))};
}

Route CallRouter::resolve(const ModuleId& caller, std::string_view import,
                          std::string_view function) {
  if (host_functions_.has_interface(import)) return resolve_host(caller, import, function);
  const auto snapshot = registry_.grant_snapshot();
  const auto* grants = snapshot->grants_of(caller);
  const auto core_target = ModuleId::parse(import);  // a core caller names its target

  auto route_to = [&](const ModuleId& target, std::string name) -> Route {
    switch (target.kind()) {
      case ModuleKind::Library: {
        auto program = registry_.program(target);
        if (!program) {
          return route::Unavailable{"library '" + target.str() + "' cannot be loaded: " +
                                    program.error().message()};
        }
        return route::Library{target, std::move(name), program->shared_data()};
      }
      case ModuleKind::Group:
        return route::Remote{target.str(), std::move(name),
                             std::make_shared<GroupCallee>(*this, target)};
      case ModuleKind::Service:
        break;
    }
    return route::Remote{target.str(), std::move(name),
                         std::make_shared<ServiceCallee>(supervisor_, supervisor_.handle(target))};
  };
  auto denied = [&](const std::string& target, const std::string& name) -> Route {
    return denied_route(caller, target, name);
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
      const std::string name = provides(entry.target);
      if (name.empty()) continue;
      if (permits(entry, name)) return route_to(entry.target, name);
      if (!first_denial) first_denial = denied(entry.target.str(), name);
    }
  }
  if (first_denial) return *first_denial;

  // No grant reaches a provider: name one for the message, if any exists.
  if (core_target) {
    if (registry_.exports(*core_target)) {
      std::string name = provides(*core_target);
      return denied(core_target->str(), name.empty() ? std::string(function) : name);
    }
    return route::Unavailable{"'" + caller.str() + "' imports " + std::string(function) +
                              " from '" + core_target->str() + "', which is not installed"};
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
  return route::Unavailable{"no installed module exports " + std::string(import) + "#" +
                            std::string(function) + " (imported by '" + caller.str() + "')"};
}

Result<std::vector<Value>> CallRouter::call_group(const ModuleId& group,
                                                  const std::string& function,
                                                  std::span<const Value> args) {
  ORIVON_TRY(auto spec, registry_.group(group));
  const auto snapshot = registry_.grant_snapshot();
  std::vector<ModuleId> members;
  if (const auto* grants = snapshot->grants_of(group)) {
    for (const auto& entry : *grants) members.push_back(entry.target);
  }
  if (members.empty()) {
    return Error(ErrorCode::Unavailable, "group '" + group.str() + "' has no members");
  }
  std::size_t start = 0;
  if (spec.routing == GroupRouting::RoundRobin) {
    MutexLock lock(mutex_);
    start = static_cast<std::size_t>(next_member_[group]++ % members.size());
  }
  // Members that are not running are skipped; one that stopped between the
  // check and the call is skipped too. A member that fails during the call
  // (a trap) is not retried elsewhere: the call may have had effects.
  for (std::size_t i = 0; i < members.size(); ++i) {
    const ModuleId& member = members[(start + i) % members.size()];
    if (!supervisor_.is_running(member)) continue;
    supervisor::Supervisor::CallOptions options;
    options.from = supervisor::Supervisor::CallOptions::From::Module;
    auto result = supervisor_.call(member, function, args, options);
    if (!result && result.error().tag() == ErrorTag::NotRunning) continue;
    if (!result) return result.error();
    return std::move(result->values);
  }
  return Error(ErrorCode::Unavailable, "no member of group '" + group.str() + "' is running");
}

void CallRouter::record_denial(const ModuleId& caller, const route::Denied& denied) {
  supervisor_.count_denial(caller);
  // Bounded: the message holds names from the caller's own binary.
  supervisor_.note(caller,
                   elide_middle("denied: " + denied.message, limits::kMaxFailureTextBytes));
}

void CallRouter::record_unavailable(const ModuleId& caller,
                                    const route::Unavailable& unavailable) {
  supervisor_.note(caller, elide_middle("call failed: " + unavailable.message,
                                        limits::kMaxFailureTextBytes));
}

}  // namespace orivon::calls
