// Function modules: a fresh instance for every invocation (see
// Supervisor::is_function in supervisor.h).

#include <string>

#include "core/limits.h"
#include "instance/instance_template.h"
#include "orivon/units.h"
#include "supervisor/service_state.h"
#include "supervisor/supervisor.h"

namespace orivon::supervisor {

Result<std::optional<FunctionSettings>> function_settings_from(const Manifest& manifest) {
  if (!manifest.function) return std::optional<FunctionSettings>();
  FunctionSettings settings;
  for (const auto& [key, value] : *manifest.function) {
    auto bad = [&, key = key](const Error& error) { return Error::wrap("[function] " + key, error); };
    if (key == "max-instances") {
      auto count = parse_count(value);
      if (!count) return bad(count.error());
      settings.max_instances = std::clamp<std::uint64_t>(*count, 1, limits::kMaxFunctionInstances);
    } else if (key == "deadline") {
      auto duration = parse_duration(value);
      if (!duration) return bad(duration.error());
      settings.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(*duration);
    } else if (key == "max-memory") {
      auto size = parse_size(value);
      if (!size) return bad(size.error());
      settings.max_memory_bytes = *size;
    } else {
      return bad(Error(ErrorCode::InvalidArgument, "unknown setting"));
    }
  }
  return std::optional<FunctionSettings>(settings);
}

Result<bool> Supervisor::is_function(const ModuleId& id) {
  if (id.kind() != ModuleKind::Service) return false;
  if (auto svc = find(id)) {
    ORIVON_TRY(auto settings, function_role(*svc));
    return settings.has_value();
  }
  // Not seen yet: a Service is only made for a function, so asking about
  // ids that are not functions leaves nothing behind.
  ORIVON_TRY(auto manifest, registry_.manifest(id));
  if (!manifest || !manifest->function) return false;
  ORIVON_TRY(auto settings, function_role(*service(id)));
  return settings.has_value();
}

Supervisor::FunctionTurn::FunctionTurn(Supervisor& supervisor, Service& s)
    : supervisor_(supervisor),
      service_(s),
      of_service_(s.invocations.fetch_add(1) + 1),
      of_host_(supervisor.live_functions_.fetch_add(1) + 1) {}

Supervisor::FunctionTurn::~FunctionTurn() {
  service_.invocations.fetch_sub(1);
  if (supervisor_.live_functions_.fetch_sub(1) != 1) return;
  // stop_all() reads the count under the mutex before it waits: taking the
  // mutex here means it either saw zero or is waiting, and hears this.
  MutexLock lock(supervisor_.functions_mutex_);
  supervisor_.functions_done_.notify_all();
}

Result<std::optional<FunctionSettings>> Supervisor::function_role(Service& s) {
  {
    MutexLock lock(s.mutex);
    if (s.role == Service::Role::Service) return std::optional<FunctionSettings>();
    if (s.role == Service::Role::Function) return std::optional<FunctionSettings>(s.function);
  }
  std::optional<FunctionSettings> settings;
  if (s.id.kind() == ModuleKind::Service) {
    ORIVON_TRY(auto manifest, registry_.manifest(s.id));
    if (manifest) {
      ORIVON_TRY(settings, function_settings_from(*manifest));
    }
  }
  MutexLock lock(s.mutex);
  s.role = settings ? Service::Role::Function : Service::Role::Service;
  if (settings) s.function = *settings;
  return settings;
}

Result<std::shared_ptr<const Supervisor::Recipe>> Supervisor::function_recipe(Service& s) {
  const std::uint64_t version = registry_.decisions_version();
  {
    MutexLock lock(s.mutex);
    if (s.function_recipe && s.function_recipe_version == version) return s.function_recipe;
  }
  ORIVON_TRY(auto made, recipe(s));
  // The log outlives the Service's recipes (both are the Service's).
  LogSink* logs = s.logs.get();
  made.profile.on_network_refused = [logs](std::string_view text) { logs->note(text); };
  auto shared = std::make_shared<const Recipe>(std::move(made));
  MutexLock lock(s.mutex);
  s.function_recipe = shared;
  s.function_recipe_version = version;
  return shared;
}

Result<std::shared_ptr<const instance::InstanceTemplate>> Supervisor::call_template(
    Service& s, const Recipe& made, const FunctionSettings& settings) {
  {
    MutexLock lock(s.mutex);
    if (s.call_template && s.call_template_origins == made.profile.http_origins) {
      return s.call_template;
    }
  }
  ORIVON_TRY(auto created, instance::InstanceTemplate::create(engine_, made.program.shared_data(),
                                                               made.profile,
                                                               settings.max_memory_bytes));
  if (!created->on_demand_reason().empty()) s.logs->note(created->on_demand_reason());
  MutexLock lock(s.mutex);
  s.call_template = created;
  s.call_template_origins = made.profile.http_origins;
  return created;
}

Result<instance::Returned> Supervisor::call_function(const std::shared_ptr<Service>& svc,
                                                     const FunctionSettings& settings,
                                                     std::string_view function,
                                                     std::span<const Value> args,
                                                     const CallOptions& options) {
  const bool from_module = options.from == CallOptions::From::Module;
  const auto match =
      from_module ? instance::LiveInstance::Match::Numbers : instance::LiveInstance::Match::Exact;
  instance::Returned returned;
  auto ran = run_function(svc, settings, options.timeout, [&](instance::LiveInstance& live) -> Result<void> {
    if (!from_module) {
      ORIVON_TRY(returned, instance::call_by_name(live, function, args, match));
      return ok();
    }
    // Another module's call cannot carry an exit: it fails like the
    // instance says.
    ORIVON_TRY(auto callee, live.lookup(function));
    return live.call(callee, args, returned.values, match);
  });
  if (!ran) {
    if (from_module && is_guest_failure(ran.error())) {
      // As a service's failure: one line naming the callee and the cause.
      const Error& failure = ran.error();
      return Error(failure.code(), failure.tag(),
                   "'" + svc->name + "' failed in " + std::string(function) + ": " +
                       crash_cause(failure));
    }
    return ran.error();
  }
  return returned;
}

Result<void> Supervisor::run_function(
    const std::shared_ptr<Service>& svc, const FunctionSettings& settings,
    std::optional<std::chrono::milliseconds> timeout,
    const std::function<Result<void>(instance::LiveInstance&)>& body) {
  Service& s = *svc;
  const FunctionTurn turn(*this, s);
  if (closing_) {
    return Error(ErrorCode::FailedPrecondition, ErrorTag::NotRunning,
                 "'" + s.name + "' cannot run: the host is shutting down");
  }
  if (turn.of_service() > settings.max_instances) {
    return Error(ErrorCode::ResourceExhausted,
                 "'" + s.name + "' already runs " + std::to_string(settings.max_instances) +
                     " invocations at once, its [function] max-instances; try again later");
  }
  if (turn.of_host() > limits::kMaxLiveFunctionInstances) {
    return Error(ErrorCode::ResourceExhausted,
                 "the host already runs " + std::to_string(limits::kMaxLiveFunctionInstances) +
                     " function invocations at once; '" + s.name + "' must try again later");
  }
  ORIVON_TRY(auto made, function_recipe(s));
  ORIVON_TRY(auto prepared, call_template(s, *made, settings));

  auto deadline = settings.deadline;
  if (timeout) deadline = std::min(deadline, limits::clamp_call_timeout(*timeout));
  const std::int64_t deadline_at =
      now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(deadline).count();
  TickStop stopped = TickStop::None;
  instance::StoreHooks hooks;
  LogSink* logs = s.logs.get();
  if (made->log_output) {
    hooks.output = [logs](bool is_stderr, std::string_view bytes) {
      logs->write(is_stderr ? LogStream::Stderr : LogStream::Stdout, bytes);
    };
  }
  // The instance lives only in this frame, so the hook may hold references.
  hooks.on_tick = [this, &stopped, deadline_at]() -> Result<void> {
    if (closing_.load(std::memory_order_relaxed)) {
      stopped = TickStop::Stop;
      return Error(ErrorCode::DeadlineExceeded, "orivon: interrupted: the host is shutting down");
    }
    if (now_ns() > deadline_at) {
      stopped = TickStop::Deadline;
      return Error(ErrorCode::DeadlineExceeded, "orivon: " + std::string(kDeadlineCause));
    }
    return ok();
  };
  hooks.links = links_.get();
  hooks.module = s.id;
  hooks.stop_requested = &closing_;
  ExecutionLimits limits;
  limits.max_memory_bytes = settings.max_memory_bytes;

  Result<void> result = ok();
  const auto began = std::chrono::steady_clock::now();
  {
    auto live = prepared->instantiate(made->profile, limits, std::move(hooks));
    if (!live) {
      result = live.error();
    } else if (auto status = live->exit_code()) {
      result = Error(ErrorCode::FailedPrecondition,
                     "'" + s.name + "' exited with status " + std::to_string(*status) +
                         " while it was being set up");
    } else {
      result = body(*live);
    }
  }  // the instance and its store go here, before anything is counted
  // A function's duration is the whole invocation, instantiation included:
  // that is what its caller waits for.
  const auto took_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            began)
          .count());
  s.call_duration_counts[CallDurations::bucket_for_us(took_us)].fetch_add(
      1, std::memory_order_relaxed);
  s.call_duration_total_us.fetch_add(took_us, std::memory_order_relaxed);
  ++s.calls;
  if (!result) {
    if (stopped == TickStop::Deadline) {
      result = result.error().with_tag(ErrorTag::CallDeadline);
    } else if (stopped == TickStop::Stop) {
      result = result.error().with_tag(ErrorTag::InterruptedToStop);
    }
    if (is_guest_failure(result.error())) {
      ++s.traps;
      logs->note("an invocation failed: " + crash_cause(result.error()));
    }
  }
  return result;
}

}  // namespace orivon::supervisor
