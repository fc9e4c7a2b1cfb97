#include "supervisor/supervisor.h"

#include <algorithm>
#include <array>
#include <deque>
#include <ctime>
#include <future>
#include <iterator>
#include <new>
#include <thread>

#include "core/leave_to_exit.h"
#include "core/limits.h"
#include "grants/service_profile.h"
#include "instance/live_instance.h"
#include "supervisor/service_state.h"

namespace orivon::supervisor {
namespace {

// Identifies the thread that holds a service's store, for cycle detection.
std::uint64_t thread_token() {
  static std::atomic<std::uint64_t> next{1};
  thread_local const std::uint64_t token = next.fetch_add(1);
  return token;
}

// The services this thread holds, outermost first: the call chain, for
// messages.
thread_local std::vector<const std::string*> t_call_chain;

// Set by a task that handed its service's store to a command thread, for the
// drain running it (on the same thread): that drain must not give the store
// back. Per thread, since the command may end, and another task of the
// service start on another worker, before this drain looks.
thread_local bool t_handed_off = false;

std::string describe_chain(const std::string& closing) {
  std::string text;
  for (const auto* id : t_call_chain) text += "'" + *id + "' -> ";
  return text + "'" + closing + "'";
}

template <typename S>
Error command_error(const S& service) {
  return Error(ErrorCode::FailedPrecondition,
               "'" + service.name +
                   "' is a command service: its _start runs for its whole life and takes no "
                   "calls");
}

}  // namespace

Supervisor::Supervisor(engine::Engine& engine, registry::ModuleRegistry& registry,
                       std::filesystem::path log_dir, std::size_t workers,
                       const LinksFactory& make_links, Clock& clock)
    : engine_(engine),
      registry_(registry),
      log_dir_(std::move(log_dir)),
      clock_(clock),
      links_(make_links ? make_links(*this) : nullptr),
      timers_(clock),
      pool_(workers) {
  if (!log_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::create_directories(log_dir_, ignored);
  }
}

Supervisor::~Supervisor() {
  (void)stop_all();
  // Command threads end once their service stopped; none may outlive the
  // pool their last act posts to.
  std::vector<std::shared_ptr<Service>> all;
  {
    MutexLock lock(mutex_);
    for (const auto& [id, svc] : services_) all.push_back(svc);
  }
  for (const auto& svc : all) {
    if (svc->command_thread.joinable()) svc->command_thread.join();
  }
  // Their hooks point into the services and links_: they go first.
  std::vector<instance::LiveInstance> stopped;
  {
    MutexLock lock(stopped_mutex_);
    stopped.swap(stopped_);
  }
}

void Supervisor::abandon_stopped_instances() {
  MutexLock lock(stopped_mutex_);
  leave_to_exit(std::move(stopped_));
}

std::shared_ptr<Supervisor::Service> Supervisor::find(const ModuleId& id) {
  MutexLock lock(mutex_);
  auto it = services_.find(id);
  return it == services_.end() ? nullptr : it->second;
}

std::shared_ptr<Supervisor::Service> Supervisor::service(const ModuleId& id) {
  MutexLock lock(mutex_);
  auto& slot = services_[id];
  if (!slot) {
    slot = std::make_shared<Service>(id);
    slot->logs = std::make_unique<LogSink>(
        log_dir_.empty() ? std::filesystem::path() : log_dir_ / (id.str() + ".log"), LogLimits{});
  }
  return slot;
}

void Supervisor::post(const std::shared_ptr<Service>& service, Task task) {
  bool schedule = false;
  {
    MutexLock lock(service->mutex);
    service->mailbox.push_back(std::move(task));
    if (!service->scheduled) service->scheduled = schedule = true;
  }
  if (schedule) pool_.post([this, service] { drain(service); });
}

// Runs one task of the service, then gives the worker back: a busy service
// goes to the back of the queue, so the others get their turn. If another
// thread holds the store (a call made on the caller's thread), the drain
// stops here and that thread posts a new one when it lets go.
void Supervisor::drain(const std::shared_ptr<Service>& service) noexcept {
  Task task;
  {
    MutexLock lock(service->mutex);
    if (service->mailbox.empty() || service->busy) {
      service->scheduled = false;
      return;
    }
    task = std::move(service->mailbox.front());
    service->mailbox.pop_front();
    service->busy = true;
    service->owner = thread_token();
  }
  t_call_chain.push_back(&service->name);
  try {
    task(*service);
  } catch (const std::exception& e) {
    crash(*service, Error(ErrorCode::Internal, std::string("host-side failure: ") + e.what()));
  } catch (...) {
    crash(*service, Error(ErrorCode::Internal, "host-side failure"));
  }
  t_call_chain.pop_back();
  if (t_handed_off) {
    // A command's thread holds the store now and gives it back when its
    // `_start` ends; until then no drain runs (`scheduled` stays set).
    t_handed_off = false;
    return;
  }
  release(service, /*from_pool=*/true);
}

Result<void> Supervisor::acquire(const std::shared_ptr<Service>& service,
                                 std::chrono::steady_clock::time_point deadline) {
  const std::uint64_t me = thread_token();
  MutexLock lock(service->mutex);
  if (!service->busy) {
    service->busy = true;
    service->owner = me;
    return ok();
  }
  const auto cycle = [&] {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::CallCycle,
                 "call cycle: " + describe_chain(service->id.str()) +
                     " would wait for itself; a module cannot be re-entered while it is calling out");
  };
  if (service->owner == me) return cycle();
  {
    // Follow holder -> what it waits for -> its holder ...: reaching this
    // thread means waiting would deadlock. Whoever closes a cycle last
    // sees it, since each thread records its wait here before blocking.
    MutexLock waits(waits_mutex_);
    const Service* current = service.get();
    for (int hops = 0; hops < 10'000; ++hops) {
      const std::uint64_t holder = current->owner.load();
      if (holder == 0) break;
      if (holder == me) return cycle();
      auto next = waiting_.find(holder);
      if (next == waiting_.end()) break;
      current = next->second;
    }
    waiting_[me] = service.get();
  }
  ++service->waiters;
  while (service->busy && std::chrono::steady_clock::now() < deadline) {
    (void)service->idle.wait_until(service->mutex, deadline);
  }
  const bool free = !service->busy;
  --service->waiters;
  {
    MutexLock waits(waits_mutex_);
    waiting_.erase(me);
  }
  if (!free) {
    return Error(ErrorCode::DeadlineExceeded,
                 "'" + service->id.str() + "' stayed busy until the call's deadline");
  }
  service->busy = true;
  service->owner = me;
  return ok();
}

