#include "orivon/runtime.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "engine/code_cache.h"
#include "engine/engine.h"
#include "engine/function_type.h"
#include "engine/program_data.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/limits.h"
#include "core/mutex.h"
#include "core/strings.h"
#include "core/thread_annotations.h"
#include "engine/program_loader.h"
#include "bus/local_event_bus.h"
#include "bus/messaging_host.h"
#include "bus/nats_event_bus.h"
#include "cluster/nats_link.h"
#include "runtime/cluster_host.h"
#include "calls/call_router.h"
#include "calls/host_functions.h"
#include "calls/route_decision.h"
#include "grants/service_profile.h"
#include "host/config_host.h"
#include "registry/module_registry.h"
#include "supervisor/supervisor.h"
#include "triggers/trigger_scheduler.h"
#include "host/keyvalue_host.h"
#include "http/http_server.h"
#include "http/route_table.h"
#include "instance/import_linking.h"
#include "instance/live_instance.h"
#include "kv/kv_store.h"
#include "runtime/registry_bucket_policy.h"
#include "runtime/registry_config_source.h"
#include "values/call_expression.h"
#include "grants/topic_grants.h"
#include "grants/topic_pattern.h"
#include "runtime/event_routing.h"
#include "runtime/runtime_testing.h"
#include "runtime/text_calls.h"

namespace orivon {
namespace internal {

// The Runtime's state. Owns the engine; everything else is per call, so the
// methods are safe to call from several threads at once. Services schedule
// by `clock`, which must outlive it.
class RuntimeImpl {
 public:
  RuntimeImpl(std::unique_ptr<engine::Engine> engine, Clock& clock,
              std::shared_ptr<kv::KvStore> kv,
              std::shared_ptr<runtime::RegistryBucketPolicy> bucket_policy,
              std::shared_ptr<bus::MessagingHost> messaging,
              std::shared_ptr<runtime::RegistryConfigSource> config_source)
      : kv_(std::move(kv)),
        bucket_policy_(std::move(bucket_policy)),
        config_source_(std::move(config_source)),
        engine_(std::move(engine)),
        clock_(clock),
        messaging_(std::move(messaging)) {}
  ~RuntimeImpl() {
    (void)shut_down();
    // The stopped services' instances, then (with the registry) the
    // compiled code: freed here, before anything their hooks reach.
    std::unique_ptr<supervisor::Supervisor> stopped;
    {
      MutexLock lock(mutex_);
      stopped = std::move(stopped_supervisor_);
    }
    if (!release_memory_) {
      if (stopped) stopped->abandon_stopped_instances();
      if (registry_) registry_->abandon_programs();
    }
    stopped.reset();
  }

  // See Runtime::shut_down(). Once: a second call returns an empty summary.
  ShutdownSummary shut_down() {
    if (shut_down_.exchange(true)) return {};
    // Deliveries run guests through the supervisor: they stop first, without
    // the lock (a delivery in progress may be asking for it).
    bus::EventBus* bus = nullptr;
    {
      MutexLock lock(mutex_);
      bus = bus_.get();
    }
    triggers::TriggerScheduler* scheduler = nullptr;
    {
      MutexLock lock(mutex_);
      scheduler = scheduler_.get();
    }
    if (scheduler != nullptr) scheduler->stop();  // no run starts from here on
    live_bus_.store(nullptr, std::memory_order_release);
    if (bus != nullptr) bus->shut_down();
    messaging_->attach(nullptr);
    // Stores (and so the host interfaces' calls) end with the supervisor,
    // before the registry the policy and the configuration source read.
    // Trigger runs in progress call into it: stopping every service and
    // function first ends them, and the scheduler waits for them before the
    // supervisor goes.
    // Without the lock: a guest stopping may be in a host call that asks
    // for it.
    supervisor::Supervisor* supervisor = nullptr;
    {
      MutexLock lock(mutex_);
      supervisor = supervisor_.get();
    }
    ShutdownSummary summary;
    if (supervisor != nullptr) summary = supervisor->stop_all();
    // Requests arriving from here on get 503 (the supervisor is closing) and
    // those in progress were interrupted: the server can stop, before the
    // supervisor its handler calls goes.
    std::unique_ptr<http::HttpServer> http_server;
    {
      MutexLock lock(mutex_);
      http_server = std::move(http_server_);
    }
    http_server.reset();
    std::unique_ptr<triggers::TriggerScheduler> ending;
    {
      MutexLock lock(mutex_);
      ending = std::move(scheduler_);
    }
    ending.reset();
    {
      // Kept (with the instances it stopped) until the runtime goes.
      MutexLock lock(mutex_);
      stopped_supervisor_ = std::move(supervisor_);
    }
    bucket_policy_->attach(nullptr);
    config_source_->attach(nullptr);
    return summary;
  }
  engine::Engine& engine() { return *engine_; }
  void set_release_memory(bool release) { release_memory_ = release; }

  Result<void> open_registry(const std::filesystem::path& state_dir) {
    ORIVON_TRY(registry_, registry::ModuleRegistry::open(*engine_, state_dir));
    state_dir_ = state_dir;
    bucket_policy_->attach(registry_.get());
    config_source_->attach(registry_.get());
    return ok();
  }
  Result<kv::KvStore*> kv() {
    if (!kv_) {
      return Error(ErrorCode::FailedPrecondition,
                   "this runtime keeps no key-value store: create it with RuntimeOptions::state_dir");
    }
    return kv_.get();
  }
  // The event bus, made on first use (with events.db when there is a state
  // directory); a process that runs services makes it with its supervisor,
  // so durable events waiting from an earlier host are delivered.
  Result<bus::EventBus*> bus() {
    MutexLock lock(mutex_);
    return bus_locked();
  }
  void set_bus_options(const bus::LocalBusOptions& options) { bus_options_ = options; }
  void set_cluster(std::shared_ptr<cluster::NatsLink> link) { cluster_ = std::move(link); }
  bus::EventBus* bus_if_running() {
    MutexLock lock(mutex_);
    return bus_.get();
  }
  // Services start on first use, so a short-lived client (a CLI acting on
  // the state directly) never spawns worker threads.
  Result<supervisor::Supervisor*> supervisor() {
    ORIVON_TRY(auto* registry, this->registry());
    MutexLock lock(mutex_);
    if (!supervisor_) {
      if (shut_down_.load()) {
        return Error(ErrorCode::FailedPrecondition,
                     "this runtime has shut down: it runs no services any more");
      }
      const std::size_t workers =
          std::max<std::size_t>(limits::kMinServiceWorkers, std::thread::hardware_concurrency());
      // The supervisor owns the router its services call through; the
      // router calls back into the supervisor to reach running services.
      supervisor_ = std::make_unique<supervisor::Supervisor>(
          *engine_, *registry, state_dir_ / "logs", workers,
          // Called by the constructor, so with mutex_ held.
          [&](supervisor::Supervisor& owner) ORIVON_REQUIRES(mutex_) {
            auto router = std::make_unique<calls::CallRouter>(*registry, owner, host_functions_);
            router_ = router.get();
            return router;
          },
          clock_);
      // A service that (re)starts takes its waiting durable events at once.
      // Lock-free: the listener also runs while the supervisor is destroyed
      // under mutex_.
      supervisor_->subscribe([this](const StateChange& change) {
        if (change.to != ModuleState::Running) return;
        if (bus::EventBus* bus = live_bus_.load(std::memory_order_acquire)) bus->wake(change.id);
      });
      ORIVON_TRY(auto* bus, bus_locked());
      (void)bus;
    }
    return supervisor_.get();
  }
  // The scheduler of timer and start-up triggers, made (with the
  // supervisor) and started on the first call.
  Result<triggers::TriggerScheduler*> start_scheduler() {
    ORIVON_TRY(auto* supervisor, this->supervisor());
    ORIVON_TRY(auto* registry, this->registry());
    triggers::TriggerScheduler* scheduler = nullptr;
    {
      MutexLock lock(mutex_);
      if (!scheduler_) {
        scheduler_ = std::make_unique<triggers::TriggerScheduler>(*supervisor, *registry, clock_,
                                                                  wall_clock_);
      }
      scheduler = scheduler_.get();
    }
    ORIVON_RETURN_IF_ERROR(scheduler->start());
    return scheduler;
  }
  triggers::TriggerScheduler* scheduler_if_running() {
    MutexLock lock(mutex_);
    return scheduler_.get();
  }
  void set_wall_clock(triggers::WallClock wall) { wall_clock_ = std::move(wall); }
  // Exists once supervisor() succeeded.
  calls::CallRouter* router() {
    MutexLock lock(mutex_);
    return router_;
  }
  supervisor::Supervisor* supervisor_if_running() {
    MutexLock lock(mutex_);
    return supervisor_.get();
  }
  Result<registry::ModuleRegistry*> registry() {
    if (!registry_) {
      return Error(ErrorCode::FailedPrecondition,
                   "this runtime has no registry: create it with RuntimeOptions::state_dir");
    }
    return registry_.get();
  }
  calls::HostFunctions& host_functions() { return host_functions_; }

