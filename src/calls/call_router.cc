#include "calls/call_router.h"

#include "calls/route_decision.h"
#include "core/limits.h"
#include "core/strings.h"

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

}  // namespace

Route CallRouter::resolve(const ModuleId& caller, std::string_view import,
                          std::string_view function) {
  RouteDecision decision = decide_route(registry_, host_functions_, caller, import, function);
  switch (decision.kind) {
    case RouteDecision::Kind::Denied:
      return route::Denied{std::move(decision.target), std::move(decision.function),
                           std::move(decision.message)};
    case RouteDecision::Kind::Unavailable:
      return route::Unavailable{std::move(decision.message)};
    case RouteDecision::Kind::Granted:
      break;
  }
  if (decision.target == kHostTarget) {
    auto callback = host_functions_.find(import, function);
    if (!callback) {  // unregistered since the decision: not expected, but not trusted either
      return route::Unavailable{"the host registered no function " + decision.function +
                                " (imported by '" + caller.str() + "')"};
    }
    return route::Remote{std::string(kHostTarget), std::move(decision.function),
                         std::make_shared<HostCallee>(std::move(callback))};
  }
  auto target = ModuleId::parse(decision.target);
  if (!target) return route::Unavailable{target.error().message()};
  switch (target->kind()) {
    case ModuleKind::Library: {
      auto program = registry_.program(*target);
      if (!program) {
        return route::Unavailable{"library '" + target->str() + "' cannot be loaded: " +
                                  program.error().message()};
      }
      return route::Library{*target, std::move(decision.function), program->shared_data()};
    }
    case ModuleKind::Group:
      return route::Remote{target->str(), std::move(decision.function),
                           std::make_shared<GroupCallee>(*this, *target)};
    case ModuleKind::Service:
      break;
  }
  return route::Remote{target->str(), std::move(decision.function),
                       std::make_shared<ServiceCallee>(supervisor_, supervisor_.handle(*target))};
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

void CallRouter::record_library_call(const ModuleId& library, std::chrono::microseconds took,
                                     bool trapped) {
  supervisor_.count_library_call(library, took, trapped);
}

}  // namespace orivon::calls