void Supervisor::release(const std::shared_ptr<Service>& service, bool from_pool) {
  bool post_drain = false;
  bool wake = false;
  {
    MutexLock lock(service->mutex);
    wake = service->waiters > 0;
    service->busy = false;
    service->owner = 0;
    if (service->mailbox.empty()) {
      if (from_pool) service->scheduled = false;
    } else if (from_pool || !service->scheduled) {
      service->scheduled = post_drain = true;
    }
  }
  if (wake) service->idle.notify_all();
  if (post_drain) pool_.post([this, service] { drain(service); });
}

void Supervisor::set_state(Service& service, ModuleState state, std::string cause,
                           StateNote note_change) {
  ModuleState from;
  {
    MutexLock lock(service.mutex);
    from = service.state;
    service.state = state;
    service.cause = cause;
    if (state == ModuleState::Running) service.started_at = clock_.now();
  }
  // Waiters (start, stop) are woken after the listeners ran, so a caller
  // that returns from stop() has seen its listeners told.
  struct Notify {
    CondVar& changed;
    ~Notify() { changed.notify_all(); }
  } notify{service.changed};
  if (from == state && state != ModuleState::Crashed) return;
  if (note_change == StateNote::Log) {
    std::string note = std::string("state ") + std::string(module_state_name(from)) + " -> " +
                       std::string(module_state_name(state));
    if (!cause.empty()) note += ": " + cause;
    service.logs->note(note);
  }
  std::vector<StateListener> listeners;
  {
    MutexLock lock(mutex_);
    for (const auto& [subscription, listener] : listeners_) listeners.push_back(listener);
  }
  const StateChange change{service.id, from, state, cause};
  for (const auto& listener : listeners) {
    try {
      listener(change);
    } catch (...) {
      // A listener's failure is the listener's; the service goes on.
    }
  }
}

void Supervisor::wait_for_state(Service& service, Clock& clock, std::chrono::milliseconds limit,
                                const std::function<bool(ModuleState)>& done) {
  wait_for_state_until(service, clock, clock.now() + limit, done);
}

void Supervisor::wait_for_state_until(Service& service, Clock& clock, Clock::time_point deadline,
                                      const std::function<bool(ModuleState)>& done) {
  MutexLock lock(service.mutex);
  while (!done(service.state) && clock.now() < deadline) {
    clock.wait_until(service.changed, service.mutex, deadline);
  }
}