  // Inbound HTTP: the routes a server matches (loaded from the registry when
  // the server starts, replaced on every change) and the server.
  http::RouteTable& routes() { return routes_; }
  Result<void> reload_routes() {
    ORIVON_TRY(auto* registry, this->registry());
    ORIVON_TRY(auto rows, registry->http_routes());
    routes_.replace(std::move(rows));
    return ok();
  }
  Result<std::string> serve_http(std::string_view address) {
    ORIVON_TRY(auto* supervisor, this->supervisor());
    ORIVON_RETURN_IF_ERROR(reload_routes());
    {
      MutexLock lock(mutex_);
      if (http_server_) {
        return Error(ErrorCode::AlreadyExists,
                     "this runtime already serves HTTP on " + http_server_->address());
      }
    }
    ORIVON_TRY(auto server,
               http::HttpServer::start(address, [this, supervisor](orivon_http_request_t* request) {
                 auto host = http::request_host(http::request_host_header(request));
                 if (!host) {
                   http::answer(request, 400, "bad request: " + host.error().message());
                   return;
                 }
                 const std::string_view path = http::request_path(request);
                 auto module = routes_.match(*host, path);
                 if (!module) {
                   http::answer(request, 404, "not found: no route for this host and path");
                   return;
                 }
                 supervisor->serve_http(*module, request);
               }));
    std::string bound = server->address();
    MutexLock lock(mutex_);
    http_server_ = std::move(server);
    return bound;
  }

 private:
  Result<bus::EventBus*> bus_locked() ORIVON_REQUIRES(mutex_) {
    if (!bus_) {
      if (!routing_) {
        routing_ = std::make_unique<runtime::EventRouting>(
            registry_.get(), [this] { return supervisor_if_running(); }, *messaging_);
      }
      bus::LocalBusOptions options = bus_options_;
      if (registry_) options.database = state_dir_ / "events.db";
      ORIVON_TRY(bus_, bus::make_local_event_bus(options, *routing_));
      if (cluster_) {
        bus::NatsBusOptions nats_options;
        if (registry_) nats_options.outbox_database = state_dir_ / "cluster-outbox.db";
        ORIVON_TRY(bus_, bus::make_nats_event_bus(std::move(bus_), cluster_, nats_options));
      }
      routing_->attach(bus_.get());
      messaging_->attach(routing_.get());
      live_bus_.store(bus_.get(), std::memory_order_release);
    }
    return bus_.get();
  }

  // Shared with the key-value host, which the engine holds: both outlive
  // every store.
  std::shared_ptr<kv::KvStore> kv_;
  std::shared_ptr<runtime::RegistryBucketPolicy> bucket_policy_;
  // Shared with the configuration host, likewise.
  std::shared_ptr<runtime::RegistryConfigSource> config_source_;
  std::unique_ptr<engine::Engine> engine_;
  Clock& clock_;
  // Declared after the engine, so destroyed before it; the supervisor
  // before the registry it uses.
  std::unique_ptr<registry::ModuleRegistry> registry_;
  std::filesystem::path state_dir_;
  Mutex mutex_;
  calls::HostFunctions host_functions_;  // read by the router, so declared before it
  calls::CallRouter* router_ ORIVON_GUARDED_BY(mutex_) = nullptr;  // owned by supervisor_
  std::unique_ptr<supervisor::Supervisor> supervisor_ ORIVON_GUARDED_BY(mutex_);
  // supervisor_ once shut_down() stopped everything: it holds the stopped
  // instances until the destructor frees (or abandons) them.
  std::unique_ptr<supervisor::Supervisor> stopped_supervisor_ ORIVON_GUARDED_BY(mutex_);
  bool release_memory_ = true;  // RuntimeOptions::release_memory_on_destroy
  // Uses the supervisor and the registry: declared after them, and reset
  // before the supervisor in the destructor.
  std::unique_ptr<triggers::TriggerScheduler> scheduler_ ORIVON_GUARDED_BY(mutex_);
  triggers::WallClock wall_clock_ = triggers::system_wall_ms;  // set before the scheduler exists
  // The guest side of events (shared with the engine, which defines it on
  // every linker), what it and the bus reach, and the bus: declared after the
  // supervisor, so the bus goes first (its deliveries run guests).
  std::shared_ptr<bus::MessagingHost> messaging_;
  bus::LocalBusOptions bus_options_;  // set before the bus exists
  std::shared_ptr<cluster::NatsLink> cluster_;  // set before the bus exists; may be null
  std::unique_ptr<runtime::EventRouting> routing_ ORIVON_GUARDED_BY(mutex_);
  std::unique_ptr<bus::EventBus> bus_ ORIVON_GUARDED_BY(mutex_);
  std::atomic<bus::EventBus*> live_bus_{nullptr};  // bus_ until shutdown starts
  std::atomic<bool> shut_down_{false};  // shut_down() ran (or runs)
  http::RouteTable routes_;  // read by the server's threads; outlives the server
  // Its handler uses the supervisor and routes_: reset (in the destructor)
  // after the supervisor stopped everything and before it goes.
  std::unique_ptr<http::HttpServer> http_server_ ORIVON_GUARDED_BY(mutex_);
};

// Adds what the supervisor knows (live state, counters) to what the
// registry stored.
void overlay_metrics(supervisor::Supervisor* supervisor, ModuleInfo& info) {
  if (supervisor == nullptr) return;
  info.metrics = supervisor->metrics(info.id);
  info.state = info.metrics.state;
  info.state_cause = info.metrics.cause;
}

}  // namespace internal

namespace {

// Every entry point is a boundary where nothing may escape (STYLE.md rule
// 15): an exception from the standard library becomes an Internal error.
template <typename F>
auto guarded(std::string_view what, F&& body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Error(ErrorCode::Internal, std::string(what) + ": " + e.what());
  } catch (...) {
    return Error(ErrorCode::Internal, std::string(what) + ": unknown exception");
  }
}

// The manifest's [service] settings, unless the client set its own.
Result<void> apply_manifest_settings(supervisor::Supervisor& supervisor, const ModuleId& id,
                                     const std::optional<Manifest>& manifest) {
  if (!manifest || supervisor.has_client_settings(id)) return ok();
  ORIVON_TRY(auto settings, service_settings_from(*manifest));
  supervisor.set_settings(id, settings, supervisor::Supervisor::SettingsSource::Manifest);
  return ok();
}

Result<void> apply_manifest_settings(registry::ModuleRegistry& registry,
                                     supervisor::Supervisor& supervisor, const ModuleId& id) {
  if (supervisor.has_client_settings(id)) return ok();
  ORIVON_TRY(auto manifest, registry.manifest(id));
  return apply_manifest_settings(supervisor, id, manifest);
}

// A running service restarts on its new code; the others just get it.
Result<ModuleInfo> update_and_restart(internal::RuntimeImpl* impl, registry::ModuleRegistry& registry,
                                      const ModuleId& id, std::span<const std::byte> code) {
  auto* supervisor = impl->supervisor_if_running();
  const bool was_running =
      supervisor != nullptr && supervisor->metrics(id).state == ModuleState::Running;
  ORIVON_TRY(auto info, registry.update(id, code));
  if (was_running) {
    ORIVON_RETURN_IF_ERROR(supervisor->restart(id));
    internal::overlay_metrics(supervisor, info);
  }
  return info;
}

// Counts a client's call into a library in its metrics, as calls from
// modules are (CallRouter::record_library_call).
template <typename Returned>
void count_library_call(supervisor::Supervisor& supervisor, const ModuleId& id,
                        std::chrono::steady_clock::time_point began, const Result<Returned>& returned) {
  const bool trapped = !returned && (returned.error().code() == ErrorCode::Trapped ||
                                     returned.error().code() == ErrorCode::DeadlineExceeded);
  supervisor.count_library_call(
      id,
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            began),
      trapped);
}

