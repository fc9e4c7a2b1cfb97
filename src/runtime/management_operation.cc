#include "orivon/management_operation.h"

#include <array>
#include <string>
#include <utility>

namespace orivon {
namespace {

constexpr std::array<std::pair<ManagementOperation, std::string_view>, 29> kNames = {{
    {ManagementOperation::List, "list"},       {ManagementOperation::Add, "add"},
    {ManagementOperation::Remove, "remove"},   {ManagementOperation::Update, "update"},
    {ManagementOperation::Inspect, "inspect"}, {ManagementOperation::Start, "start"},
    {ManagementOperation::Stop, "stop"},       {ManagementOperation::Restart, "restart"},
    {ManagementOperation::Call, "call"},       {ManagementOperation::Logs, "logs"},
    {ManagementOperation::Grant, "grant"},     {ManagementOperation::Revoke, "revoke"},
    {ManagementOperation::Grants, "grants"},   {ManagementOperation::Allow, "allow"},
    {ManagementOperation::Deny, "deny"},       {ManagementOperation::Kv, "kv"},
    {ManagementOperation::Publish, "publish"}, {ManagementOperation::Subscribe, "subscribe"},
    {ManagementOperation::Unsubscribe, "unsubscribe"}, {ManagementOperation::Events, "events"},
    {ManagementOperation::DeadLetters, "dead-letters"},
    {ManagementOperation::Config, "config"},   {ManagementOperation::ConfigSet, "config-set"},
    {ManagementOperation::ConfigUnset, "config-unset"},
    {ManagementOperation::Triggers, "triggers"}, {ManagementOperation::Forget, "forget"},
    {ManagementOperation::RouteAdd, "route-add"},
    {ManagementOperation::RouteRemove, "route-remove"},
    {ManagementOperation::Routes, "routes"},
}};

}  // namespace

std::string_view management_operation_name(ManagementOperation operation) {
  for (const auto& [candidate, name] : kNames) {
    if (candidate == operation) return name;
  }
  return "unknown";
}

std::optional<ManagementOperation> find_management_operation(std::string_view name) {
  for (const auto& [operation, candidate] : kNames) {
    if (candidate == name) return operation;
  }
  return std::nullopt;
}

HostRequirement host_requirement(ManagementOperation operation, ModuleKind target) {
  switch (operation) {
    case ManagementOperation::Start:
    case ManagementOperation::Stop:
      return HostRequirement::Deferred;
    case ManagementOperation::Restart:
    case ManagementOperation::Logs:
    // Only a running host delivers: an event published elsewhere would reach
    // no ephemeral subscriber.
    case ManagementOperation::Publish:
      return HostRequirement::Required;
    case ManagementOperation::Call:
      // A library has no state: each call gets a fresh instance, anywhere.
      return target == ModuleKind::Library ? HostRequirement::None : HostRequirement::Required;
    case ManagementOperation::List:
    case ManagementOperation::Add:
    case ManagementOperation::Remove:
    case ManagementOperation::Update:
    case ManagementOperation::Inspect:
    // Grants between modules are checked on every call, so recording them
    // needs no host either.
    case ManagementOperation::Grant:
    case ManagementOperation::Revoke:
    case ManagementOperation::Grants:
    case ManagementOperation::Allow:
    case ManagementOperation::Deny:
    case ManagementOperation::Forget:
    // Key-value data lives in its own database: with or without a host, the
    // same buckets.
    case ManagementOperation::Kv:
    // Subscriptions and dead letters live in events.db; a host started later
    // reads them.
    case ManagementOperation::Subscribe:
    case ManagementOperation::Unsubscribe:
    case ManagementOperation::Events:
    case ManagementOperation::DeadLetters:
    // A running host publishes a change to the module's instances at once;
    // without one it is stored and read by the next host.
    case ManagementOperation::Config:
    case ManagementOperation::ConfigSet:
    case ManagementOperation::ConfigUnset:
    // Without a host: what the last host recorded.
    case ManagementOperation::Triggers:
    // Routes live in state.db; a running host applies a change at once.
    case ManagementOperation::RouteAdd:
    case ManagementOperation::RouteRemove:
    case ManagementOperation::Routes:
      return HostRequirement::None;
  }
  return HostRequirement::None;
}

Error host_required_error(ManagementOperation operation, const ModuleId& id) {
  // Appended piece by piece: gcc 12 warns falsely (-Wrestrict) on
  // std::string's operator+ with a temporary on the right.
  std::string message = "'";
  message += management_operation_name(operation);
  message += "' ";
  if (operation == ManagementOperation::Call) {
    message += "of the ";
    message += module_kind_name(id.kind());
    message += " '";
    message += id.str();
    message += "' ";
  }
  message += "needs a running host: start one with 'orivon up'";
  if (operation == ManagementOperation::Call) {
    message += " (only a library can be called without one)";
  }
  return Error(ErrorCode::FailedPrecondition, std::move(message));
}

}  // namespace orivon
