// Call grants between modules: validation (names, kind rules, group
// members), persistence and the snapshot the router reads on every call.

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "engine/interface_text.h"
#include "orivon/calls.h"
#include "registry/module_registry.h"

namespace orivon::registry {
namespace {

constexpr std::string_view kEveryFunction = "*";
constexpr std::size_t kMaxFunctionsPerGrant = 1024;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "(none)" : out;
}

std::vector<std::string> names_of(const std::map<std::string, std::string>& functions) {
  std::vector<std::string> names;
  for (const auto& [name, signature] : functions) names.push_back(name);
  return names;
}

// How many dependents a refusal names one by one; a library that thousands
// of services call must not make a message of megabytes.
constexpr std::size_t kMaxDependentsNamed = 50;

// "app.front.x may call lib.fmt.x (grant: fmt#format)", or for a group's
// member "group.g.x has app.m.x as a member".
std::string describe_dependent(const CallGrant& grant) {
  if (grant.caller.kind() == ModuleKind::Group) {
    return grant.caller.str() + " has " + grant.target.str() + " as a member (grant: membership)";
  }
  return grant.caller.str() + " may call " + grant.target.str() + " (grant: " +
         (grant.functions.empty() ? std::string("every function") : join(grant.functions)) + ")";
}

}  // namespace

std::vector<CallGrant> call_grants_from_rows(const std::vector<CallGrantRow>& rows) {
  std::vector<CallGrant> grants;
  std::vector<bool> every_function;  // by position in `grants`
  std::map<std::pair<std::string, std::string>, std::size_t> position;  // by caller, target
  for (const auto& row : rows) {
    auto caller = ModuleId::parse(row.caller);
    auto target = ModuleId::parse(row.target);
    if (!caller || !target) continue;
    auto [found, added] = position.try_emplace({row.caller, row.target}, grants.size());
    if (added) {
      grants.push_back(CallGrant{*caller, *target, {}});
      every_function.push_back(false);
    }
    const std::size_t index = found->second;
    if (row.function == kEveryFunction) {
      every_function[index] = true;
    } else {
      grants[index].functions.push_back(row.function);
    }
  }
  for (std::size_t i = 0; i < grants.size(); ++i) {
    if (every_function[i]) grants[i].functions.clear();
  }
  return grants;
}

Result<void> refuse_dependents(const ModuleId& id, const std::vector<CallGrant>& grants) {
  std::vector<const CallGrant*> held;
  for (const auto& grant : grants) {
    if (grant.target == id && grant.caller != id) held.push_back(&grant);
  }
  if (held.empty()) return ok();
  std::string message = "cannot remove '" + id.str() + "': ";
  message += held.size() == 1 ? "another module depends on it:"
                              : std::to_string(held.size()) + " modules depend on it:";
  for (std::size_t i = 0; i < held.size() && i < kMaxDependentsNamed; ++i) {
    message += "\n  " + describe_dependent(*held[i]);
  }
  if (held.size() > kMaxDependentsNamed) {
    message += "\n  ... and " + std::to_string(held.size() - kMaxDependentsNamed) +
               " more (inspect '" + id.str() + "' lists them all)";
  }
  message += "\nrevoke those grants first, or force the removal to remove them with it";
  return Error(ErrorCode::FailedPrecondition, std::move(message));
}

Result<void> ModuleRegistry::refuse_if_depended_on(const ModuleId& id) {
  ORIVON_TRY(auto grants, call_grants(std::nullopt));
  return refuse_dependents(id, grants);
}

ExportTable export_table(ProgramKind kind, const std::vector<engine::InterfaceItem>& exports) {
  ExportTable table;
  table.kind = kind;
  for (const auto& item : exports) {
    // Functions only: a component's core functions are not callable here.
    if (item.kind != engine::ItemKind::Function) continue;
    table.functions.emplace(item.name, item.signature);
    if (kind == ProgramKind::Component && !item.interface.empty()) {
      // "iface#f" belongs to "iface" as "f".
      table.interfaces[item.interface].emplace(item.name.substr(item.interface.size() + 1),
                                               item.signature);
    }
  }
  return table;
}

std::map<std::string, std::string> ExportTable::interface_functions(
    const std::string& interface) const {
  auto found = interfaces.find(interface);
  return found == interfaces.end() ? std::map<std::string, std::string>() : found->second;
}

Result<std::shared_ptr<const ExportTable>> ModuleRegistry::exports(const ModuleId& id) {
  MutexLock lock(mutex_);
  return exports_locked(id);
}