// A client's call into a library: no state to keep, so a fresh instance per
// call, linked like any caller's (its grants to other libraries apply).
Result<instance::LiveInstance> library_instance(internal::RuntimeImpl& impl, const ModuleId& id,
                                               const Program& program,
                                               std::optional<std::chrono::milliseconds> timeout) {
  instance::StoreHooks hooks;
  hooks.links = impl.router();
  hooks.module = id;
  ExecutionLimits limits;
  limits.timeout = limits::clamp_call_timeout(timeout.value_or(limits::kDefaultLibraryCallTimeout));
  WasiProfile profile;
  profile.stdio = Stdio::Null;
  return instance::LiveInstance::create(impl.engine(), program.shared_data(), profile, limits,
                                       std::move(hooks));
}

// What a client's call returned, as the text path reports it.
InvokeOutcome text_outcome(ProgramKind kind, instance::Returned returned) {
  if (returned.exit_code) return InvokeOutcome{{}, returned.exit_code, {}};
  std::string text = runtime::format_results(kind, returned.values);
  return InvokeOutcome{std::move(text), std::nullopt, std::move(returned.values)};
}

// What a client's typed call returned: a guest exit cannot be a result.
Result<std::vector<Value>> typed_outcome(const Program& program, instance::Returned returned) {
  if (returned.exit_code) {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::GuestExited,
                 "'" + program.name() + "' exited with status " +
                     std::to_string(*returned.exit_code));
  }
  return std::move(returned.values);
}

supervisor::Supervisor::CallOptions client_call(std::optional<std::chrono::milliseconds> timeout) {
  supervisor::Supervisor::CallOptions options;
  options.from = supervisor::Supervisor::CallOptions::From::Client;
  options.timeout = timeout;
  return options;
}

// A group serves calls of one component interface, checked against the
// group's own binary; its members do the work.
Result<std::shared_ptr<const engine::FunctionType>> group_function(internal::RuntimeImpl& impl, const Program& program,
                                            std::string_view function) {
  if (program.kind() != ProgramKind::Component) {
    return Error(ErrorCode::Unimplemented, "only a component's calls can be prepared");
  }
  return engine::function_type(impl.engine().wasmtime_engine(), *program.shared_data(), function);
}

// Where each function `id` imports from other modules leads, as the grants
// stand: decided as the call router decides, without starting anything.
Result<std::vector<ImportRoute>> decide_import_routes(registry::ModuleRegistry& registry,
                                                      internal::RuntimeImpl& impl,
                                                      const ModuleId& id) {
  ORIVON_TRY(auto program, registry.program(id));
  std::vector<ImportRoute> routes;
  calls::ProviderCandidates candidates(registry);  // read once for all the imports, if needed
  for (auto& imported : instance::imported_functions(impl.engine(), *program.shared_data())) {
    auto decision = calls::decide_route(registry, impl.host_functions(), id, imported.import,
                                        imported.function, &candidates);
    ImportRoute route;
    route.import = std::move(imported.import);
    route.function = std::move(imported.function);
    switch (decision.kind) {
      case calls::RouteDecision::Kind::Granted:
        route.status = ImportRoute::Status::Granted;
        break;
      case calls::RouteDecision::Kind::Denied:
        route.status = ImportRoute::Status::Denied;
        break;
      case calls::RouteDecision::Kind::Unavailable:
        route.status = ImportRoute::Status::Unavailable;
        break;
    }
    route.target = std::move(decision.target);
    route.target_function = std::move(decision.function);
    route.message = std::move(decision.message);
    route.carries_error = imported.carries_error;
    routes.push_back(std::move(route));
  }
  return routes;
}

// A service about to start: each import no call can pass is noted once in
// its log, so a missing grant is found before a call traps the service.
// Reading the routes cannot stop the start: a failure here is noted too.
void note_unroutable_imports(registry::ModuleRegistry& registry, internal::RuntimeImpl& impl,
                             supervisor::Supervisor& supervisor, const ModuleId& id) {
  if (id.kind() != ModuleKind::Service) return;
  auto routes = decide_import_routes(registry, impl, id);
  if (!routes) {
    supervisor.note(id, "could not check the routes of its imports: " +
                            routes.error().to_string());
    return;
  }
  for (const auto& route : *routes) {
    if (route.status == ImportRoute::Status::Granted) continue;
    // Bounded: import names come from the module's own binary.
    supervisor.note(id, elide_middle("import " + route.import + "#" + route.function + ": " +
                                         import_route_text(id, route),
                                     limits::kMaxFailureTextBytes));
  }
}

// The manifest's event triggers become subscriptions when the service
// starts, each only if a subscribe grant covers its topic (a refused one is
// noted in its log, and tried again at the next start).
Result<void> apply_event_triggers(internal::RuntimeImpl& impl, registry::ModuleRegistry& registry,
                                  supervisor::Supervisor& supervisor, const ModuleId& id,
                                  const std::optional<Manifest>& manifest) {
  if (id.kind() != ModuleKind::Service || !manifest) return ok();
  std::optional<std::vector<std::string>> allowed;
  for (const auto& trigger : manifest->triggers) {
    if (trigger.kind != Trigger::Kind::Event) continue;
    if (!allowed) {
      ORIVON_TRY(auto granted, registry.allowed_grants(id));
      allowed = std::move(granted);
    }
    if (!grants::allows_subscription(*allowed, trigger.topic)) {
      supervisor.note(id, "event trigger on '" + trigger.topic +
                              "' not subscribed: no grant topic:PATTERN:subscribe covers it");
      continue;
    }
    ORIVON_TRY(auto* bus, impl.bus());
    auto subscribed = bus->subscribe(id, trigger.topic, EventDurability::Ephemeral,
                                     bus::SubscriptionSource::Manifest);
    if (!subscribed) {
      supervisor.note(id, "event trigger on '" + trigger.topic + "': " +
                              subscribed.error().to_string());
    }
  }
  return ok();
}

bool is_http_handler(const internal::ProgramData& program);

// The routes a manifest's `[[triggers]] kind = "http"` ask for, for `id`
// (each once). InvalidArgument for a route that is not "[HOST]/PREFIX";
// FailedPrecondition when the manifest has routes but no [function] table.
Result<std::vector<HttpRoute>> manifest_routes(const Manifest& manifest, const ModuleId& id) {
  std::vector<HttpRoute> routes;
  for (const auto& trigger : manifest.triggers) {
    if (trigger.kind != Trigger::Kind::Http) continue;
    auto key = http::parse_route(trigger.route);
    if (!key) return Error::wrap("the manifest's http trigger", key.error());
    const bool seen = std::any_of(routes.begin(), routes.end(), [&](const HttpRoute& r) {
      return r.host == key->host && r.prefix == key->prefix;
    });
    if (!seen) routes.push_back(HttpRoute{key->host, key->prefix, id});
  }
  if (!routes.empty() && !manifest.function) {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + id.str() + "' has http triggers but is not a function module: HTTP " +
                     "requests each run in a fresh instance, so its manifest must have a " +
                     "[function] table");
  }
  return routes;
}

// AlreadyExists when one of `wanted` already leads to another module: a
// manifest never takes a route away from a module the client routed there.
Result<void> refuse_route_conflicts(registry::ModuleRegistry& registry,
                                    const std::vector<HttpRoute>& wanted) {
  if (wanted.empty()) return ok();
  ORIVON_TRY(auto existing, registry.http_routes());
  for (const auto& route : wanted) {
    for (const auto& other : existing) {
      if (other.host == route.host && other.prefix == route.prefix &&
          other.module != route.module) {
        return Error(ErrorCode::AlreadyExists,
                     "the manifest's http trigger route '" + route.text() + "' already leads to '" +
                         other.module.str() + "' (remove that route first: orivon route remove " +
                         route.text() + ")");
      }
    }
  }
  if (existing.size() + wanted.size() > limits::kMaxHttpRoutes) {
    return Error(ErrorCode::ResourceExhausted,
                 "there are already " + std::to_string(existing.size()) + " routes; at most " +
                     std::to_string(limits::kMaxHttpRoutes) + " are allowed");
  }
  return ok();
}

