#pragma once

/// \file
/// Runtime: the one object a client creates to host WebAssembly. It owns the
/// Wasmtime engine (and its epoch ticker thread) and compiles, runs and calls
/// guests under the grants and limits the client gives for each run.
///
/// With a state directory it also owns the module registry: installed
/// modules, their manifests, the client's grant decisions and compiled code,
/// persisted in SQLite and files so they survive a restart.
///
///   auto runtime = orivon::Runtime::create({});
///   auto program = (*runtime)->load_file("hello.wasm");
///   orivon::WasiProfile profile;
///   profile.args = {"hello.wasm", "world"};
///   auto outcome = (*runtime)->run(*program, profile, {});
///   // outcome->exit_code is the guest's exit status.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/calls.h"
#include "orivon/code_cache.h"
#include "orivon/capacity.h"
#include "orivon/events.h"
#include "orivon/config.h"
#include "orivon/export.h"
#include "orivon/grants.h"
#include "orivon/ids.h"
#include "orivon/kv.h"
#include "orivon/limits.h"
#include "orivon/manifest.h"
#include "orivon/module_info.h"
#include "orivon/outcomes.h"
#include "orivon/program.h"
#include "orivon/result.h"
#include "orivon/runtime_options.h"
#include "orivon/service.h"
#include "orivon/http_routes.h"
#include "orivon/triggers.h"
#include "orivon/value.h"
#include "orivon/wasi_profile.h"

namespace orivon {

/// Where the state directory is: `explicit_dir` if not empty, else
/// $ORIVON_STATE, else $XDG_STATE_HOME/orivon, else ~/.local/state/orivon.
/// Fails with FailedPrecondition if none of these can be determined.
[[nodiscard]] ORIVON_API Result<std::filesystem::path> resolve_state_dir(
    const std::filesystem::path& explicit_dir);

namespace internal {
class RuntimeImpl;
class RuntimeTesting;
}

/// Owns the engine; every Program it compiles must not outlive it.
/// Thread-safe: runs and calls on different threads proceed in parallel, each
/// in its own store.
class ORIVON_API Runtime {
 public:
  /// Creates a runtime. Fails with Internal if the engine cannot be set up.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> create(const RuntimeOptions& options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Reads and compiles a core module or component. NotFound if the file is
  /// missing; InvalidArgument if it is not valid WebAssembly (the message
  /// names the file and says what is wrong).
  [[nodiscard]] Result<Program> load_file(const std::filesystem::path& path);
  /// The same, keeping compiled code in `cache` between processes (see code_cache.h): a
  /// program loaded again skips compilation. The cache is best effort; errors are those of
  /// load_file.
  [[nodiscard]] Result<Program> load_file(const std::filesystem::path& path,
                                          const CodeCacheOptions& cache);
  /// Compiles a binary held in memory; `name` is used in messages.
  [[nodiscard]] Result<Program> load_bytes(std::span<const std::byte> bytes, std::string_view name);

  /// Runs a command to completion: `_start` of a core module, `wasi:cli/run`
  /// of a component. A guest exit is a RunOutcome, whatever its code; a trap
  /// is Trapped, a timeout DeadlineExceeded, fuel running out
  /// ResourceExhausted, each with the wasm backtrace in the message.
  [[nodiscard]] Result<RunOutcome> run(const Program& program, const WasiProfile& profile,
                                       const ExecutionLimits& limits);

  /// Instantiates the program and calls one export, written as
  /// `name(arg, ...)`. For components, arguments are WAVE values checked
  /// against the export's type, and `name` may be `interface#function`; for
  /// core modules, arguments are numbers. A core reactor's `_initialize` runs
  /// first. Errors as for run(); NotFound for an unknown export,
  /// InvalidArgument for arguments that do not fit its type.
  [[nodiscard]] Result<InvokeOutcome> invoke(const Program& program, std::string_view call,
                                             const WasiProfile& profile,
                                             const ExecutionLimits& limits);

  // ---- Registry (needs RuntimeOptions::state_dir) --------------------------