Result<void> Supervisor::start(const ModuleId& id) {
  if (id.kind() != ModuleKind::Service) {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + id.str() + "' is a " + std::string(module_kind_name(id.kind())) +
                     " module; only service modules run (libraries are linked into their callers)");
  }
  ORIVON_TRY(auto program, registry_.program(id));  // exists and compiles
  (void)program;
  auto svc = service(id);
  ORIVON_TRY(auto function, function_role(*svc));
  if (function) {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + id.str() +
                     "' is a function: each call, event or trigger runs it in a fresh instance; "
                     "it is never started as a service");
  }
  std::uint64_t generation = 0;
  std::chrono::milliseconds deadline{0};
  {
    MutexLock lock(svc->mutex);
    if (svc->state == ModuleState::Running || svc->state == ModuleState::Starting) return ok();
    generation = ++svc->generation;
    svc->restart_times.clear();
    svc->backoff = svc->settings.restart.initial_backoff;
    deadline = svc->settings.call_deadline;
  }
  {
    MutexLock lock(mutex_);
    note_started_locked(id);
  }
  set_state(*svc, ModuleState::Starting, "");
  post(svc, [this, generation](Service& s) { run_start(s, generation); });
  // The start function runs under the call deadline, on real time.
  wait_for_state(*svc, real_clock(), deadline + std::chrono::seconds(5),
                 [](ModuleState state) { return state != ModuleState::Starting; });
  MutexLock lock(svc->mutex);
  if (svc->state == ModuleState::Running) return ok();
  return Error(ErrorCode::FailedPrecondition,
               "'" + id.str() + "' did not start: " + std::string(module_state_name(svc->state)) +
                   (svc->cause.empty() ? "" : " (" + svc->cause + ")"));
}

namespace {

// Runs `invoke` with the service's tick check enforcing `deadline`, then
// lifts it again (between calls nothing runs, so nothing needs a deadline).
// A failure that the tick check caused is tagged with why it stopped the
// guest (InterruptedToStop or CallDeadline), so that nothing after it needs
// to read the message.
template <typename F>
auto with_deadline(Supervisor::Service& s, std::chrono::milliseconds deadline, F&& invoke) {
  s.tick_stop = TickStop::None;
  s.deadline_ns = now_ns() + std::chrono::nanoseconds(deadline).count();
  auto result = invoke();
  s.deadline_ns = std::numeric_limits<std::int64_t>::max();
  if (!result && s.tick_stop != TickStop::None) {
    result = result.error().with_tag(s.tick_stop == TickStop::Stop ? ErrorTag::InterruptedToStop
                                                                   : ErrorTag::CallDeadline);
  }
  return result;
}

// A tick's result as a delay in milliseconds: an integer as it is, a float
// cut to one, anything else none.
std::int64_t tick_delay_ms(const Value& value) {
  const auto clamp_float = [](double ms) -> std::int64_t {
    if (!(ms > 0)) return 0;  // also NaN
    return ms >= static_cast<double>(limits::kMaxTickDelayMs) ? limits::kMaxTickDelayMs
                                                               : static_cast<std::int64_t>(ms);
  };
  switch (value.kind()) {
    case Value::Kind::S8: return *value.as_s8();
    case Value::Kind::U8: return *value.as_u8();
    case Value::Kind::S16: return *value.as_s16();
    case Value::Kind::U16: return *value.as_u16();
    case Value::Kind::S32: return *value.as_s32();
    case Value::Kind::U32: return *value.as_u32();
    case Value::Kind::S64: return *value.as_s64();
    case Value::Kind::U64: {
      // Past what an s64 holds reads as no delay, as the text form did.
      const std::uint64_t ms = *value.as_u64();
      return ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                 ? 0
                 : static_cast<std::int64_t>(ms);
    }
    case Value::Kind::F32: return clamp_float(*value.as_f32());
    case Value::Kind::F64: return clamp_float(*value.as_f64());
    default: return 0;
  }
}

}  // namespace

Result<Supervisor::Recipe> Supervisor::recipe(Service& s) {
  ORIVON_TRY(auto program, registry_.program(s.id));
  // Default deny: the profile holds only what the client allowed, read
  // (and its directories checked) afresh every time.
  ORIVON_TRY(auto allowed, registry_.allowed_grants(s.id));
  ORIVON_TRY(auto granted, grants::build_service_profile(s.id, allowed, registry_.state_dir(),
                                                         grants::process_environment));
  for (const auto& note : granted.notes) s.logs->note(note);
  return Recipe{std::move(program), std::move(granted.wasi), granted.stdio == StdioMode::Log};
}