// Stores `routes` (all to one installed module) without telling a serving
// host. InvalidArgument when the module cannot answer HTTP.
Result<void> store_manifest_routes(registry::ModuleRegistry& registry,
                                   const std::vector<HttpRoute>& routes) {
  if (routes.empty()) return ok();
  const ModuleId& id = routes.front().module;
  ORIVON_TRY(auto program, registry.program(id));
  if (!is_http_handler(*program.shared_data())) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + id.str() + "' has http triggers but cannot answer HTTP: it does not " +
                     "export wasi:http/incoming-handler (build it for the wasi:http/proxy world)");
  }
  for (const auto& route : routes) ORIVON_RETURN_IF_ERROR(registry.put_http_route(route));
  return ok();
}

// Routes `routes` (all to one installed module) and has a serving host
// apply them. InvalidArgument when the module cannot answer HTTP.
Result<void> put_manifest_routes(internal::RuntimeImpl& impl, registry::ModuleRegistry& registry,
                                 const std::vector<HttpRoute>& routes) {
  if (routes.empty()) return ok();
  ORIVON_RETURN_IF_ERROR(store_manifest_routes(registry, routes));
  return impl.reload_routes();
}

// The id a module being added will have, when its options name one (the
// registry refuses the add otherwise).
std::optional<ModuleId> id_to_add(const AddOptions& options) {
  if (options.id) return options.id;
  return options.manifest ? options.manifest->id : std::nullopt;
}

// The routes each module of a bulk add asks for in its manifest, by index,
// checked before anything is installed: against the routes stored and
// against each other's (two modules of one batch cannot take one route).
Result<std::vector<std::vector<HttpRoute>>> batch_manifest_routes(
    registry::ModuleRegistry& registry, std::span<const ModuleSource> modules) {
  std::vector<std::vector<HttpRoute>> routes(modules.size());
  std::vector<HttpRoute> all;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const AddOptions& options = modules[i].options;
    const std::optional<ModuleId> id = id_to_add(options);
    if (!options.manifest || !id) continue;
    auto listed = manifest_routes(*options.manifest, *id);
    if (!listed) return Error::wrap("'" + id->str() + "'", listed.error());
    for (const auto& route : *listed) {
      for (const auto& other : all) {
        if (other.host == route.host && other.prefix == route.prefix) {
          return Error(ErrorCode::AlreadyExists,
                       "'" + other.module.str() + "' and '" + id->str() +
                           "' both ask for the http trigger route '" + route.text() + "'");
        }
      }
    }
    all.insert(all.end(), listed->begin(), listed->end());
    routes[i] = std::move(*listed);
  }
  ORIVON_RETURN_IF_ERROR(refuse_route_conflicts(registry, all));
  return routes;
}

// Adds a module whose manifest may route HTTP to it: its routes are checked
// before it is installed and put in place after; if they cannot be, the
// module is removed again and the error says why.
Result<ModuleInfo> add_with_routes(internal::RuntimeImpl& impl, registry::ModuleRegistry& registry,
                                   std::span<const std::byte> code, const AddOptions& options) {
  std::vector<HttpRoute> routes;
  const std::optional<ModuleId> id = id_to_add(options);
  if (options.manifest && id) {
    ORIVON_TRY(routes, manifest_routes(*options.manifest, *id));
    ORIVON_RETURN_IF_ERROR(refuse_route_conflicts(registry, routes));
  }
  ORIVON_TRY(auto info, registry.add(code, options));
  if (auto routed = put_manifest_routes(impl, registry, routes); !routed) {
    (void)registry.remove(info.id, RemoveDependents::Refuse);
    (void)impl.reload_routes();
    return routed.error();
  }
  return info;
}

// A module was just installed: while triggers run, its timers are
// scheduled and, for a function, its event triggers subscribed.
void triggers_arrived(internal::RuntimeImpl& impl, registry::ModuleRegistry& registry,
                      const ModuleId& id) {
  auto* scheduler = impl.scheduler_if_running();
  if (scheduler == nullptr) return;
  // One read of the manifest decides: most modules have no triggers, and a
  // bulk install into a running host should not read each one again.
  auto manifest = registry.manifest(id);
  if (!manifest || !*manifest || (*manifest)->triggers.empty()) return;
  scheduler->reload(id);
  auto* supervisor = impl.supervisor_if_running();
  if (supervisor != nullptr && (*manifest)->function) {
    (void)apply_event_triggers(impl, registry, *supervisor, id, *manifest);
  }
}

// The export through which a module asks to be told of changes to its
// configuration (wit/config-watch/watch.wit).
constexpr std::string_view kConfigWatch = "orivon:config/watch@0.1.0#on-change";

// The supervisor running `id`, when `id` is a running service that exports
// the configuration watch; null otherwise.
supervisor::Supervisor* config_watcher(internal::RuntimeImpl& impl,
                                       registry::ModuleRegistry& registry, const ModuleId& id) {
  auto* supervisor = impl.supervisor_if_running();
  if (supervisor == nullptr || id.kind() != ModuleKind::Service ||
      supervisor->metrics(id).state != ModuleState::Running) {
    return nullptr;
  }
  auto exports = registry.exports(id);
  if (!exports || (*exports)->functions.count(std::string(kConfigWatch)) == 0) return nullptr;
  return supervisor;
}

// The keys whose value (or presence) differs between two configurations,
// sorted.
std::vector<Value> changed_keys(const std::vector<ConfigEntry>& before,
                                const std::vector<ConfigEntry>& after) {
  std::map<std::string, std::string> old_values;
  for (const auto& entry : before) old_values[entry.key] = entry.value;
  std::set<std::string> changed;
  for (const auto& entry : after) {
    auto it = old_values.find(entry.key);
    if (it == old_values.end() || it->second != entry.value) changed.insert(entry.key);
    if (it != old_values.end()) old_values.erase(it);
  }
  for (const auto& [key, value] : old_values) changed.insert(key);  // removed
  std::vector<Value> keys;
  for (const auto& key : changed) keys.push_back(Value::string(key));
  return keys;
}

// Makes one change of `id`'s configuration (`change` stores and publishes
// it), then tells the service through orivon:config/watch when it is
// running and exports it. The change stands whatever the module does with
// the news: a failure is noted in its log, and a trap crashes it as any
// call would.
template <typename Change>
Result<void> change_config(internal::RuntimeImpl& impl, registry::ModuleRegistry& registry,
                           const ModuleId& id, Change&& change) {
  auto* watcher = config_watcher(impl, registry, id);
  std::vector<ConfigEntry> before;
  if (watcher != nullptr) {
    ORIVON_TRY(before, registry.config(id));
  }
  ORIVON_RETURN_IF_ERROR(change());
  if (watcher == nullptr) return ok();
  auto after = registry.config(id);
  if (!after) return ok();  // stored; the module reads the error at its next get
  auto keys = changed_keys(before, *after);
  if (keys.empty()) return ok();
  const std::vector<Value> args = {Value::list(std::move(keys))};
  auto told = watcher->call(id, kConfigWatch, args, client_call(std::nullopt));
  if (!told) {
    watcher->note(id, std::string(kConfigWatch) + " failed: " + told.error().to_string());
  }
  return ok();
}

}  // namespace