  /// Validates, compiles and installs a module. The binary is stored by
  /// content hash and its compiled code cached before the call returns, and
  /// the registry row is committed durably: once this succeeds the module
  /// survives a crash of the host. AlreadyExists if the id is taken;
  /// InvalidArgument for a bad binary or an id/manifest mismatch.
  [[nodiscard]] Result<ModuleInfo> add_module(std::span<const std::byte> code,
                                              const AddOptions& options);
  /// Installs many modules in one go, all or none: each is validated and
  /// compiled (copies of one binary once, sharing their compiled code), then
  /// all are recorded in one transaction, so installing 100,000 modules is
  /// bound by compilation, not by a disk sync each. An error names the module
  /// it is about (its position, and its file or id); then none is installed.
  /// As add_module, a manifest's `[[triggers]] kind = "http"` routes are put
  /// in place (and applied by a serving host): AlreadyExists, before anything
  /// is installed, when one leads to another module or two modules of the
  /// batch ask for the same one; InvalidArgument, with none installed, when a
  /// module with routes cannot answer HTTP.
  [[nodiscard]] Result<std::vector<ModuleInfo>> add_modules(std::span<const ModuleSource> modules);
  /// As add_module, reading the binary (and nothing else) from `path`.
  [[nodiscard]] Result<ModuleInfo> add_module_file(const std::filesystem::path& path,
                                                   const AddOptions& options);
  /// Uninstalls a module with its grants, configuration and the call grants
  /// it holds, stopping it first if it runs. Refuses while another module
  /// depends on it (holds a call grant on it, or has it as a group member):
  /// FailedPrecondition naming each such module and its grant, and nothing
  /// changes. NotFound if absent.
  [[nodiscard]] Result<void> remove_module(const ModuleId& id);
  /// As remove_module(id) with RemoveDependents::Refuse; with
  /// RemoveDependents::Remove, also removes the call grants other modules
  /// hold on it (their next call to it is refused as ungranted). Returns
  /// every call grant removed, held by it or on it, in the order made.
  [[nodiscard]] Result<std::vector<CallGrant>> remove_module(const ModuleId& id,
                                                             RemoveDependents dependents);
  /// Replaces the code of an installed module; grants, configuration and
  /// manifest stay. NotFound if absent; InvalidArgument for a bad binary.
  [[nodiscard]] Result<ModuleInfo> update_module(const ModuleId& id,
                                                 std::span<const std::byte> code);
  [[nodiscard]] Result<ModuleInfo> update_module_file(const ModuleId& id,
                                                      const std::filesystem::path& path);
  /// Replaces the manifest of an installed module (what it requests, its
  /// service settings, triggers, function table, configuration defaults);
  /// with a non-empty `file`, its code too (read from that binary), in the
  /// same call. Its grant decisions, call
  /// grants and the client's configuration values stay. A running service
  /// restarts on the new manifest (as update_module restarts it on new
  /// code); a function module's triggers are read again. NotFound if absent;
  /// InvalidArgument when the manifest names another id or the code is bad.
  [[nodiscard]] Result<ModuleInfo> update_module_manifest(const ModuleId& id,
                                                          const Manifest& manifest,
                                                          const std::filesystem::path& file = {});
  /// The installed modules, ordered by id: every one, or one page of them
  /// (see ListOptions). A page reads only its own modules, so paging through
  /// 100,000 costs what each page holds.
  [[nodiscard]] Result<std::vector<ModuleInfo>> list_modules(const ListOptions& options = {});
  /// One module in full. NotFound if absent.
  [[nodiscard]] Result<ModuleDetails> inspect_module(const ModuleId& id);
  /// Records the client's decision on one grant for a module (stored apart
  /// from what the manifest requested; see grants.h for the syntax).
  /// NotFound if the module is absent; InvalidArgument, saying what was
  /// expected, for a malformed grant. Allowing a directory that is, contains
  /// or lies inside the state directory is PermissionDenied; allowing a grant
  /// that contradicts one already allowed (a second stdio mode, a second
  /// directory at the same guest path, a second value of a variable) is
  /// FailedPrecondition. A service gets its WASI grants at its next start;
  /// `host:` grants apply to the very next call.
  [[nodiscard]] Result<void> decide_grant(const ModuleId& id, std::string_view grant,
                                          GrantDecision decision);
  /// Takes back the client's decision on `grant`, allowed or denied: it is
  /// undecided again, so a service no longer gets it (from its next start;
  /// `host:`, `kv:` and `topic:` grants at once). Matched by meaning, so any
  /// spelling of the grant finds it. Returns the grant texts removed.
  /// NotFound if the module is absent or has no decision on it;
  /// InvalidArgument for a malformed grant.
  [[nodiscard]] Result<std::vector<std::string>> forget_grant(const ModuleId& id,
                                                              std::string_view grant);
  /// decide_grant(id, grant, GrantDecision::Allow).
  [[nodiscard]] Result<void> allow_grant(const ModuleId& id, std::string_view grant);
  /// decide_grant(id, grant, GrantDecision::Deny).
  [[nodiscard]] Result<void> deny_grant(const ModuleId& id, std::string_view grant);
  /// What a service module would start with now: its allowed grants as a
  /// WasiProfile (argv is the id then each `arg:`). Fails as a start would
  /// for a grant that no longer holds (a granted directory that vanished or
  /// now overlaps the state directory), naming the grant.
  [[nodiscard]] Result<WasiProfile> service_profile(const ModuleId& id);
  /// Compiles (or reads back from the compiled-code cache) every installed
  /// module so each is ready to run. What a host does at start. First it
  /// removes files an interrupted add left in the state directory (binaries
  /// nothing refers to, temporary cache files), once older than a minute.
  [[nodiscard]] Result<LoadReport> load_installed();
  /// The compiled program of an installed module (loaded on first use).
  [[nodiscard]] Result<Program> program(const ModuleId& id);

