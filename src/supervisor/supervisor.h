#pragma once

// Runs installed modules as services. Each service is an actor: a mailbox
// of tasks (start, call, tick, stop) that the worker pool runs one at a time
// for that service, so a service's store is only ever used by one thread,
// and services run in parallel with each other. Deadlines and stop requests
// reach a running guest through its store's epoch callback (checked every
// tick), never through a global epoch bump.
//
// Owned by RuntimeImpl. Thread-safe. State listeners are called without any
// lock held, on the thread where the change happened.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/limits.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "engine/engine.h"
#include "orivon/manifest.h"
#include "orivon/module_info.h"
#include "orivon/outcomes.h"
#include "orivon/service.h"
#include "registry/module_registry.h"
#include "instance/links.h"
#include "instance/live_instance.h"
#include "wasi/wasi_extensions.h"
#include "supervisor/log_sink.h"
#include "supervisor/worker_pool.h"

namespace orivon::instance {
class InstanceTemplate;
}

namespace orivon::supervisor {

// How a function module's invocations run: its manifest's [function].
struct FunctionSettings {
  std::uint64_t max_instances = limits::kDefaultFunctionInstances;
  std::chrono::milliseconds deadline{30'000};
  std::uint64_t max_memory_bytes = std::uint64_t{256} << 20;
};

// The manifest's [function] settings; nothing when it declares no function.
Result<std::optional<FunctionSettings>> function_settings_from(const Manifest& manifest);

class Supervisor {
 public:
  // One service's state; opaque outside supervisor.cc. A handle stays valid
  // (and names the same service) until the module is forgotten.
  struct Service;

  // Makes the Links through which the instances this supervisor starts reach
  // other modules (see instance/links.h). Called once, by the constructor,
  // with the supervisor being built: it may keep the reference but must not
  // call it yet.
  using LinksFactory = std::function<std::unique_ptr<instance::Links>(Supervisor&)>;

  // `engine`, `registry` and `clock` must outlive the supervisor. Logs go to
  // `log_dir` (created if missing); empty keeps them in memory only. Without
  // `make_links`, services cannot call other modules. Restart backoff and
  // budgets, tick delays, stop grace periods and uptimes follow `clock`;
  // guest deadlines, and the waits they bound, follow real time.
  Supervisor(engine::Engine& engine, registry::ModuleRegistry& registry,
             std::filesystem::path log_dir, std::size_t workers,
             const LinksFactory& make_links = {}, Clock& clock = real_clock());
  ~Supervisor();  // stops every service, newest first
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Function modules (a manifest with [function]) never run as services:
  // every call, event or trigger run gets a fresh instance of its own, made
  // with the module's grants as they are at that moment and dropped when it
  // returns, so nothing one invocation leaves in memory reaches the next.
  // At most the function's max-instances run at once, and
  // limits::kMaxLiveFunctionInstances across all functions; past either, an
  // invocation is refused with ResourceExhausted. Each runs under the
  // function's deadline; a trap or a deadline fails that invocation only
  // (counted in the module's traps and noted in its log).
  //
  // Whether `id` is a function module. NotFound for an unknown module.
  Result<bool> is_function(const ModuleId& id);