Runtime::Runtime(std::unique_ptr<internal::RuntimeImpl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

ShutdownSummary Runtime::shut_down() { return impl_->shut_down(); }

namespace {

Result<std::unique_ptr<internal::RuntimeImpl>> create_impl(const RuntimeOptions& options,
                                                           Clock& clock) {
  if (!options.state_dir.empty()) {
    ORIVON_RETURN_IF_ERROR(ensure_private_directory(options.state_dir));
  }
  // Shared by the bus and the key-value store (region and global buckets).
  std::shared_ptr<cluster::NatsLink> link;
  if (!options.cluster.nats_url.empty()) {
    ORIVON_TRY(std::string host, runtime::cluster_host_name(options));
    ORIVON_TRY(link, cluster::NatsLink::open(options.cluster, std::move(host)));
  }
  std::shared_ptr<kv::KvStore> kv;
  if (!options.state_dir.empty()) {
    kv::KvOptions kv_options;
    kv_options.sync = options.kv_sync;
    kv_options.default_limits = options.kv_limits;
    kv_options.link = link;
    ORIVON_TRY(auto opened, kv::KvStore::open(options.state_dir / "kv.db", std::move(kv_options)));
    kv = std::move(opened);
  }
  auto bucket_policy = std::make_shared<runtime::RegistryBucketPolicy>();
  auto messaging = std::make_shared<bus::MessagingHost>();
  auto config_source = std::make_shared<runtime::RegistryConfigSource>();
  std::vector<std::shared_ptr<engine::HostInterface>> host_interfaces{
      std::make_shared<host::KeyValueHost>(kv, bucket_policy), messaging,
      std::make_shared<host::ConfigHost>(config_source)};
  ORIVON_TRY(auto engine, engine::Engine::create(options, std::move(host_interfaces)));
  auto impl = std::make_unique<internal::RuntimeImpl>(std::move(engine), clock, std::move(kv),
                                                      std::move(bucket_policy), messaging,
                                                      std::move(config_source));
  bus::LocalBusOptions bus_options;
  bus_options.max_deliveries = std::max<std::uint32_t>(1, options.event_max_deliveries);
  bus_options.initial_backoff =
      std::clamp(options.event_retry_backoff, std::chrono::milliseconds(1), limits::kEventMaxBackoff);
  impl->set_bus_options(bus_options);
  impl->set_cluster(std::move(link));
  impl->set_release_memory(options.release_memory_on_destroy);
  if (!options.state_dir.empty()) ORIVON_RETURN_IF_ERROR(impl->open_registry(options.state_dir));
  return impl;
}

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
  return guarded("creating the runtime", [&]() -> Result<std::unique_ptr<Runtime>> {
    ORIVON_TRY(auto impl, create_impl(options, real_clock()));
    return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
  });
}

Result<std::unique_ptr<Runtime>> internal::RuntimeTesting::create_for_testing(
    const RuntimeOptions& options, Clock& clock) {
  return guarded("creating the runtime", [&]() -> Result<std::unique_ptr<Runtime>> {
    ORIVON_TRY(auto impl, create_impl(options, clock));
    return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
  });
}

void internal::RuntimeTesting::set_wall_clock(Runtime& runtime,
                                              std::function<std::int64_t()> wall) {
  runtime.impl_->set_wall_clock(std::move(wall));
}

Result<Program> Runtime::load_file(const std::filesystem::path& path) {
  return guarded("loading a program", [&] {
    return engine::load_program_file(impl_->engine().wasmtime_engine(), path);
  });
}

Result<Program> Runtime::load_file(const std::filesystem::path& path,
                                   const CodeCacheOptions& cache) {
  return guarded("loading a program", [&] {
    return engine::load_program_cached(impl_->engine().wasmtime_engine(),
                                       impl_->engine().fingerprint(), path, cache);
  });
}

Result<Program> Runtime::load_bytes(std::span<const std::byte> bytes, std::string_view name) {
  return guarded("loading a program", [&] {
    return engine::load_program(impl_->engine().wasmtime_engine(), bytes, name);
  });
}

Result<RunOutcome> Runtime::run(const Program& program, const WasiProfile& profile,
                                const ExecutionLimits& limits) {
  return guarded("running a program", [&]() -> Result<RunOutcome> {
    ORIVON_TRY(auto instance, instance::LiveInstance::create(impl_->engine(), program.shared_data(),
                                                            profile, limits));
    return instance.run_command();
  });
}

Result<InvokeOutcome> Runtime::invoke(const Program& program, std::string_view call,
                                      const WasiProfile& profile, const ExecutionLimits& limits) {
  return guarded("invoking a function", [&]() -> Result<InvokeOutcome> {
    ORIVON_TRY(auto expression, values::parse_call_expression(call));
    ORIVON_TRY(auto instance, instance::LiveInstance::create(impl_->engine(), program.shared_data(),
                                                            profile, limits));
    if (auto status = instance.exit_code()) return InvokeOutcome{{}, status, {}};
    ORIVON_TRY(auto typed, runtime::parse_text_call(impl_->engine().wasmtime_engine(),
                                                    *program.shared_data(), expression));
    ORIVON_TRY(auto returned, instance::call_by_name(instance, typed.function->name, typed.args));
    return text_outcome(program.kind(), std::move(returned));
  });
}

Result<ModuleInfo> Runtime::add_module(std::span<const std::byte> code, const AddOptions& options) {
  return guarded("adding a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto info, add_with_routes(*impl_, *registry, code, options));
    triggers_arrived(*impl_, *registry, info.id);
    return info;
  });
}

Result<std::vector<ModuleInfo>> Runtime::add_modules(std::span<const ModuleSource> modules) {
  return guarded("adding modules", [&]() -> Result<std::vector<ModuleInfo>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    // As add_module: the manifests' http trigger routes are checked first
    // and put in place after; if one cannot be, the whole batch goes again.
    ORIVON_TRY(auto routes, batch_manifest_routes(*registry, modules));
    ORIVON_TRY(auto infos, registry->add_many(modules));
    const bool any_routes = std::any_of(routes.begin(), routes.end(),
                                        [](const auto& listed) { return !listed.empty(); });
    if (any_routes) {
      for (const auto& listed : routes) {
        if (auto stored = store_manifest_routes(*registry, listed); !stored) {
          for (const auto& info : infos) (void)registry->remove(info.id, RemoveDependents::Refuse);
          (void)impl_->reload_routes();
          return stored.error();
        }
      }
      ORIVON_RETURN_IF_ERROR(impl_->reload_routes());
    }
    if (impl_->scheduler_if_running() != nullptr) {
      for (const auto& info : infos) triggers_arrived(*impl_, *registry, info.id);
    }
    return infos;
  });
}

Result<ModuleInfo> Runtime::add_module_file(const std::filesystem::path& path,
                                            const AddOptions& options) {
  return guarded("adding a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto code, read_file(path, limits::kMaxBinaryBytes));
    ORIVON_TRY(auto info, add_with_routes(*impl_, *registry, code, options));
    triggers_arrived(*impl_, *registry, info.id);
    return info;
  });
}

Result<void> Runtime::remove_module(const ModuleId& id) {
  ORIVON_RETURN_IF_ERROR(remove_module(id, RemoveDependents::Refuse));
  return ok();
}

Result<std::vector<CallGrant>> Runtime::remove_module(const ModuleId& id,
                                                      RemoveDependents dependents) {
  return guarded("removing a module", [&]() -> Result<std::vector<CallGrant>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    // Checked before the service stops, so a refusal leaves it running; the
    // registry checks again in the removal's transaction.
    if (dependents == RemoveDependents::Refuse) {
      ORIVON_RETURN_IF_ERROR(registry->refuse_if_depended_on(id));
    }
    if (auto* supervisor = impl_->supervisor_if_running()) supervisor->forget(id);
    ORIVON_TRY(auto removed, registry->remove(id, dependents));
    // Its routes went with it (state.db); a serving host stops matching them.
    ORIVON_RETURN_IF_ERROR(impl_->reload_routes());
    if (auto* scheduler = impl_->scheduler_if_running()) scheduler->reload(id);
    if (auto bus = impl_->bus()) {
      ORIVON_RETURN_IF_ERROR((*bus)->unsubscribe_all(id));
    }
    return removed;
  });
}

Result<ModuleInfo> Runtime::update_module(const ModuleId& id, std::span<const std::byte> code) {
  return guarded("updating a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return update_and_restart(impl_.get(), *registry, id, code);
  });
}

Result<ModuleInfo> Runtime::update_module_file(const ModuleId& id,
                                               const std::filesystem::path& path) {
  return guarded("updating a module", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto code, read_file(path, limits::kMaxBinaryBytes));
    return update_and_restart(impl_.get(), *registry, id, code);
  });
}