void Supervisor::run_start(Service& s, std::uint64_t generation) {
  ServiceSettings settings;
  {
    MutexLock lock(s.mutex);
    if (s.generation != generation || s.state != ModuleState::Starting) return;
    settings = s.settings;
  }
  // An interrupt meant for the instance an earlier stop dropped is not this one's.
  s.interrupt = false;
  auto made = recipe(s);
  if (!made) {
    crash(s, made.error());
    return;
  }
  instance::StoreHooks hooks;
  LogSink* logs = s.logs.get();
  // A refused socket use is noted in the log, like a refused call.
  made->profile.on_network_refused = [logs](std::string_view text) { logs->note(text); };
  if (made->log_output) {
    hooks.output = [logs](bool is_stderr, std::string_view bytes) {
      logs->write(is_stderr ? LogStream::Stderr : LogStream::Stdout, bytes);
    };
  }
  Service* self = &s;
  hooks.on_tick = [self]() -> Result<void> {
    if (self->interrupt.load(std::memory_order_relaxed)) {
      self->tick_stop = TickStop::Stop;
      return Error(ErrorCode::DeadlineExceeded, std::string(kInterruptedToStop));
    }
    if (now_ns() > self->deadline_ns.load(std::memory_order_relaxed)) {
      self->tick_stop = TickStop::Deadline;
      return Error(ErrorCode::DeadlineExceeded, "orivon: " + std::string(kDeadlineCause));
    }
    return ok();
  };
  hooks.links = links_.get();
  hooks.module = s.id;
  s.stop_requested = false;
  s.command = false;
  hooks.stop_requested = &s.stop_requested;
  const WasiProfile& profile = made->profile;
  const Program& program = made->program;
  ExecutionLimits limits;
  limits.max_memory_bytes = settings.max_memory_bytes;
  auto live = with_deadline(s, settings.call_deadline, [&] {
    return instance::LiveInstance::create(engine_, program.shared_data(), profile, limits,
                                         std::move(hooks));
  });
  if (!live) {
    crash(s, live.error());
    return;
  }
  if (auto status = live->exit_code()) {
    exited(s, *status);
    return;
  }
  s.daemon = live->has_function("tick");
  // A core module with `_start` (and no `tick`) is a command: its main runs
  // for the service's whole life.
  const bool command = !s.daemon && live->has_function("_start");
  s.memory_bytes = live->memory_bytes();
  s.live = std::move(*live);
  {
    MutexLock lock(s.mutex);
    if (s.generation != generation) {  // stopped while starting
      s.live.reset();
      return;
    }
  }
  if (command) {
    std::shared_ptr<Service> shared = find(s.id);
    if (!shared) {
      s.live.reset();
      return;
    }
    // The previous command's thread gave the store back before this task
    // could run; it has nothing left to do but return.
    if (s.command_thread.joinable()) s.command_thread.join();
    s.command = true;
    set_state(s, ModuleState::Running, "");
    s.command_thread = std::thread([this, shared, generation] { run_command(shared, generation); });
    t_handed_off = true;  // only once the thread exists: it gives the store back
    return;
  }
  set_state(s, ModuleState::Running, "");
  if (s.daemon) {
    std::shared_ptr<Service> shared = find(s.id);
    if (shared) post(shared, [this, shared, generation](Service&) { run_tick(shared, generation); });
  }
}

void Supervisor::run_command(const std::shared_ptr<Service>& shared,
                             std::uint64_t generation) noexcept {
  Service& s = *shared;
  s.owner = thread_token();
  t_call_chain.push_back(&s.name);
  try {
    // No call deadline: `_start` runs as long as the service does. The
    // store's tick check still interrupts it when a stop's grace runs out.
    auto outcome = s.live->run_command();
    bool stopping = false;
    {
      MutexLock lock(s.mutex);
      stopping = s.state == ModuleState::Stopping || s.generation != generation;
    }
    if (stopping) {
      s.live.reset();  // the queued run_stop marks it stopped
    } else if (!outcome) {
      crash(s, outcome.error());
    } else {
      exited(s, outcome->exit_code);
    }
  } catch (const std::exception& e) {
    crash(s, Error(ErrorCode::Internal, std::string("host-side failure: ") + e.what()));
  } catch (...) {
    crash(s, Error(ErrorCode::Internal, "host-side failure"));
  }
  t_call_chain.pop_back();
  release(shared, /*from_pool=*/true);
}

void Supervisor::run_tick(const std::shared_ptr<Service>& shared, std::uint64_t generation) {
  Service& s = *shared;
  std::chrono::milliseconds deadline;
  {
    MutexLock lock(s.mutex);
    if (s.generation != generation || s.state != ModuleState::Running || !s.live) return;
    deadline = s.settings.call_deadline;
  }
  auto result = with_deadline(s, deadline,
                              [&] { return instance::call_by_name(*s.live, "tick", {}); });
  if (!result) {
    crash(s, result.error());
    return;
  }
  if (result->exit_code) {
    exited(s, *result->exit_code);
    return;
  }
  s.memory_bytes = s.live->memory_bytes();
  // The tick says when it wants the next one, in milliseconds.
  std::int64_t delay_ms = result->values.empty() ? 0 : tick_delay_ms(result->values[0]);
  delay_ms = std::clamp<std::int64_t>(delay_ms, 0, limits::kMaxTickDelayMs);
  auto repost = [this, shared, generation] {
    post(shared, [this, shared, generation](Service&) { run_tick(shared, generation); });
  };
  if (delay_ms == 0) {
    repost();
  } else {
    timers_.schedule(clock_.now() + std::chrono::milliseconds(delay_ms), repost);
  }
}

template <typename F>
auto Supervisor::run_call(const std::shared_ptr<Service>& held, std::chrono::milliseconds deadline,
                          F&& invoke, bool state_checked)
    -> decltype(invoke(std::declval<instance::LiveInstance&>())) {
  t_call_chain.push_back(&held->name);
  auto outcome = run_held(*held, deadline, std::forward<F>(invoke), state_checked);
  t_call_chain.pop_back();
  release(held, /*from_pool=*/false);
  return outcome;
}

