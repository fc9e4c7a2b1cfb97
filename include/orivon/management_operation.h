#pragma once

/// \file
/// Management operations, and which of them need a running host.
///
/// A *host* is the one process that runs the services of a state directory
/// (`orivon up`, or any client that creates a Runtime on it and starts
/// services). While no host holds a state directory, any other process may
/// open it and carry out every operation that only reads or changes the
/// registry: installing modules, grants, inspecting. Such a process runs
/// nothing for the host, though: it can only record that a service should
/// start (or not) when a host comes up, and it has no running service to
/// restart, call or read the logs of. A library has no state, so calling one
/// needs no host.
///
/// A client that serves requests both ways (through a host's control socket,
/// or on the state directory directly) asks host_requirement() before acting,
/// so both ways agree:
///
///   if (!is_host && host_requirement(op, id.kind()) == HostRequirement::Required) {
///     return host_required_error(op, id);
///   }

#include <optional>
#include <string_view>

#include "orivon/error.h"
#include "orivon/export.h"
#include "orivon/ids.h"

namespace orivon {

/// What a client asks of the installed modules; each is one `orivon`
/// subcommand and maps onto Runtime methods.
enum class ManagementOperation {
  List,     ///< Runtime::list_modules
  Add,      ///< Runtime::add_module_file
  Remove,   ///< Runtime::remove_module
  Update,   ///< Runtime::update_module_file
  Inspect,  ///< Runtime::inspect_module and call_grants
  Start,    ///< Runtime::start_service
  Stop,     ///< Runtime::stop_service
  Restart,  ///< Runtime::restart_service
  Call,     ///< Runtime::call
  Logs,     ///< Runtime::service_logs
  Grant,    ///< Runtime::grant_calls
  Revoke,   ///< Runtime::revoke_calls
  Grants,   ///< Runtime::call_grants
  Allow,    ///< Runtime::decide_grant with GrantDecision::Allow
  Deny,     ///< Runtime::decide_grant with GrantDecision::Deny
  Kv,       ///< Runtime::kv_* (buckets and their keys)
  Publish,      ///< Runtime::publish
  Subscribe,    ///< Runtime::subscribe_module
  Unsubscribe,  ///< Runtime::unsubscribe_module
  Events,       ///< Runtime::events
  DeadLetters,  ///< Runtime::dead_letters, requeue_dead_letters, purge_dead_letters
  Config,       ///< Runtime::module_config ("config")
  ConfigSet,    ///< Runtime::set_config ("config-set")
  ConfigUnset,  ///< Runtime::unset_config ("config-unset")
  Triggers,     ///< Runtime::triggers
  Forget,       ///< Runtime::forget_grant
  RouteAdd,     ///< Runtime::add_http_route ("route-add")
  RouteRemove,  ///< Runtime::remove_http_route ("route-remove")
  Routes,       ///< Runtime::http_routes
};

/// The operation's name as the control socket spells it: "list", "add", ...,
/// "deny", "kv", "publish", "subscribe", "unsubscribe", "events",
/// "dead-letters", "config", "config-set", "config-unset", "triggers", "forget", "route-add",
/// "route-remove", "routes" (the CLI's
/// `config`, `config set`, `config unset`).
ORIVON_API std::string_view management_operation_name(ManagementOperation operation);

/// The operation called `name` (as management_operation_name spells it);
/// empty for any other text.
ORIVON_API std::optional<ManagementOperation> find_management_operation(std::string_view name);

/// What an operation needs from the process that carries it out.
enum class HostRequirement {
  /// The registry alone: the same result with or without a host.
  None,
  /// Without a host it is recorded and takes effect when a host comes up:
  /// Start and Stop set whether the service starts with the next host
  /// (Runtime::set_autostart) instead of starting or stopping it now.
  Deferred,
  /// Only a running host can carry it out: Restart, Logs, and Call of a
  /// service or a group (a service runs only in a host; a group routes to
  /// its running members).
  Required,
};

/// What `operation` needs when it acts on a module of kind `target`. Only
/// Call depends on the kind (a library needs no host); for the other
/// operations, and for those that name no module (List, Grants), `target` is
/// ignored.
ORIVON_API HostRequirement host_requirement(ManagementOperation operation, ModuleKind target);

/// The FailedPrecondition error for carrying out `operation` on `id` without
/// the host it requires (see host_requirement()); the message says how to
/// start one.
ORIVON_API Error host_required_error(ManagementOperation operation, const ModuleId& id);

}  // namespace orivon