Result<ModuleInfo> Runtime::update_module_manifest(const ModuleId& id, const Manifest& manifest,
                                                   const std::filesystem::path& file) {
  return guarded("updating a module's manifest", [&]() -> Result<ModuleInfo> {
    ORIVON_TRY(auto* registry, impl_->registry());
    auto* supervisor = impl_->supervisor_if_running();
    const bool was_running =
        supervisor != nullptr && supervisor->metrics(id).state == ModuleState::Running;
    // The manifest is checked (its id) before any code is replaced.
    if (manifest.id && *manifest.id != id) {
      return Error(ErrorCode::InvalidArgument, "the manifest's id '" + manifest.id->str() +
                                                   "' differs from the module's id '" + id.str() +
                                                   "'");
    }
    // Its http triggers' routes: the old manifest's that still lead here go,
    // the new manifest's come (checked for conflicts before anything changes).
    ORIVON_TRY(auto new_routes, manifest_routes(manifest, id));
    ORIVON_RETURN_IF_ERROR(refuse_route_conflicts(*registry, new_routes));
    std::vector<HttpRoute> old_routes;
    if (auto old = registry->manifest(id); old && *old) {
      if (auto listed = manifest_routes(**old, id)) old_routes = std::move(*listed);
    }
    if (!file.empty()) {
      ORIVON_TRY(auto code, read_file(file, limits::kMaxBinaryBytes));
      ORIVON_RETURN_IF_ERROR(registry->update(id, code));
    }
    ORIVON_TRY(auto info, registry->replace_manifest(id, manifest));
    ORIVON_TRY(auto routes_now, registry->http_routes());
    for (const auto& old : old_routes) {
      const bool kept = std::any_of(new_routes.begin(), new_routes.end(), [&](const HttpRoute& r) {
        return r.host == old.host && r.prefix == old.prefix;
      });
      const bool still_ours = std::any_of(routes_now.begin(), routes_now.end(), [&](const HttpRoute& r) {
        return r.host == old.host && r.prefix == old.prefix && r.module == id;
      });
      if (!kept && still_ours) ORIVON_RETURN_IF_ERROR(registry->remove_http_route(old.host, old.prefix));
    }
    ORIVON_RETURN_IF_ERROR(put_manifest_routes(*impl_, *registry, new_routes));
    if (!old_routes.empty() && new_routes.empty()) ORIVON_RETURN_IF_ERROR(impl_->reload_routes());
    if (auto* scheduler = impl_->scheduler_if_running()) scheduler->reload(id);
    if (was_running) {
      // What a start reads from the manifest (settings, event triggers)
      // applies through the restart.
      ORIVON_TRY(auto manifest, registry->manifest(id));
      ORIVON_RETURN_IF_ERROR(apply_manifest_settings(*supervisor, id, manifest));
      ORIVON_RETURN_IF_ERROR(apply_event_triggers(*impl_, *registry, *supervisor, id, manifest));
      ORIVON_RETURN_IF_ERROR(supervisor->restart(id));
      internal::overlay_metrics(supervisor, info);
    }
    return info;
  });
}

Result<std::vector<ModuleInfo>> Runtime::list_modules(const ListOptions& options) {
  return guarded("listing modules", [&]() -> Result<std::vector<ModuleInfo>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto modules, registry->list(options));
    for (auto& info : modules) internal::overlay_metrics(impl_->supervisor_if_running(), info);
    return modules;
  });
}

Result<ModuleDetails> Runtime::inspect_module(const ModuleId& id) {
  return guarded("inspecting a module", [&]() -> Result<ModuleDetails> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto details, registry->inspect(id));
    internal::overlay_metrics(impl_->supervisor_if_running(), details.info);
    return details;
  });
}

Result<void> Runtime::decide_grant(const ModuleId& id, std::string_view grant,
                                   GrantDecision decision) {
  return guarded("recording a grant decision", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->decide(id, grant, decision);
  });
}

Result<std::vector<std::string>> Runtime::forget_grant(const ModuleId& id,
                                                      std::string_view grant) {
  return guarded("forgetting a grant decision", [&]() -> Result<std::vector<std::string>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->forget_decision(id, grant);
  });
}

Result<void> Runtime::allow_grant(const ModuleId& id, std::string_view grant) {
  return decide_grant(id, grant, GrantDecision::Allow);
}

Result<void> Runtime::deny_grant(const ModuleId& id, std::string_view grant) {
  return decide_grant(id, grant, GrantDecision::Deny);
}

Result<WasiProfile> Runtime::service_profile(const ModuleId& id) {
  return guarded("building a service's profile", [&]() -> Result<WasiProfile> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto allowed, registry->allowed_grants(id));
    ORIVON_TRY(auto profile, grants::build_service_profile(id, allowed, registry->state_dir(),
                                                           grants::process_environment));
    return std::move(profile.wasi);
  });
}

Result<void> Runtime::register_host_function(std::string_view interface,
                                             std::string_view function, HostFunction callback) {
  return guarded("registering a host function", [&]() -> Result<void> {
    auto grant = parse_grant("host:" + std::string(interface));
    if (!grant) return grant.error();
    const bool valid_name = !function.empty() && std::all_of(function.begin(), function.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!valid_name) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + std::string(function) + "' is not a WIT function name (kebab-case)");
    }
    if (!callback) return Error(ErrorCode::InvalidArgument, "no callback");
    impl_->host_functions().add(std::string(interface), std::string(function), std::move(callback));
    return ok();
  });
}

namespace {

// A bucket as the client names it: "name", or "@MODULE-ID" for a module's
// private bucket.
Result<kv::BucketRef> client_bucket(std::string_view text) {
  if (text.starts_with('@')) {
    ORIVON_TRY(auto id, ModuleId::parse(text.substr(1)));
    return kv::BucketRef::private_of(id);
  }
  if (!is_bucket_name(text)) {
    return Error(ErrorCode::InvalidArgument,
                 "'" + std::string(text) +
                     "' is not a bucket: a name of 1 to 64 of A-Z a-z 0-9 _ -, or @MODULE-ID");
  }
  return kv::BucketRef::named(std::string(text));
}

}  // namespace

Result<BucketInfo> Runtime::kv_create_bucket(std::string_view name, Scope scope,
                                             const std::optional<BucketLimits>& limits) {
  return guarded("creating a bucket", [&]() -> Result<BucketInfo> {
    ORIVON_TRY(auto* kv, impl_->kv());
    return kv->create_bucket(name, scope, limits.value_or(kv->default_limits()));
  });
}

Result<void> Runtime::kv_drop_bucket(std::string_view name) {
  return guarded("dropping a bucket", [&]() -> Result<void> {
    ORIVON_TRY(auto* kv, impl_->kv());
    return kv->drop_bucket(name);
  });
}

Result<std::vector<BucketInfo>> Runtime::kv_buckets() {
  return guarded("listing buckets", [&]() -> Result<std::vector<BucketInfo>> {
    ORIVON_TRY(auto* kv, impl_->kv());
    return kv->buckets();
  });
}

Result<std::optional<Entry>> Runtime::kv_get(std::string_view bucket, std::string_view key) {
  return guarded("reading a key", [&]() -> Result<std::optional<Entry>> {
    ORIVON_TRY(auto* kv, impl_->kv());
    ORIVON_TRY(auto ref, client_bucket(bucket));
    return kv->get(ref, key);
  });
}

Result<std::uint64_t> Runtime::kv_set(std::string_view bucket, std::string_view key,
                                      std::span<const std::byte> value) {
  return guarded("writing a key", [&]() -> Result<std::uint64_t> {
    ORIVON_TRY(auto* kv, impl_->kv());
    ORIVON_TRY(auto ref, client_bucket(bucket));
    ORIVON_TRY(auto outcome, kv->set(ref, key, value));
    return outcome.version;
  });
}

Result<bool> Runtime::kv_delete(std::string_view bucket, std::string_view key) {
  return guarded("deleting a key", [&]() -> Result<bool> {
    ORIVON_TRY(auto* kv, impl_->kv());
    ORIVON_TRY(auto ref, client_bucket(bucket));
    return kv->remove(ref, key);
  });
}

Result<KeyList> Runtime::kv_keys(std::string_view bucket, std::string_view prefix,
                                 const std::optional<std::string>& after, std::size_t limit) {
  return guarded("listing keys", [&]() -> Result<KeyList> {
    ORIVON_TRY(auto* kv, impl_->kv());
    ORIVON_TRY(auto ref, client_bucket(bucket));
    if (limit == 0 || limit > 10'000) {
      return Error(ErrorCode::InvalidArgument, "a page holds 1 to 10000 keys");
    }
    std::optional<std::string_view> cursor;
    if (after) cursor = *after;
    ORIVON_TRY(auto page, kv->keys(ref, prefix, cursor, limit));
    return KeyList{std::move(page.keys), std::move(page.cursor)};
  });
}

Result<LoadReport> Runtime::load_installed() {
  return guarded("loading installed modules", [&]() -> Result<LoadReport> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->load_installed();
  });
}

Result<Program> Runtime::program(const ModuleId& id) {
  return guarded("loading a module", [&]() -> Result<Program> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->program(id);
  });
}

Result<void> Runtime::start_service(const ModuleId& id) {
  return guarded("starting a service", [&]() -> Result<void> {
    ORIVON_TRY(auto* supervisor, impl_->supervisor());
    ORIVON_TRY(auto* registry, impl_->registry());
    if (id.kind() == ModuleKind::Service) ORIVON_RETURN_IF_ERROR(registry->set_autostart(id, true));
    // Read once for the settings and the event triggers.
    ORIVON_TRY(auto manifest, registry->manifest(id));
    ORIVON_RETURN_IF_ERROR(apply_manifest_settings(*supervisor, id, manifest));
    ORIVON_RETURN_IF_ERROR(apply_event_triggers(*impl_, *registry, *supervisor, id, manifest));
    note_unroutable_imports(*registry, *impl_, *supervisor, id);
    return supervisor->start(id);
  });
}