template <typename F>
auto Supervisor::run_held(Service& s, std::chrono::milliseconds deadline, F&& invoke,
                          bool state_checked)
    -> decltype(invoke(std::declval<instance::LiveInstance&>())) {
  // `live` is only changed by the thread holding the store, which is us.
  if (!s.live) {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                 "'" + s.id.str() + "' is not running");
  }
  if (!state_checked) {
    MutexLock lock(s.mutex);
    if (s.state != ModuleState::Running) {
      return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                   "'" + s.id.str() + "' is not running (" +
                                                      std::string(module_state_name(s.state)) + ")");
    }
  }
  const auto began = std::chrono::steady_clock::now();
  auto outcome = with_deadline(s, deadline, [&] { return invoke(*s.live); });
  const auto took_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            began)
          .count());
  // Only the thread holding the store writes these; readers just load them.
  const auto bump = [](std::atomic<std::uint64_t>& counter, std::uint64_t by) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  };
  bump(s.calls, 1);
  bump(s.call_duration_counts[CallDurations::bucket_for_us(took_us)], 1);
  bump(s.call_duration_total_us, took_us);
  if (!outcome && is_guest_failure(outcome.error())) {
    crash(s, outcome.error());
  } else if (s.live && s.live->exit_code()) {
    exited(s, *s.live->exit_code());
  } else if (s.live) {
    s.memory_bytes = s.live->memory_bytes();
  }
  return outcome;
}

Result<instance::Returned> Supervisor::call(const ModuleId& id, std::string_view function,
                                            std::span<const Value> args,
                                            const CallOptions& options) {
  auto svc = find(id);
  if (!svc) {
    // A function has no instance to find: it may be called at any time.
    auto is = is_function(id);
    if (is && *is) svc = find(id);
  }
  if (!svc) {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                 "'" + id.str() + "' is not running" +
                     (options.from == CallOptions::From::Client ? "; start it first" : ""));
  }
  return call(svc, function, args, options);
}

Result<instance::Returned> Supervisor::call(const std::shared_ptr<Service>& svc,
                                            std::string_view function,
                                            std::span<const Value> args,
                                            const CallOptions& options) {
  if (svc->command) return command_error(*svc);
  {
    ORIVON_TRY(auto settings, function_role(*svc));
    if (settings) return call_function(svc, *settings, function, args, options);
  }
  const bool from_module = options.from == CallOptions::From::Module;
  std::chrono::milliseconds deadline;
  bool taken = false;
  if (from_module) {
    // The common case takes the store in the same critical section that
    // checks the state: one lock on the way in, one on the way out.
    {
      MutexLock lock(svc->mutex);
      if (svc->state != ModuleState::Running) {
        return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                     "'" + svc->name + "' is not running (" +
                         std::string(module_state_name(svc->state)) + ")");
      }
      deadline = svc->settings.call_deadline;
      if (!svc->busy) {
        svc->busy = true;
        svc->owner = thread_token();
        taken = true;
      }
    }
    if (!taken) ORIVON_RETURN_IF_ERROR(acquire(svc, std::chrono::steady_clock::now() + deadline));
  } else {
    {
      MutexLock lock(svc->mutex);
      deadline = svc->settings.call_deadline;
    }
    const auto wait_limit = deadline;
    if (options.timeout && limits::clamp_call_timeout(*options.timeout) < deadline) {
      deadline = limits::clamp_call_timeout(*options.timeout);
    }
    ORIVON_RETURN_IF_ERROR(
        acquire(svc, std::chrono::steady_clock::now() + wait_limit + deadline));
  }
  const auto match =
      from_module ? instance::LiveInstance::Match::Numbers : instance::LiveInstance::Match::Exact;
  auto outcome = run_call(
      svc, deadline,
      [&](instance::LiveInstance& live) -> Result<instance::Returned> {
        if (!from_module) return instance::call_by_name(live, function, args, match);
        // Another module's call cannot carry an exit: it fails like the
        // instance says.
        ORIVON_TRY(auto callee, live.lookup(function));
        instance::Returned returned;
        ORIVON_RETURN_IF_ERROR(live.call(callee, args, returned.values, match));
        return returned;
      },
      /*state_checked=*/taken);
  if (from_module && !outcome && is_guest_failure(outcome.error())) {
    // The calling guest sees one line: which callee failed, and why (bounded,
    // see kMaxFailureTextBytes), so the cause survives every hop of a chain.
    const Error& failure = outcome.error();
    return Error(failure.code(), failure.tag(),
                 "'" + svc->name + "' failed in " + std::string(function) + ": " +
                     crash_cause(failure));
  }
  return outcome;
}