Result<std::shared_ptr<const ExportTable>> ModuleRegistry::exports_locked(const ModuleId& id) {
  if (auto cached = exports_.find(id); cached != exports_.end()) return cached->second;
  ORIVON_TRY(auto program, program_locked(id));
  ORIVON_TRY(auto interface, engine::program_interface(engine_.wasmtime_engine(), program.data()));
  auto table = std::make_shared<const ExportTable>(export_table(program.kind(), interface.exports));
  exports_.emplace(id, table);
  return table;
}

Result<GroupSpec> ModuleRegistry::group(const ModuleId& id) {
  MutexLock lock(mutex_);
  return group_locked(id);
}

Result<GroupSpec> ModuleRegistry::group_locked(const ModuleId& id) {
  if (id.kind() != ModuleKind::Group) {
    return Error(ErrorCode::FailedPrecondition, "'" + id.str() + "' is not a group module");
  }
  ORIVON_TRY(auto manifest, manifest_locked(id));
  ORIVON_TRY(auto exports, exports_locked(id));
  GroupSpec spec;
  std::map<std::string, std::string> settings;
  if (manifest) settings = manifest->group;
  if (auto routing = settings.find("routing");
      routing != settings.end() && routing->second == "round-robin") {
    spec.routing = GroupRouting::RoundRobin;
  }
  if (auto interface = settings.find("interface"); interface != settings.end()) {
    if (!exports->interfaces.contains(interface->second)) {
      return Error(ErrorCode::InvalidArgument,
                   "group '" + id.str() + "' names interface '" + interface->second +
                       "' but its binary does not export it");
    }
    spec.interface = interface->second;
  } else if (exports->interfaces.size() == 1) {
    spec.interface = exports->interfaces.begin()->first;
  } else {
    return Error(ErrorCode::InvalidArgument,
                 "group '" + id.str() + "' must export exactly one interface (it exports " +
                     std::to_string(exports->interfaces.size()) +
                     "), or name one with [group] interface in its manifest");
  }
  return spec;
}

Result<std::vector<std::string>> ModuleRegistry::grant_functions_locked(
    const ModuleId& target, const std::vector<std::string>& names) {
  if (names.size() > kMaxFunctionsPerGrant) {
    return Error(ErrorCode::InvalidArgument, "at most " + std::to_string(kMaxFunctionsPerGrant) +
                                                 " functions in one grant");
  }
  if (names.empty()) return std::vector<std::string>{std::string(kEveryFunction)};
  ORIVON_TRY(auto exports, exports_locked(target));
  std::map<std::string, std::string> callable = exports->functions;
  if (target.kind() == ModuleKind::Group) {
    // A group offers exactly the functions of its interface.
    ORIVON_TRY(auto spec, group_locked(target));
    callable.clear();
    for (const auto& [name, signature] : exports->interface_functions(spec.interface)) {
      callable.emplace(spec.interface + "#" + name, signature);
    }
  }
  const std::vector<std::string> callable_names = names_of(callable);
  std::vector<std::string> normalized;
  for (const auto& name : names) {
    // An unqualified name is fine when exactly one interface has it.
    const auto matches = resolve_function_name(name, callable_names);
    if (matches.size() == 1) {
      normalized.push_back(matches[0]);
    } else if (matches.empty()) {
      return Error(ErrorCode::NotFound, "'" + target.str() + "' exports no function '" + name +
                                            "'; its functions: " + join(names_of(callable)));
    } else {
      return Error(ErrorCode::InvalidArgument,
                   "'" + name + "' is ambiguous in '" + target.str() + "': " + join(matches) +
                       "; name it with its interface");
    }
  }
  std::sort(normalized.begin(), normalized.end());
  normalized.erase(std::unique(normalized.begin(), normalized.end()), normalized.end());
  return normalized;
}