Result<void> Runtime::stop_service(const ModuleId& id) {
  return guarded("stopping a service", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_RETURN_IF_ERROR(registry->set_autostart(id, false));
    if (auto* supervisor = impl_->supervisor_if_running()) return supervisor->stop(id);
    return ok();
  });
}

Result<void> Runtime::restart_service(const ModuleId& id) {
  return guarded("restarting a service", [&]() -> Result<void> {
    ORIVON_TRY(auto* supervisor, impl_->supervisor());
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto program, registry->program(id));  // NotFound before stopping anything
    (void)program;
    if (id.kind() == ModuleKind::Service) ORIVON_RETURN_IF_ERROR(registry->set_autostart(id, true));
    ORIVON_RETURN_IF_ERROR(apply_manifest_settings(*registry, *supervisor, id));
    return supervisor->restart(id);
  });
}

Result<void> Runtime::set_autostart(const ModuleId& id, bool autostart) {
  return guarded("recording autostart", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->set_autostart(id, autostart);
  });
}

Result<std::size_t> Runtime::start_autostart_services() {
  return guarded("starting services", [&]() -> Result<std::size_t> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto modules, registry->list());
    std::size_t running = 0;
    for (const auto& info : modules) {
      if (!info.autostart) continue;
      ORIVON_TRY(auto* supervisor, impl_->supervisor());
      auto manifest = registry->manifest(info.id);
      if (!manifest || !apply_manifest_settings(*supervisor, info.id, *manifest)) continue;
      // Noted in its log.
      (void)apply_event_triggers(*impl_, *registry, *supervisor, info.id, *manifest);
      note_unroutable_imports(*registry, *impl_, *supervisor, info.id);
      if (supervisor->start(info.id)) ++running;
    }
    return running;
  });
}

Result<void> Runtime::start_triggers() {
  return guarded("starting triggers", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto* scheduler, impl_->start_scheduler());
    (void)scheduler;
    ORIVON_TRY(auto* supervisor, impl_->supervisor());
    ORIVON_TRY(auto modules, registry->manifests_with_triggers());
    for (auto& [id, manifest] : modules) {
      // Services subscribe theirs when they start; a function has no start.
      if (!manifest.function) continue;
      // Noted in its log.
      (void)apply_event_triggers(*impl_, *registry, *supervisor, id,
                                 std::optional<Manifest>(std::move(manifest)));
    }
    return ok();
  });
}

namespace {

constexpr std::string_view kIncomingHandler = "wasi:http/incoming-handler@";

// Whether `program` can answer HTTP: a component exporting
// wasi:http/incoming-handler#handle.
bool is_http_handler(const internal::ProgramData& program) {
  if (program.kind != ProgramKind::Component) return false;
  return std::any_of(program.function_exports.begin(), program.function_exports.end(),
                     [](const std::string& name) {
                       return name.starts_with(kIncomingHandler) && name.ends_with("#handle");
                     });
}

}  // namespace

Result<HttpRoute> Runtime::add_http_route(std::string_view route, const ModuleId& id) {
  return guarded("adding a route", [&]() -> Result<HttpRoute> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto key, http::parse_route(route));
    ORIVON_TRY(auto program, registry->program(id));
    if (!is_http_handler(*program.shared_data())) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + id.str() + "' cannot answer HTTP: it does not export " +
                       "wasi:http/incoming-handler (build it for the wasi:http/proxy world)");
    }
    ORIVON_TRY(auto manifest, registry->manifest(id));
    if (!manifest || !manifest->function) {
      return Error(ErrorCode::FailedPrecondition,
                   "'" + id.str() + "' is not a function module: HTTP requests each run in a " +
                       "fresh instance, so its manifest must have a [function] table (update " +
                       "it with one, even empty)");
    }
    ORIVON_TRY(auto existing, registry->http_routes());
    if (existing.size() >= limits::kMaxHttpRoutes &&
        std::none_of(existing.begin(), existing.end(), [&](const HttpRoute& r) {
          return r.host == key.host && r.prefix == key.prefix;
        })) {
      return Error(ErrorCode::ResourceExhausted,
                   "there are already " + std::to_string(limits::kMaxHttpRoutes) + " routes");
    }
    HttpRoute added{key.host, key.prefix, id};
    ORIVON_RETURN_IF_ERROR(registry->put_http_route(added));
    ORIVON_RETURN_IF_ERROR(impl_->reload_routes());
    return added;
  });
}

Result<void> Runtime::remove_http_route(std::string_view route) {
  return guarded("removing a route", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto key, http::parse_route(route));
    ORIVON_TRY(bool removed, registry->remove_http_route(key.host, key.prefix));
    if (!removed) {
      return Error(ErrorCode::NotFound, "there is no route '" + key.host + key.prefix + "'");
    }
    return impl_->reload_routes();
  });
}

Result<std::vector<HttpRoute>> Runtime::http_routes() {
  return guarded("listing routes", [&]() -> Result<std::vector<HttpRoute>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->http_routes();
  });
}

Result<std::string> Runtime::serve_http(std::string_view address) {
  return guarded("serving HTTP",
                 [&]() -> Result<std::string> { return impl_->serve_http(address); });
}

Result<void> Runtime::instantiate_http_for_testing(const ModuleId& id) {
  return guarded("instantiating", [&]() -> Result<void> {
    ORIVON_TRY(auto* supervisor, impl_->supervisor());
    return supervisor->instantiate_http_for_testing(id);
  });
}

Result<std::vector<TriggerInfo>> Runtime::triggers(const std::optional<ModuleId>& only) {
  return guarded("listing triggers", [&]() -> Result<std::vector<TriggerInfo>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    if (auto* scheduler = impl_->scheduler_if_running()) {
      auto live = scheduler->status(only);
      if (only) ORIVON_RETURN_IF_ERROR(registry->manifest(*only));  // NotFound for an unknown id
      return live;
    }
    return triggers::stored_triggers(*registry, only);
  });
}

Result<InvokeOutcome> Runtime::call_service(const ModuleId& id, std::string_view call,
                                            std::optional<std::chrono::milliseconds> timeout) {
  return guarded("calling a service", [&]() -> Result<InvokeOutcome> {
    ORIVON_TRY(auto expression, values::parse_call_expression(call));
    if (id.kind() != ModuleKind::Service) return this->call(id, call, timeout);
    if (impl_->supervisor_if_running() == nullptr) {
      // A function needs no start: each call makes its own instance.
      ORIVON_TRY(auto* registry, impl_->registry());
      ORIVON_TRY(auto manifest, registry->manifest(id));
      if (!manifest || !manifest->function) {
        return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                     "'" + id.str() + "' is not running; start it first");
      }
    }
    return this->call(id, call, timeout);
  });
}

Result<InvokeOutcome> Runtime::call(const ModuleId& id, std::string_view call,
                                    std::optional<std::chrono::milliseconds> timeout) {
  return guarded("calling a module", [&]() -> Result<InvokeOutcome> {
    ORIVON_TRY(auto expression, values::parse_call_expression(call));
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto program, registry->program(id));
    ORIVON_TRY(auto* supervisor, impl_->supervisor());
    if (id.kind() == ModuleKind::Group && program.kind() != ProgramKind::Component) {
      return Error(ErrorCode::Unimplemented, "only a component's calls can be prepared");
    }
    // Parsed once, here, against the target's own types; the same typed
    // path as Runtime::call with values from here on.
    ORIVON_TRY(auto typed, runtime::parse_text_call(impl_->engine().wasmtime_engine(),
                                                    *program.shared_data(), expression));
    switch (id.kind()) {
      case ModuleKind::Service: {
        ORIVON_TRY(auto returned,
                   supervisor->call(id, typed.function->name, typed.args, client_call(timeout)));
        return text_outcome(program.kind(), std::move(returned));
      }
      case ModuleKind::Library: {
        ORIVON_TRY(auto instance, library_instance(*impl_, id, program, timeout));
        const auto began = std::chrono::steady_clock::now();
        auto returned = instance::call_by_name(instance, typed.function->name, typed.args);
        count_library_call(*supervisor, id, began, returned);
        if (!returned) return returned.error();
        return text_outcome(program.kind(), std::move(*returned));
      }
      case ModuleKind::Group: {
        ORIVON_TRY(auto results,
                   impl_->router()->call_group(id, typed.function->name, typed.args));
        return text_outcome(program.kind(), instance::Returned{std::move(results), std::nullopt});
      }
    }
    return Error(ErrorCode::Internal, "unknown module kind");
  });
}