Result<void> Supervisor::with_instance(
    const ModuleId& id, const std::function<Result<void>(instance::LiveInstance&)>& body) {
  auto svc = find(id);
  if (!svc) {
    auto is = is_function(id);
    if (is && *is) svc = find(id);
  }
  if (svc) {
    ORIVON_TRY(auto settings, function_role(*svc));
    if (settings) return run_function(svc, *settings, std::nullopt, body);
  }
  if (!svc) {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                 "'" + id.str() + "' is not running");
  }
  if (svc->command) return command_error(*svc);
  std::chrono::milliseconds deadline;
  {
    MutexLock lock(svc->mutex);
    deadline = svc->settings.call_deadline;
  }
  ORIVON_RETURN_IF_ERROR(acquire(svc, std::chrono::steady_clock::now() + 2 * deadline));
  return run_call(svc, deadline, [&](instance::LiveInstance& live) { return body(live); });
}

bool Supervisor::is_running(const ModuleId& id) {
  auto svc = find(id);
  if (svc) {
    MutexLock lock(svc->mutex);
    if (svc->state == ModuleState::Running) return true;
    if (svc->role == Service::Role::Service) return false;
  }
  auto is = is_function(id);
  return is && *is;
}

void Supervisor::note(const ModuleId& id, const std::string& text) { service(id)->logs->note(text); }

void Supervisor::count_denial(const ModuleId& id) { ++service(id)->denied; }

std::shared_ptr<std::atomic<std::uint64_t>> Supervisor::typed_call_counter(const ModuleId& id) {
  auto s = service(id);
  return std::shared_ptr<std::atomic<std::uint64_t>>(s, &s->typed_calls);
}

void Supervisor::count_library_call(const ModuleId& id, std::chrono::microseconds took,
                                    bool trapped) {
  auto s = service(id);
  const auto took_us = static_cast<std::uint64_t>(std::max<std::int64_t>(took.count(), 0));
  // Unlike a service's, written by many threads: added, not stored.
  s->calls.fetch_add(1, std::memory_order_relaxed);
  s->call_duration_counts[CallDurations::bucket_for_us(took_us)].fetch_add(
      1, std::memory_order_relaxed);
  s->call_duration_total_us.fetch_add(took_us, std::memory_order_relaxed);
  if (trapped) s->traps.fetch_add(1, std::memory_order_relaxed);
}

void Supervisor::crash(Service& s, const Error& error) {
  s.live.reset();
  bool stopping = false;
  {
    MutexLock lock(s.mutex);
    stopping = s.state == ModuleState::Stopping || error.tag() == ErrorTag::InterruptedToStop;
  }
  if (stopping) return;  // interrupted on purpose: run_stop finishes the job
  ++s.traps;
  const std::string cause = crash_cause(error);
  set_state(s, ModuleState::Crashed, cause);
  schedule_restart(s, cause);
}

void Supervisor::exited(Service& s, int status) {
  s.live.reset();
  const std::string cause = "exited with status " + std::to_string(status);
  RestartPolicy policy;
  {
    MutexLock lock(s.mutex);
    policy = s.settings.restart.policy;
  }
  if (status != 0) {
    ++s.traps;
    set_state(s, ModuleState::Crashed, cause);
    schedule_restart(s, cause);
    return;
  }
  set_state(s, ModuleState::Stopped, cause);
  if (policy == RestartPolicy::Always) schedule_restart(s, cause);
}

void Supervisor::schedule_restart(Service& s, const std::string& reason) {
  std::uint64_t generation = 0;
  std::chrono::milliseconds delay{0};
  std::string exhausted;  // why it stays crashed, once the budget is spent
  {
    MutexLock lock(s.mutex);
    const auto& restart = s.settings.restart;
    if (restart.policy == RestartPolicy::Never) return;
    const auto now = clock_.now();
    while (!s.restart_times.empty() && now - s.restart_times.front() > restart.budget_window) {
      s.restart_times.pop_front();
    }
    if (static_cast<int>(s.restart_times.size()) >= restart.budget) {
      exhausted = reason + " (not restarting: restart budget exhausted: " +
                  std::to_string(restart.budget) + " restarts within " +
                  std::to_string(restart.budget_window.count()) + " ms)";
      if (s.state != ModuleState::Crashed) {
        // Stopped by itself under RestartPolicy::Always: it stays stopped.
        s.cause = exhausted;
        s.logs->note(exhausted);
        return;
      }
    } else {
      if (s.restart_times.empty()) s.backoff = restart.initial_backoff;
      s.restart_times.push_back(now);
      delay = s.backoff;
      s.backoff = std::min(restart.max_backoff, s.backoff * 2);
      generation = ++s.generation;
    }
  }
  if (!exhausted.empty()) {
    // Told as a change (crashed -> crashed) so that listeners (`orivon up`)
    // hear it stays down; set_state notes it in the log and sets the cause.
    set_state(s, ModuleState::Crashed, exhausted);
    return;
  }
  s.logs->note("restarting in " + std::to_string(delay.count()) + " ms");
  std::shared_ptr<Service> shared = find(s.id);
  if (!shared) return;
  timers_.schedule(clock_.now() + delay, [this, shared, generation] {
    {
      MutexLock lock(shared->mutex);
      if (shared->generation != generation) return;  // stopped or restarted by hand meanwhile
    }
    ++shared->restarts;
    set_state(*shared, ModuleState::Starting, "");
    post(shared, [this, generation](Service& s) { run_start(s, generation); });
  });
}