  // Starts the service and waits until it runs (or fails to). Running
  // already: ok. Libraries, groups and functions cannot run:
  // FailedPrecondition.
  Result<void> start(const ModuleId& id);
  // Asks the service to stop (its `stop` export, if any), waits up to the
  // grace period, then interrupts it. Not running: ok.
  Result<void> stop(const ModuleId& id);
  Result<void> restart(const ModuleId& id);
  // Who calls, which decides how long the call may wait and how its
  // arguments must fit (see instance::LiveInstance::Match).
  struct CallOptions {
    enum class From {
      Client,  // the runtime's client: kinds must match; waits at most the call deadline
      Module,  // another module (the router): numbers take the callee's kinds
    };
    From from = From::Client;
    // A client's limit: shortens the service's call deadline, never lengthens it.
    std::optional<std::chrono::milliseconds> timeout;
  };
  // Calls `function` of a running service with `args`, on the calling
  // thread: the service's store is taken for the call (waiting while another
  // thread uses it), so a module calling another needs no free worker, and
  // a client's call no hand-off to a worker. A call that runs past its
  // deadline interrupts the service, which then counts as crashed. A call
  // that would wait on itself (A calls B calls A, on one thread or across
  // threads) fails with FailedPrecondition "call cycle" instead of
  // deadlocking. Not running: FailedPrecondition. A guest exit during a
  // client's call is a Returned with its status; during a module's call, an
  // error.
  Result<instance::Returned> call(const ModuleId& id, std::string_view function,
                                  std::span<const Value> args, const CallOptions& options);
  // The same through a handle (see handle()): no lookup by id.
  Result<instance::Returned> call(const std::shared_ptr<Service>& service,
                                  std::string_view function, std::span<const Value> args,
                                  const CallOptions& options);
  // For a function, `body` runs on a fresh instance instead (see above).
  // Runs `body` on the running service's live instance, on the calling
  // thread, like a client's call: it waits for the store, runs under the
  // service's call deadline, and a trap or a deadline crashes the service
  // (its restart policy applies). What the event bus delivers through. Not
  // running: FailedPrecondition tagged NotRunning.
  Result<void> with_instance(const ModuleId& id,
                             const std::function<Result<void>(instance::LiveInstance&)>& body);
  // The service's handle, created if the supervisor has not seen it yet.
  std::shared_ptr<Service> handle(const ModuleId& id) { return service(id); }
  // Whether the service runs now (a group's health check); a function can
  // always take a call.
  bool is_running(const ModuleId& id);
  // Adds a runtime note to a service's log (created if the supervisor has
  // not seen the module yet).
  void note(const ModuleId& id, const std::string& text);
  // Counts a call the service was refused (see ServiceMetrics).
  void count_denial(const ModuleId& id);
  // The counter of the calls `id` makes through typed forwarders (see
  // ServiceMetrics::typed_calls), shared so a linked forwarder can add to it
  // without a lookup; it keeps the module's counters alive.
  std::shared_ptr<std::atomic<std::uint64_t>> typed_call_counter(const ModuleId& id);
  // Counts a call into the library `id` (from a module or a client), which
  // runs in the caller's store or a fresh one, not in a service: its
  // metrics() then show the calls, their durations and the traps.
  // Thread-safe: calls into one library run on many threads at once.
  void count_library_call(const ModuleId& id, std::chrono::microseconds took, bool trapped);
  // Settings take effect at the next start. The client's settings win over
  // the manifest's: once a client set them, the manifest's are not applied.
  enum class SettingsSource { Manifest, Client };
  void set_settings(const ModuleId& id, const ServiceSettings& settings, SettingsSource source);
  bool has_client_settings(const ModuleId& id);
  // Installed (never started) for modules the supervisor has not seen.
  ServiceMetrics metrics(const ModuleId& id);
  std::vector<LogRecord> logs(const ModuleId& id, std::uint64_t after, std::size_t max);

  std::uint64_t subscribe(StateListener listener);
  void unsubscribe(std::uint64_t subscription);

  // Answers one inbound HTTP request (deps/wasmtime/lib.rs hands it over on
  // a server thread) with a fresh instance of the function module `id`,
  // under its grants, its [function] caps, deadline and memory limit. Always
  // answers: a refusal or failure becomes a status (404 not a function
  // module any more, 503 at a cap or shutting down, 504 past the deadline,
  // 500 a trap or any other failure; the cause goes to the module's log).
  void serve_http(const ModuleId& id, orivon_http_request_t* request);
  // What one instance of the HTTP function `id` costs to create from its
  // template, alone (benchmarks): creates one in a fresh store.
  Result<void> instantiate_http_for_testing(const ModuleId& id);

  // Stops and forgets a service (the module is being removed or updated).
  void forget(const ModuleId& id);
  // Stops every service at once: each is asked to stop (its `stop` export,
  // on its own worker) and all share one grace period, the longest of
  // theirs; those still running after it are interrupted. Newest first
  // only in the order they are asked. A service's log gets notes only when
  // its `stop` export ran (or failed); the summary counts every service.
  ShutdownSummary stop_all();
  // Leaves the instances stop_all() stopped to the process's exit instead of
  // freeing them when the supervisor goes (RuntimeOptions::
  // release_memory_on_destroy).
  void abandon_stopped_instances();

 private:
  using Task = std::function<void(Service&)>;