Result<void> ModuleRegistry::grant_calls(const ModuleId& caller, const ModuleId& target,
                                         const std::vector<std::string>& functions) {
  MutexLock lock(mutex_);
  for (const ModuleId* id : {&caller, &target}) {
    ORIVON_TRY(auto record, store_->find(id->str()));
    if (!record) return Error(ErrorCode::NotFound, "no module '" + id->str() + "' is installed");
  }
  if (caller == target) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + caller.str() + "' calls its own functions without a grant");
  }
  // Kind rules.
  switch (caller.kind()) {
    case ModuleKind::Library:
      if (target.kind() != ModuleKind::Library) {
        return Error(ErrorCode::PermissionDenied,
                     "'" + caller.str() + "' is a library: it may be granted only other "
                     "libraries, not the " + std::string(module_kind_name(target.kind())) +
                         " '" + target.str() + "'");
      }
      break;
    case ModuleKind::Group: {
      if (target.kind() != ModuleKind::Service) {
        return Error(ErrorCode::PermissionDenied,
                     "'" + caller.str() + "' is a group: its members are service modules, not the " +
                         std::string(module_kind_name(target.kind())) + " '" + target.str() + "'");
      }
      if (!functions.empty()) {
        return Error(ErrorCode::InvalidArgument,
                     "a group is granted its members whole; leave out the function names");
      }
      // A member must export the group's interface with the same signatures.
      ORIVON_TRY(auto spec, group_locked(caller));
      ORIVON_TRY(auto group_exports, exports_locked(caller));
      ORIVON_TRY(auto member_exports, exports_locked(target));
      const auto wanted = group_exports->interface_functions(spec.interface);
      const auto offered = member_exports->interface_functions(spec.interface);
      for (const auto& [name, signature] : wanted) {
        auto found = offered.find(name);
        if (found == offered.end()) {
          return Error(ErrorCode::InvalidArgument,
                       "'" + target.str() + "' cannot join group '" + caller.str() +
                           "': it does not export " + spec.interface + "#" + name);
        }
        if (found->second != signature) {
          return Error(ErrorCode::InvalidArgument,
                       "'" + target.str() + "' cannot join group '" + caller.str() + "': " +
                           spec.interface + "#" + name + " is " + found->second +
                           " there, but the group's interface says " + signature);
        }
      }
      break;
    }
    case ModuleKind::Service:
      break;
  }
  ORIVON_TRY(auto normalized, grant_functions_locked(target, functions));
  ORIVON_RETURN_IF_ERROR(store_->add_call_grants(caller.str(), target.str(), normalized, now_seconds()));
  return republish_locked();
}

Result<void> ModuleRegistry::revoke_calls(const ModuleId& caller, const ModuleId& target,
                                          const std::vector<std::string>& functions) {
  MutexLock lock(mutex_);
  std::vector<std::string> rows;
  if (!functions.empty()) {
    // Revoke by the same names a grant takes; a name the target no longer
    // exports can still be revoked as stored.
    auto normalized = grant_functions_locked(target, functions);
    rows = normalized ? *normalized : functions;
  }
  ORIVON_TRY(auto removed, store_->remove_call_grants(caller.str(), target.str(), rows));
  if (removed == 0) {
    return Error(ErrorCode::NotFound, "'" + caller.str() + "' holds no such grant to '" +
                                          target.str() + "'");
  }
  return republish_locked();
}

Result<std::vector<CallGrant>> ModuleRegistry::call_grants(const std::optional<ModuleId>& caller) {
  MutexLock lock(mutex_);
  std::vector<CallGrant> out;
  for (const auto& [from, entries] : grants_->by_caller) {
    if (caller && *caller != from) continue;
    for (const auto& entry : entries) {
      CallGrant grant{from, entry.target, {}};
      if (!entry.all) grant.functions.assign(entry.functions.begin(), entry.functions.end());
      out.push_back(std::move(grant));
    }
  }
  return out;
}

std::shared_ptr<const GrantSnapshot> ModuleRegistry::grant_snapshot() {
  MutexLock lock(mutex_);
  return grants_;
}

Result<void> ModuleRegistry::republish_locked(const std::optional<ModuleId>& changed) {
  if (changed) exports_.erase(*changed);
  ORIVON_TRY(auto rows, store_->call_grants());
  auto snapshot = std::make_shared<GrantSnapshot>();
  for (const auto& row : rows) {
    // Ids were checked when the grant was made; a row that no longer parses
    // (a damaged database) names nothing a call could reach, so it is left out.
    auto caller = ModuleId::parse(row.caller);
    auto target = ModuleId::parse(row.target);
    if (!caller || !target) continue;
    auto& entries = snapshot->by_caller[*caller];
    auto entry = std::find_if(entries.begin(), entries.end(),
                              [&](const GrantSnapshot::Entry& e) { return e.target == *target; });
    if (entry == entries.end()) {
      entries.push_back(GrantSnapshot::Entry{*target, false, {}});
      entry = std::prev(entries.end());
    }
    if (row.function == kEveryFunction) {
      entry->all = true;
    } else {
      entry->functions.insert(row.function);
    }
  }
  grants_ = std::move(snapshot);
  links_version_.fetch_add(1, std::memory_order_acq_rel);
  return ok();
}

}  // namespace orivon::registry