void Supervisor::run_stop(Service& s, Clock::time_point stop_by, StopNotes notes) {
  // Asked nicely first, for what is left of the grace period: when many
  // services stop at once they share one, and a stop that reaches a worker
  // after it has passed does not get a new one (that would make shutdown
  // take a grace period per worker's turn).
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stop_by - clock_.now());
  bool ran_stop = false;
  if (s.live && left.count() > 0 && s.live->has_function("stop")) {
    ran_stop = true;
    if (notes == StopNotes::Quiet) s.logs->note("the host is shutting down: calling stop");
    s.interrupt = false;
    auto stopped =
        with_deadline(s, left, [&] { return instance::call_by_name(*s.live, "stop", {}); });
    if (!stopped) s.logs->note("stop failed: " + crash_cause(stopped.error()));
    if (notes == StopNotes::Quiet) ++(stopped ? quiet_stop_exports_ : quiet_stop_failures_);
  }
  if (s.live && keep_stopped_.load(std::memory_order_relaxed)) {
    MutexLock lock(stopped_mutex_);
    stopped_.push_back(*std::move(s.live));
  }
  s.live.reset();
  s.logs->flush();
  set_state(s, ModuleState::Stopped, "",
            notes == StopNotes::Quiet && !ran_stop ? StateNote::Skip : StateNote::Log);
}

std::optional<std::chrono::milliseconds> Supervisor::begin_stop(
    const std::shared_ptr<Service>& svc, Clock::time_point asked, StopNotes notes) {
  std::chrono::milliseconds grace;
  bool crashed = false;
  {
    MutexLock lock(svc->mutex);
    if (svc->state != ModuleState::Running && svc->state != ModuleState::Starting &&
        svc->state != ModuleState::Crashed) {
      return std::nullopt;
    }
    ++svc->generation;  // cancels pending ticks and restarts
    svc->stop_requested = true;  // what a command's guest watches
    grace = svc->settings.stop_grace;
    crashed = svc->state == ModuleState::Crashed;
  }
  const StateNote note = notes == StopNotes::Quiet ? StateNote::Skip : StateNote::Log;
  if (crashed) {  // nothing runs; the generation bump cancelled the restart
    set_state(*svc, ModuleState::Stopped, "", note);
    return std::nullopt;
  }
  set_state(*svc, ModuleState::Stopping, "", note);
  post(svc, [this, stop_by = asked + grace, notes](Service& s) { run_stop(s, stop_by, notes); });
  return grace;
}

Result<void> Supervisor::finish_stops(
    const std::vector<std::pair<std::shared_ptr<Service>, std::chrono::milliseconds>>& stopping,
    Clock::time_point asked, std::uint64_t* interrupted_count) {
  auto stopped = [](ModuleState state) { return state == ModuleState::Stopped; };
  for (const auto& [svc, grace] : stopping) wait_for_state_until(*svc, clock_, asked + grace, stopped);
  // Still busy after the grace period: interrupt whatever runs; the store's
  // tick check sees this within one epoch tick (real time, so is the wait).
  std::vector<std::pair<Service*, std::chrono::milliseconds>> late;
  for (const auto& [svc, grace] : stopping) {
    MutexLock lock(svc->mutex);
    if (svc->state == ModuleState::Stopped) continue;
    svc->interrupt = true;
    late.emplace_back(svc.get(), grace);
  }
  if (interrupted_count != nullptr) *interrupted_count = late.size();
  const auto interrupted = real_clock().now();
  Result<void> outcome = ok();
  for (const auto& [svc, grace] : late) {
    wait_for_state_until(*svc, real_clock(), interrupted + grace + std::chrono::seconds(5), stopped);
    MutexLock lock(svc->mutex);
    if (svc->state != ModuleState::Stopped && outcome) {
      outcome = Error(ErrorCode::DeadlineExceeded, "'" + svc->id.str() + "' did not stop in time");
    }
  }
  return outcome;
}

Result<void> Supervisor::stop(const ModuleId& id) {
  auto svc = find(id);
  if (!svc) return ok();
  const auto asked = clock_.now();
  auto grace = begin_stop(svc, asked);
  if (!grace) return ok();
  return finish_stops({{svc, *grace}}, asked);
}

Result<void> Supervisor::restart(const ModuleId& id) {
  ORIVON_RETURN_IF_ERROR(stop(id));
  return start(id);
}