  // One function invocation of a service, in the service's count and the
  // host's for as long as it lives. Counted before the caps are checked, so
  // two racing invocations cannot both take the last place. The last one to
  // end wakes stop_all(): only it takes functions_mutex_.
  class FunctionTurn {
   public:
    FunctionTurn(Supervisor& supervisor, Service& s);
    ~FunctionTurn();
    FunctionTurn(const FunctionTurn&) = delete;
    FunctionTurn& operator=(const FunctionTurn&) = delete;
    // The invocations alive with this one: of its service, of the host.
    std::uint64_t of_service() const { return of_service_; }
    std::uint64_t of_host() const { return of_host_; }

   private:
    Supervisor& supervisor_;
    Service& service_;
    std::uint64_t of_service_;
    std::uint64_t of_host_;
  };

  std::shared_ptr<Service> service(const ModuleId& id);
  std::shared_ptr<Service> find(const ModuleId& id);
  void post(const std::shared_ptr<Service>& service, Task task);
  void drain(const std::shared_ptr<Service>& service) noexcept;
  // Takes the service's store for the calling thread, waiting until
  // `deadline` if another thread has it; refuses a wait that would close a
  // cycle of threads waiting on each other's services.
  Result<void> acquire(const std::shared_ptr<Service>& service,
                       std::chrono::steady_clock::time_point deadline);
  // Gives the store back; `from_pool` when a drain job held it.
  void release(const std::shared_ptr<Service>& service, bool from_pool);
  // Runs `invoke` on the service's live instance under its call deadline,
  // handling a crash or an exit, then gives the store back. The calling
  // thread must hold the store (acquire).
  template <typename F>
  auto run_call(const std::shared_ptr<Service>& held, std::chrono::milliseconds deadline,
                F&& invoke, bool state_checked = false)
      -> decltype(invoke(std::declval<instance::LiveInstance&>()));
  template <typename F>
  auto run_held(Service& s, std::chrono::milliseconds deadline, F&& invoke, bool state_checked)
      -> decltype(invoke(std::declval<instance::LiveInstance&>()));
  // Puts `id` last in the start order (first if it is new there).
  void note_started_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);
  // Takes `id` out of the start order, if it is there.
  void drop_from_start_order_locked(const ModuleId& id) ORIVON_REQUIRES(mutex_);

  // What every instance of a module is made from: its code and the WASI its
  // grants allow, read afresh each time (notes about the grants go to its log).
  struct Recipe {
    Program program;
    WasiProfile profile;
    bool log_output = true;  // stdout and stderr go to the module's log
  };
  Result<Recipe> recipe(Service& service);
  // recipe(), kept while no grant decision changes: what every invocation of
  // a function module uses (HTTP requests, calls, events, timers).
  Result<std::shared_ptr<const Recipe>> function_recipe(Service& service);
  // The function's template for calls, events and timers, made on first use
  // and again when its outbound HTTP grants change.
  Result<std::shared_ptr<const instance::InstanceTemplate>> call_template(
      Service& service, const Recipe& recipe, const FunctionSettings& settings);

  // The function's settings when `service` is a function module, resolved
  // from its manifest the first time.
  Result<std::optional<FunctionSettings>> function_role(Service& service);
  // Runs `body` on a fresh instance of the function `service`, under its
  // caps and deadline (shortened by `timeout`). See is_function().
  Result<void> run_function(const std::shared_ptr<Service>& service,
                            const FunctionSettings& settings,
                            std::optional<std::chrono::milliseconds> timeout,
                            const std::function<Result<void>(instance::LiveInstance&)>& body);
  // A call (see call()) of a function module.
  Result<instance::Returned> call_function(const std::shared_ptr<Service>& service,
                                           const FunctionSettings& settings,
                                           std::string_view function,
                                           std::span<const Value> args, const CallOptions& options);