Result<std::vector<Value>> Runtime::call(const ModuleId& id, std::string_view function,
                                         std::span<const Value> args,
                                         std::optional<std::chrono::milliseconds> timeout) {
  return guarded("calling a module", [&]() -> Result<std::vector<Value>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto program, registry->program(id));
    ORIVON_TRY(auto* supervisor, impl_->supervisor());
    switch (id.kind()) {
      case ModuleKind::Service: {
        ORIVON_TRY(auto returned, supervisor->call(id, function, args, client_call(timeout)));
        return typed_outcome(program, std::move(returned));
      }
      case ModuleKind::Library: {
        ORIVON_TRY(auto instance, library_instance(*impl_, id, program, timeout));
        const auto began = std::chrono::steady_clock::now();
        auto returned = instance::call_by_name(instance, function, args);
        count_library_call(*supervisor, id, began, returned);
        if (!returned) return returned.error();
        return typed_outcome(program, std::move(*returned));
      }
      case ModuleKind::Group: {
        // Checked against the group's own types, then served by a member.
        ORIVON_TRY(auto type, group_function(*impl_, program, function));
        ORIVON_RETURN_IF_ERROR(runtime::check_arguments(*type, function, args));
        return impl_->router()->call_group(id, type->name, args);
      }
    }
    return Error(ErrorCode::Internal, "unknown module kind");
  });
}

Result<void> Runtime::grant_calls(const ModuleId& caller, const ModuleId& target,
                                  const std::vector<std::string>& functions) {
  return guarded("granting calls", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->grant_calls(caller, target, functions);
  });
}

Result<void> Runtime::revoke_calls(const ModuleId& caller, const ModuleId& target,
                                   const std::vector<std::string>& functions) {
  return guarded("revoking calls", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->revoke_calls(caller, target, functions);
  });
}

Result<std::vector<ConfigEntry>> Runtime::module_config(const ModuleId& id) {
  return guarded("reading a configuration", [&]() -> Result<std::vector<ConfigEntry>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->config(id);
  });
}

Result<void> Runtime::set_config(const ModuleId& id, std::string_view key,
                                 std::string_view value) {
  return guarded("setting a configuration value", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return change_config(*impl_, *registry, id,
                         [&] { return registry->set_config(id, key, value); });
  });
}

Result<void> Runtime::unset_config(const ModuleId& id, std::string_view key) {
  return guarded("unsetting a configuration value", [&]() -> Result<void> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return change_config(*impl_, *registry, id, [&] { return registry->unset_config(id, key); });
  });
}

Result<std::vector<CallGrant>> Runtime::call_grants(const std::optional<ModuleId>& caller) {
  return guarded("listing call grants", [&]() -> Result<std::vector<CallGrant>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return registry->call_grants(caller);
  });
}

Result<std::vector<ImportRoute>> Runtime::import_routes(const ModuleId& id) {
  return guarded("reading a module's import routes", [&]() -> Result<std::vector<ImportRoute>> {
    ORIVON_TRY(auto* registry, impl_->registry());
    return decide_import_routes(*registry, *impl_, id);
  });
}

void Runtime::set_service_settings(const ModuleId& id, const ServiceSettings& settings) {
  if (auto supervisor = impl_->supervisor()) {
    (*supervisor)->set_settings(id, settings, supervisor::Supervisor::SettingsSource::Client);
  }
}

ServiceMetrics Runtime::service_metrics(const ModuleId& id) {
  auto* supervisor = impl_->supervisor_if_running();
  return supervisor ? supervisor->metrics(id) : ServiceMetrics{};
}

CapacityReport Runtime::capacity() { return impl_->engine().capacity().report(); }

std::vector<LogEntry> Runtime::service_logs(const ModuleId& id, std::uint64_t after,
                                            std::size_t max) {
  std::vector<LogEntry> entries;
  auto* supervisor = impl_->supervisor_if_running();
  if (supervisor == nullptr) return entries;
  for (auto& record : supervisor->logs(id, after, max)) {
    const char* stream = record.stream == supervisor::LogStream::Stdout   ? "out"
                         : record.stream == supervisor::LogStream::Stderr ? "err"
                                                                          : "orivon";
    entries.push_back(LogEntry{record.sequence, record.time_ms, stream, std::move(record.text)});
  }
  return entries;
}

std::uint64_t Runtime::subscribe(StateListener listener) {
  auto supervisor = impl_->supervisor();
  return supervisor ? (*supervisor)->subscribe(std::move(listener)) : 0;
}

void Runtime::unsubscribe(std::uint64_t subscription) {
  if (auto* supervisor = impl_->supervisor_if_running()) supervisor->unsubscribe(subscription);
}

// ---- Events -------------------------------------------------------------------

Result<std::uint64_t> Runtime::publish(const EventMessage& message) {
  return guarded("publishing an event", [&]() -> Result<std::uint64_t> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->publish("client", message, 0);
  });
}

Result<std::uint64_t> Runtime::subscribe_events(std::string_view pattern, EventHandler handler) {
  return guarded("subscribing to events", [&]() -> Result<std::uint64_t> {
    ORIVON_TRY(auto* bus, impl_->bus());
    ORIVON_TRY(auto id, bus->subscribe_client(pattern, std::move(handler)));
    return id.value;
  });
}

Result<void> Runtime::unsubscribe_events(std::uint64_t subscription) {
  return guarded("unsubscribing", [&]() -> Result<void> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->unsubscribe_client(bus::SubscriptionId{subscription});
  });
}

Result<void> Runtime::subscribe_module(const ModuleId& id, std::string_view pattern,
                                       EventDurability durability) {
  return guarded("subscribing a module", [&]() -> Result<void> {
    ORIVON_RETURN_IF_ERROR(grants::check_topic_pattern(pattern));
    ORIVON_TRY(auto* registry, impl_->registry());
    ORIVON_TRY(auto allowed, registry->allowed_grants(id));  // NotFound if not installed
    if (id.kind() != ModuleKind::Service) {
      return Error(ErrorCode::FailedPrecondition,
                   "'" + id.str() + "' is a " + std::string(module_kind_name(id.kind())) +
                       ": only service modules receive events");
    }
    if (!grants::allows_subscription(allowed, pattern)) {
      return Error(ErrorCode::PermissionDenied,
                   "'" + id.str() + "' may not subscribe to '" + std::string(pattern) +
                       "': no grant topic:PATTERN:subscribe covers it (orivon allow " + id.str() +
                       " topic:" + std::string(pattern) + ":subscribe)");
    }
    ORIVON_TRY(auto* bus, impl_->bus());
    ORIVON_TRY(auto subscription,
               bus->subscribe(id, pattern, durability, bus::SubscriptionSource::Client));
    (void)subscription;
    return ok();
  });
}

Result<void> Runtime::unsubscribe_module(const ModuleId& id, std::string_view pattern) {
  return guarded("unsubscribing a module", [&]() -> Result<void> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->unsubscribe(id, pattern);
  });
}

Result<EventsReport> Runtime::events() {
  return guarded("reporting events", [&]() -> Result<EventsReport> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->report();
  });
}

EventCounters Runtime::event_counters(const ModuleId& id) {
  bus::EventBus* bus = impl_->bus_if_running();
  return bus == nullptr ? EventCounters{} : bus->counters(id.str());
}

Result<std::vector<DeadLetter>> Runtime::dead_letters(std::size_t max) {
  return guarded("listing dead letters", [&]() -> Result<std::vector<DeadLetter>> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->dead_letters(max);
  });
}

Result<std::size_t> Runtime::requeue_dead_letters() {
  return guarded("requeueing dead letters", [&]() -> Result<std::size_t> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->requeue_dead_letters();
  });
}

Result<std::size_t> Runtime::purge_dead_letters() {
  return guarded("purging dead letters", [&]() -> Result<std::size_t> {
    ORIVON_TRY(auto* bus, impl_->bus());
    return bus->purge_dead_letters();
  });
}

}  // namespace orivon