  // ---- Configuration (needs a registry; see config.h) ----------------------

  /// The configuration the module sees, by key, with where each value comes
  /// from. NotFound if the module is absent.
  [[nodiscard]] Result<std::vector<ConfigEntry>> module_config(const ModuleId& id);
  /// Sets the client's value of `key`, in place of the manifest's; stored
  /// durably before it returns. The module's next call sees it (running
  /// instances included, with no restart). NotFound if the module is absent;
  /// InvalidArgument for a malformed or oversize key or value (see config.h);
  /// ResourceExhausted when the module already has the most keys allowed;
  /// FailedPrecondition for a group module (it runs no code of its own).
  [[nodiscard]] Result<void> set_config(const ModuleId& id, std::string_view key,
                                        std::string_view value);
  /// Takes back the client's value of `key`: the manifest's value, if it has
  /// one, applies again from the module's next call. NotFound if the client
  /// set no value for it (or the module is absent).
  [[nodiscard]] Result<void> unset_config(const ModuleId& id, std::string_view key);

  // ---- Services (need a registry) ------------------------------------------
  // Services run in this process, driven by a worker pool; see service.h.

  /// Starts a service module and waits until it runs; marks it to start with
  /// the next host (autostart). Each import no call can pass (see
  /// import_routes) is noted once in the service's log. Already running: ok. Libraries and groups:
  /// FailedPrecondition. A failure to start is FailedPrecondition with the
  /// cause; the restart policy may still retry it.
  [[nodiscard]] Result<void> start_service(const ModuleId& id);
  /// Stops a service gracefully (its `stop` export, then an interrupt after
  /// the grace period) and clears autostart. Not running: ok.
  [[nodiscard]] Result<void> stop_service(const ModuleId& id);
  [[nodiscard]] Result<void> restart_service(const ModuleId& id);
  /// Marks a service module to start (or not) when a host comes up, without
  /// starting or stopping anything now. NotFound if absent.
  [[nodiscard]] Result<void> set_autostart(const ModuleId& id, bool autostart);
  /// What destroying the runtime does to its services, now, with what it
  /// did: stops the triggers, the event bus and inbound HTTP, then every
  /// service at once, newest first, sharing one grace period (the longest
  /// of theirs); a `stop` export still running when it ends is interrupted.
  /// A service's log is told only if its `stop` export ran; the summary
  /// counts them all. Afterwards no service starts again and the runtime is
  /// fit only to be destroyed (or to read its registry). A second call, or a
  /// runtime that never ran a service, stops nothing. The stopped instances
  /// keep their memory until the runtime is destroyed (see
  /// RuntimeOptions::release_memory_on_destroy): unmapping it is the slow part
  /// of closing a large host, and nothing in stopping needs to wait for it.
  ShutdownSummary shut_down();
  /// Starts every module marked autostart; returns how many run. Failures
  /// are left to each service's state (and restart policy), not returned.
  [[nodiscard]] Result<std::size_t> start_autostart_services();
  /// Starts acting on the installed modules' triggers, as a host does after
  /// starting its services: start-up triggers run once, timers run on their
  /// schedules until the runtime goes, and function modules' event triggers
  /// are subscribed (each event then runs in a fresh instance). Modules
  /// added later have their timers scheduled as they arrive. A second call
  /// does nothing.
  [[nodiscard]] Result<void> start_triggers();
  /// The triggers of every installed module (of `only`, when set), with
  /// what they did: live figures while triggers run, else what the state
  /// directory recorded.
  [[nodiscard]] Result<std::vector<TriggerInfo>> triggers(
      const std::optional<ModuleId>& only = std::nullopt);
  /// Inbound HTTP (include/orivon/http_routes.h has the matching rules).
  /// Maps `route` ("[HOST]/PREFIX") to the module `id`, replacing the
  /// route's earlier module; a host serving HTTP applies it at once.
  /// InvalidArgument for bad route text or a module that does not export
  /// wasi:http/incoming-handler; NotFound for an absent module;
  /// FailedPrecondition for a module that is not a function (no [function]
  /// table: requests each run in a fresh instance). A module's routes go
  /// when it is removed.
  [[nodiscard]] Result<HttpRoute> add_http_route(std::string_view route, const ModuleId& id);
  /// NotFound if there is no such route.
  [[nodiscard]] Result<void> remove_http_route(std::string_view route);
  /// Every route, by host and prefix.
  [[nodiscard]] Result<std::vector<HttpRoute>> http_routes();
  /// Serves the routes on `address` ("IP:PORT"; port 0 picks a free port)
  /// until the runtime goes; returns the address bound. Each request runs in
  /// a fresh instance of its route's function module (see
  /// `orivon up --http` in README.md for the statuses and limits).
  [[nodiscard]] Result<std::string> serve_http(std::string_view address);
  /// Creates (and drops) one instance of the HTTP function `id` from its
  /// template, nothing else (benchmarks).
  [[nodiscard]] Result<void> instantiate_http_for_testing(const ModuleId& id);
  /// Calls an export of a running service (`name(args)`, as invoke()); for
  /// libraries and groups the same as call().
  /// FailedPrecondition if it is not running. A call running past `timeout`
  /// (or the service's call deadline) interrupts the service, which crashes.
  [[nodiscard]] Result<InvokeOutcome> call_service(
      const ModuleId& id, std::string_view call,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// Calls an export of any installed module (`name(args)`, as invoke()): a
  /// running service in its live instance; a library in a fresh instance
  /// (it has no state); a group through one of its running members.
  /// FailedPrecondition for a service that is not running; Unavailable for
  /// a group none of whose members runs.
  [[nodiscard]] Result<InvokeOutcome> call(
      const ModuleId& id, std::string_view call,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// The same, typed: `function` ("name" or "interface#name") called with
  /// `args`, checked against its parameter types (core modules: numbers).
  /// Returns its results (at most one for components).
  ///
  ///   auto sum = runtime->call(id, "add", {Value::s64(2), Value::s64(3)});
  ///   // (*sum)[0].as_s64() == 5
  [[nodiscard]] Result<std::vector<Value>> call(
      const ModuleId& id, std::string_view function, std::span<const Value> args,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // ---- Calls between modules (see calls.h) ---------------------------------

  /// Lets `caller` call the named functions of `target` (every function when
  /// `functions` is empty); takes effect on the next call, running or not.
  /// Kind rules: a library may be granted only libraries; a group only
  /// service modules that export its interface with the same signatures
  /// (they become its members, in grant order); a service anything.
  /// NotFound for a missing module or function; PermissionDenied for a kind
  /// rule; InvalidArgument for an ambiguous function name.
  [[nodiscard]] Result<void> grant_calls(const ModuleId& caller, const ModuleId& target,
                                         const std::vector<std::string>& functions = {});
  /// Takes back the named functions, or every grant from caller to target
  /// when `functions` is empty; the next call is refused. NotFound if there
  /// was nothing to take back.
  [[nodiscard]] Result<void> revoke_calls(const ModuleId& caller, const ModuleId& target,
                                          const std::vector<std::string>& functions = {});
  /// The grants held by `caller`, or all grants.
  [[nodiscard]] Result<std::vector<CallGrant>> call_grants(
      const std::optional<ModuleId>& caller = std::nullopt);
  /// Where each function `id` imports from other modules leads under the
  /// grants as they stand (no module is started or called), in import order.
  /// NotFound if the module is absent.
  [[nodiscard]] Result<std::vector<ImportRoute>> import_routes(const ModuleId& id);

  /// Offers `function` of the WIT interface `interface`
  /// ("example:log/sink@1.0.0") to modules. A component importing the
  /// interface reaches it only while it holds the grant `host:INTERFACE`
  /// (checked on every call, like calls between modules); otherwise the
  /// call is denied (err(message) for a function returning
  /// result<_, string>, a trap otherwise) and noted in its log. Registering
  /// the same function again replaces it. Results are checked by Wasmtime
  /// against the import's type (a mismatch traps the caller).
  /// InvalidArgument for a malformed interface or function name.
  [[nodiscard]] Result<void> register_host_function(std::string_view interface,
                                                    std::string_view function,
                                                    HostFunction callback);

  /// Key-value buckets (orivon/kv.h): the ones guests open through
  /// wasi:keyvalue, kept in kv.db in the state directory. `bucket` is a
  /// bucket's name, or "@MODULE-ID" for a module's private bucket. The
  /// client is trusted: no grant is checked. FailedPrecondition without a
  /// state directory; NotFound for a bucket that does not exist;
  /// InvalidArgument for a bad name, key or value (the limits are in the
  /// bucket's BucketLimits and kMaxKeyBytes); ResourceExhausted past a
  /// bucket's quota. A Region or Global bucket is refused (Unimplemented):
  /// no replicated backend exists yet.
  [[nodiscard]] Result<BucketInfo> kv_create_bucket(
      std::string_view name, Scope scope = Scope::Local,
      const std::optional<BucketLimits>& limits = std::nullopt);
  /// Drops the bucket and every key in it.
  [[nodiscard]] Result<void> kv_drop_bucket(std::string_view name);
  /// Every bucket, private ones included, by name.
  [[nodiscard]] Result<std::vector<BucketInfo>> kv_buckets();
  [[nodiscard]] Result<std::optional<Entry>> kv_get(std::string_view bucket, std::string_view key);
  /// Writes `value` and returns its new version.
  [[nodiscard]] Result<std::uint64_t> kv_set(std::string_view bucket, std::string_view key,
                                             std::span<const std::byte> value);
  /// Whether the key was there.
  [[nodiscard]] Result<bool> kv_delete(std::string_view bucket, std::string_view key);
  /// Keys starting with `prefix`, after the cursor `after`, at most `limit`
  /// (1 to 10,000).
  [[nodiscard]] Result<KeyList> kv_keys(std::string_view bucket, std::string_view prefix = {},
                                        const std::optional<std::string>& after = std::nullopt,
                                        std::size_t limit = 1000);

  /// Settings (restart policy, grace, deadline, memory) for a service, taking
  /// effect at its next start.
  void set_service_settings(const ModuleId& id, const ServiceSettings& settings);
  [[nodiscard]] ServiceMetrics service_metrics(const ModuleId& id);
  /// The capacity limits in force and what the process uses now (a fresh
  /// reading of /proc/self: costs about a millisecond per 10,000 instances).
  [[nodiscard]] CapacityReport capacity();
  /// The recent output and runtime notes of a service, oldest first, with
  /// sequence numbers above `after` (at most `max`).
  [[nodiscard]] std::vector<LogEntry> service_logs(const ModuleId& id, std::uint64_t after,
                                                   std::size_t max);
  /// Calls `listener` on every state change of every service, after it
  /// happened, on the thread where it happened (often a worker driving that
  /// service). It must not block long, and must not wait on the same service
  /// (a stop_service() from inside it waits for its grace period): hand work
  /// to another thread instead. Two changes of one service made on different
  /// threads (a restart timer's and the worker's, say) may reach a listener
  /// in either order; each names the state it left and the one it entered.
  std::uint64_t subscribe(StateListener listener);
  void unsubscribe(std::uint64_t subscription);

  // ---- Events between modules (see events.h) -------------------------------
  // Modules publish through wasi:messaging (producer.send) under their
  // `topic:PATTERN:publish` grants and receive through their exported
  // wasi:messaging/incoming-handler, on their own store, one event at a time.

  /// Publishes as the client (no grant needed). InvalidArgument for a topic
  /// with wildcards or empty tokens, or a payload over limits::kMaxEventBytes
  /// (1 MiB); ResourceExhausted when a durable subscription it matches is
  /// full. Returns once durable subscribers' copies are stored (events.db);
  /// the sequence number of the event.
  [[nodiscard]] Result<std::uint64_t> publish(const EventMessage& message);
  /// The client's own subscription: `handler` gets every event whose topic
  /// `pattern` matches, ephemeral (at-most-once, bounded queue), on a
  /// delivery thread, one at a time. Returns its id for unsubscribe_events().
  [[nodiscard]] Result<std::uint64_t> subscribe_events(std::string_view pattern,
                                                       EventHandler handler);
  [[nodiscard]] Result<void> unsubscribe_events(std::uint64_t subscription);
  /// Subscribes an installed service module to `pattern`, persisted in
  /// events.db. It must hold a `topic:PATTERN:subscribe` grant covering the
  /// whole pattern (PermissionDenied otherwise); NotFound if not installed;
  /// FailedPrecondition for a library or a group. Subscribing again changes
  /// the durability.
  [[nodiscard]] Result<void> subscribe_module(const ModuleId& id, std::string_view pattern,
                                              EventDurability durability);
  /// NotFound if it has no such subscription.
  [[nodiscard]] Result<void> unsubscribe_module(const ModuleId& id, std::string_view pattern);
  /// Subscriptions with their queues, topics seen, dead letters.
  [[nodiscard]] Result<EventsReport> events();
  /// The module's counters since this runtime started (zero when no bus runs).
  [[nodiscard]] EventCounters event_counters(const ModuleId& id);
  /// Durable events that failed every delivery, oldest first (at most `max`).
  [[nodiscard]] Result<std::vector<DeadLetter>> dead_letters(std::size_t max);
  /// Puts every dead letter back in its subscription's queue; returns how many.
  [[nodiscard]] Result<std::size_t> requeue_dead_letters();
  /// Deletes every dead letter; returns how many.
  [[nodiscard]] Result<std::size_t> purge_dead_letters();

 private:
  friend class internal::RuntimeTesting;  // tests inject a clock (src/runtime/runtime_testing.h)
  explicit Runtime(std::unique_ptr<internal::RuntimeImpl> impl);
  std::unique_ptr<internal::RuntimeImpl> impl_;
};

}  // namespace orivon