  void run_start(Service& service, std::uint64_t generation);
  void run_tick(const std::shared_ptr<Service>& service, std::uint64_t generation);
  // Calls the service's `stop` export if it has one and `stop_by` (its
  // grace period's end, by clock_) has not passed, then drops its instance.
  // With StopNotes::Quiet (a host's shutdown), the service's log gets notes
  // only when its `stop` export runs.
  enum class StopNotes { Log, Quiet };
  void run_stop(Service& service, Clock::time_point stop_by, StopNotes notes);
  // Asks a running or starting service to stop (cancels its pending work
  // and posts its stop) and returns its grace period, which runs from
  // `asked`; nothing when it was not running (a crashed one is just marked
  // stopped).
  std::optional<std::chrono::milliseconds> begin_stop(const std::shared_ptr<Service>& service,
                                                      Clock::time_point asked,
                                                      StopNotes notes = StopNotes::Log);
  // Waits for the services asked at `asked` to stop, each until its grace
  // period from then ends (by clock_); interrupts those still running and
  // waits a little longer for them. DeadlineExceeded names one that did not
  // stop.
  // Counts the interrupted ones in `interrupted` when given.
  Result<void> finish_stops(
      const std::vector<std::pair<std::shared_ptr<Service>, std::chrono::milliseconds>>& stopping,
      Clock::time_point asked, std::uint64_t* interrupted = nullptr);
  // The guest failed (trap, deadline, memory, host error): drop the instance,
  // mark it crashed and apply the restart policy.
  void crash(Service& service, const Error& error);
  void exited(Service& service, int status);
  // A command service's `_start`, on its own thread, which holds the store
  // from run_start's hand-off until it returns.
  void run_command(const std::shared_ptr<Service>& service, std::uint64_t generation) noexcept;
  void schedule_restart(Service& service, const std::string& reason);
  // Notes the change in the service's log unless `note` is Skip (a quiet
  // stop); listeners are told either way.
  enum class StateNote { Log, Skip };
  void set_state(Service& service, ModuleState state, std::string cause,
                 StateNote note = StateNote::Log);
  // Waits until `done` holds for the service's state, or `limit` passes by
  // `clock`.
  void wait_for_state(Service& service, Clock& clock, std::chrono::milliseconds limit,
                      const std::function<bool(ModuleState)>& done);
  void wait_for_state_until(Service& service, Clock& clock, Clock::time_point deadline,
                            const std::function<bool(ModuleState)>& done);

  engine::Engine& engine_;
  registry::ModuleRegistry& registry_;
  std::filesystem::path log_dir_;
  Clock& clock_;
  // Declared before the services, so it outlives their instances.
  const std::unique_ptr<instance::Links> links_;

  Mutex mutex_;
  std::map<ModuleId, std::shared_ptr<Service>> services_ ORIVON_GUARDED_BY(mutex_);
  // Ids in the order their services last started, oldest first (stop_all()
  // stops the newest first), and where each id sits in that list. Moving an
  // id to the end or dropping it is O(1): a vector's erase made starting N
  // services O(N^2).
  std::list<ModuleId> start_order_ ORIVON_GUARDED_BY(mutex_);
  std::unordered_map<ModuleId, std::list<ModuleId>::iterator> start_positions_
      ORIVON_GUARDED_BY(mutex_);
  std::map<std::uint64_t, StateListener> listeners_ ORIVON_GUARDED_BY(mutex_);
  std::uint64_t next_subscription_ ORIVON_GUARDED_BY(mutex_) = 1;

  // Fresh function instances alive now, across all functions; set when the
  // supervisor is going away, so those still running are interrupted and no
  // new one starts. stop_all() waits for the count to reach zero.
  std::atomic<std::uint64_t> live_functions_{0};
  std::atomic<bool> closing_{false};
  // What the quiet stops of stop_all() saw of `stop` exports.
  std::atomic<std::uint64_t> quiet_stop_exports_{0};
  std::atomic<std::uint64_t> quiet_stop_failures_{0};
  // Set by stop_all(): a stopped service's instance is kept here instead of
  // freed (the unmapping is most of a stop's cost), and freed by the
  // destructor, before the services its hooks point to.
  std::atomic<bool> keep_stopped_{false};
  Mutex stopped_mutex_;
  std::vector<instance::LiveInstance> stopped_ ORIVON_GUARDED_BY(stopped_mutex_);
  Mutex functions_mutex_;
  CondVar functions_done_;

  // Which thread waits for which service, to find cycles (see acquire):
  // thread token -> service.
  Mutex waits_mutex_;
  std::map<std::uint64_t, Service*> waiting_ ORIVON_GUARDED_BY(waits_mutex_);

  // Declared last: destroyed first, so no job runs on a half-destroyed
  // supervisor.
  TimerQueue timers_;
  WorkerPool pool_;
};

}  // namespace orivon::supervisor
