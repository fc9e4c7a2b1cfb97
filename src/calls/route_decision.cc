#include "calls/route_decision.h"

#include <optional>
#include <utility>

#include "orivon/grants.h"

namespace orivon::calls {
namespace {

using Kind = RouteDecision::Kind;

bool permits(const registry::GrantSnapshot::Entry& entry, const std::string& function) {
  return entry.all || entry.functions.contains(function);
}

// The function name a grant on `target` uses for import `function` of
// `interface`, or empty if the target does not provide it.
std::string provided_name(const registry::ExportTable& exports,
                          const std::optional<registry::GroupSpec>& group,
                          std::string_view interface, std::string_view function) {
  const std::string qualified = std::string(interface) + "#" + std::string(function);
  if (group) return group->interface == interface ? qualified : std::string();
  if (exports.kind == ProgramKind::Component) {
    return exports.functions.contains(qualified) ? qualified : std::string();
  }
  // A core module serves a component's import by the function's own name.
  return exports.functions.contains(std::string(function)) ? std::string(function) : std::string();
}

RouteDecision denied(const ModuleId& caller, const std::string& target, const std::string& name) {
  return RouteDecision{Kind::Denied, target, name,
                       "'" + caller.str() + "' may not call " + name + " of '" + target +
                           "': no grant (orivon grant " + caller.str() + " " + target + " " +
                           name + ")"};
}

RouteDecision unavailable(std::string message) {
  return RouteDecision{Kind::Unavailable, "", "", std::move(message)};
}

RouteDecision decide_host(registry::ModuleRegistry& registry, const HostFunctions& host_functions,
                          const ModuleId& caller, std::string_view interface,
                          std::string_view function) {
  const std::string name = std::string(interface) + "#" + std::string(function);
  bool granted = false;
  if (auto allowed = registry.allowed_grants(caller)) {
    for (const auto& text : *allowed) {
      auto grant = parse_grant(text);
      const auto* host = grant ? std::get_if<HostGrant>(&*grant) : nullptr;
      if (host != nullptr && host->interface == interface) granted = true;
    }
  }
  if (!granted) {
    return RouteDecision{Kind::Denied, "", name,
                         "'" + caller.str() + "' may not call the host function " + name +
                             ": no grant (orivon allow " + caller.str() + " host:" +
                             std::string(interface) + ")"};
  }
  if (!host_functions.find(interface, function)) {
    return unavailable("the host registered no function " + name + " (imported by '" +
                       caller.str() + "')");
  }
  return RouteDecision{Kind::Granted, std::string(kHostTarget), name, ""};
}

// `id` with its exports, and its interface when it is a group; nullopt
// when either cannot be read.
std::optional<ProviderCandidates::Candidate> read_candidate(registry::ModuleRegistry& registry,
                                                            const ModuleId& id) {
  auto exports = registry.exports(id);
  if (!exports) return std::nullopt;
  ProviderCandidates::Candidate candidate{id, *exports, std::nullopt};
  if (id.kind() == ModuleKind::Group) {
    auto spec = registry.group(id);
    if (!spec) return std::nullopt;
    candidate.group = std::move(*spec);
  }
  return candidate;
}

}  // namespace

const std::vector<ProviderCandidates::Candidate>& ProviderCandidates::all() {
  if (all_) return *all_;
  all_.emplace();
  auto modules = registry_.list();
  if (!modules) return *all_;
  all_->reserve(modules->size());
  for (const auto& info : *modules) {
    if (auto candidate = read_candidate(registry_, info.id)) all_->push_back(std::move(*candidate));
  }
  return *all_;
}

RouteDecision decide_route(registry::ModuleRegistry& registry, const HostFunctions& host_functions,
                           const ModuleId& caller, std::string_view import,
                           std::string_view function, ProviderCandidates* candidates) {
  if (host_functions.has_interface(import)) {
    return decide_host(registry, host_functions, caller, import, function);
  }
  const auto snapshot = registry.grant_snapshot();
  const auto* grants = snapshot->grants_of(caller);
  const auto core_target = ModuleId::parse(import);  // a core caller names its target

  // Which target provides the import, and by which name.
  auto provides = [&](const ModuleId& target) -> std::string {
    if (core_target) {
      if (target != *core_target) return {};
      auto exports = registry.exports(target);
      if (!exports) return {};
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
    auto candidate = read_candidate(registry, target);
    if (!candidate) return {};
    return provided_name(*candidate->exports, candidate->group, import, function);
  };

  std::optional<RouteDecision> first_denial;
  if (grants) {
    for (const auto& entry : *grants) {
      const std::string name = provides(entry.target);
      if (name.empty()) continue;
      if (permits(entry, name)) return RouteDecision{Kind::Granted, entry.target.str(), name, ""};
      if (!first_denial) first_denial = denied(caller, entry.target.str(), name);
    }
  }
  if (first_denial) return *first_denial;

  // No grant reaches a provider: name one for the message, if any exists.
  if (core_target) {
    if (registry.exports(*core_target)) {
      std::string name = provides(*core_target);
      return denied(caller, core_target->str(), name.empty() ? std::string(function) : name);
    }
    return unavailable("'" + caller.str() + "' imports " + std::string(function) + " from '" +
                       core_target->str() + "', which is not installed");
  }
  // A group standing for the interface is what the caller should be
  // granted, so it is named before any single module exporting it.
  std::optional<ProviderCandidates> own;
  if (candidates == nullptr) candidates = &own.emplace(registry);
  std::optional<RouteDecision> module_provider;
  for (const auto& candidate : candidates->all()) {
    if (candidate.id == caller) continue;
    const std::string name = provided_name(*candidate.exports, candidate.group, import, function);
    if (name.empty()) continue;
    if (candidate.group) return denied(caller, candidate.id.str(), name);
    if (!module_provider) module_provider = denied(caller, candidate.id.str(), name);
  }
  if (module_provider) return *module_provider;
  return unavailable("no installed module exports " + std::string(import) + "#" +
                     std::string(function) + " (imported by '" + caller.str() + "')");
}

}  // namespace orivon::calls

namespace orivon {

std::string_view import_route_status_name(ImportRoute::Status status) {
  switch (status) {
    case ImportRoute::Status::Granted:
      return "granted";
    case ImportRoute::Status::Denied:
      return "denied";
    case ImportRoute::Status::Unavailable:
      return "unavailable";
  }
  return "unavailable";
}

std::string import_route_text(const ModuleId& caller, const ImportRoute& route) {
  const std::string outcome =
      route.carries_error ? "a call returns an error" : "a call will trap";
  switch (route.status) {
    case ImportRoute::Status::Granted:
      return "-> " + route.target + " (granted)";
    case ImportRoute::Status::Denied: {
      // A host function has no provider module: the grant is a system one.
      const std::string hint =
          route.target.empty()
              ? "orivon allow " + caller.str() + " host:" + route.import
              : "orivon grant " + caller.str() + " " + route.target + " " + route.target_function;
      return "NO GRANT: " + outcome + " (" + hint + ")";
    }
    case ImportRoute::Status::Unavailable:
      return "NOT INSTALLED: no module provides it; " + outcome;
  }
  return outcome;
}

}  // namespace orivon