void Supervisor::set_settings(const ModuleId& id, const ServiceSettings& settings,
                              SettingsSource source) {
  auto svc = service(id);
  MutexLock lock(svc->mutex);
  if (source == SettingsSource::Manifest && svc->client_settings) return;
  svc->settings = settings;
  if (source == SettingsSource::Client) svc->client_settings = true;
}

bool Supervisor::has_client_settings(const ModuleId& id) {
  auto svc = find(id);
  if (!svc) return false;
  MutexLock lock(svc->mutex);
  return svc->client_settings;
}

ServiceMetrics Supervisor::metrics(const ModuleId& id) {
  ServiceMetrics metrics;
  auto svc = find(id);
  if (!svc) return metrics;
  MutexLock lock(svc->mutex);
  metrics.state = svc->state;
  metrics.cause = svc->cause;
  if (svc->state == ModuleState::Running) {
    metrics.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            clock_.now() - svc->started_at)
                            .count();
  }
  metrics.restarts = svc->restarts;
  metrics.calls = svc->calls;
  metrics.traps = svc->traps;
  metrics.denied_calls = svc->denied;
  metrics.typed_calls = svc->typed_calls.load(std::memory_order_relaxed);
  metrics.memory_bytes = svc->state == ModuleState::Running ? svc->memory_bytes.load() : 0;
  for (std::size_t i = 0; i < CallDurations::kBuckets; ++i) {
    metrics.call_durations.counts[i] = svc->call_duration_counts[i].load(std::memory_order_relaxed);
  }
  metrics.call_durations.total_us = svc->call_duration_total_us.load(std::memory_order_relaxed);
  return metrics;
}

std::vector<LogRecord> Supervisor::logs(const ModuleId& id, std::uint64_t after, std::size_t max) {
  auto svc = find(id);
  if (!svc) return {};
  return svc->logs->read_after(after, max);
}

std::uint64_t Supervisor::subscribe(StateListener listener) {
  MutexLock lock(mutex_);
  const std::uint64_t subscription = next_subscription_++;
  listeners_.emplace(subscription, std::move(listener));
  return subscription;
}

void Supervisor::unsubscribe(std::uint64_t subscription) {
  MutexLock lock(mutex_);
  listeners_.erase(subscription);
}

void Supervisor::forget(const ModuleId& id) {
  (void)stop(id);
  std::shared_ptr<Service> gone;
  {
    MutexLock lock(mutex_);
    drop_from_start_order_locked(id);
    auto it = services_.find(id);
    if (it == services_.end()) return;
    gone = std::move(it->second);
    services_.erase(it);
  }
  gone->logs->flush();
}

void Supervisor::note_started_locked(const ModuleId& id) {
  if (auto found = start_positions_.find(id); found != start_positions_.end()) {
    start_order_.splice(start_order_.end(), start_order_, found->second);
    return;
  }
  start_order_.push_back(id);
  start_positions_.emplace(start_order_.back(), std::prev(start_order_.end()));
}

void Supervisor::drop_from_start_order_locked(const ModuleId& id) {
  auto found = start_positions_.find(id);
  if (found == start_positions_.end()) return;
  const auto position = found->second;
  start_positions_.erase(found);
  start_order_.erase(position);
}

ShutdownSummary Supervisor::stop_all() {
  const auto began = std::chrono::steady_clock::now();
  std::vector<ModuleId> order;
  {
    MutexLock lock(mutex_);
    order.assign(start_order_.begin(), start_order_.end());
  }
  // All at once, with one shared grace period: stopping services one after
  // another costs a wait per service, which at 100,000 services is minutes.
  // Asked newest first, so the workers take the newest stops first. Quietly:
  // two log notes per service cost more than the rest of its stop (a file
  // opened twice), so only a service whose `stop` export runs gets them.
  const auto asked = clock_.now();
  keep_stopped_ = true;
  quiet_stop_exports_ = 0;
  quiet_stop_failures_ = 0;
  std::vector<std::pair<std::shared_ptr<Service>, std::chrono::milliseconds>> stopping;
  stopping.reserve(order.size());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    auto svc = find(*it);
    if (!svc) continue;
    if (auto grace = begin_stop(svc, asked, StopNotes::Quiet)) {
      stopping.emplace_back(std::move(svc), *grace);
    }
  }
  ShutdownSummary summary;
  summary.services = stopping.size();
  (void)finish_stops(stopping, asked, &summary.interrupted);
  // Function invocations still running see closing_ at their next epoch
  // tick and return; none starts after it is set.
  closing_ = true;
  {
    MutexLock lock(functions_mutex_);
    while (live_functions_.load() != 0) functions_done_.wait(functions_mutex_);
  }
  summary.stop_exports = quiet_stop_exports_.load();
  summary.stop_failures = quiet_stop_failures_.load();
  summary.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - began);
  return summary;
}

}  // namespace orivon::supervisor
