// Inbound HTTP requests on function modules: a fresh store and instance per
// request, made from the module's ProxyTemplate (see Supervisor::serve_http).

#include <string>

#include "core/limits.h"
#include "supervisor/service_state.h"
#include "supervisor/supervisor.h"

namespace orivon::supervisor {
namespace {

void answer(orivon_http_request_t* request, int status, const std::string& text) {
  orivon_http_request_fail(request, static_cast<std::uint16_t>(status),
                           reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

void Supervisor::serve_http(const ModuleId& id, orivon_http_request_t* request) {
  const auto is_function = this->is_function(id);
  if (!is_function || !*is_function) {
    answer(request, 404,
           "not found: the route leads to '" + id.str() + "', which is not an installed " +
               "function module");
    return;
  }
  std::shared_ptr<Service> svc = service(id);
  Service& s = *svc;
  auto role = function_role(s);
  if (!role || !*role) {
    answer(request, 500, "internal error: cannot read the handler's [function] settings");
    return;
  }
  const FunctionSettings settings = **role;

  const FunctionTurn turn(*this, s);
  if (closing_) {
    answer(request, 503, "service unavailable: the host is shutting down");
    return;
  }
  if (turn.of_service() > settings.max_instances) {
    answer(request, 503,
           "service unavailable: '" + s.name + "' already runs " +
               std::to_string(settings.max_instances) + " requests at once (its max-instances)");
    return;
  }
  if (turn.of_host() > limits::kMaxLiveFunctionInstances) {
    answer(request, 503, "service unavailable: the host runs as many function instances as it may");
    return;
  }

  auto made = function_recipe(s);
  if (!made) {
    s.logs->note("an HTTP request failed: " + made.error().to_string());
    answer(request, 500, "internal error: the handler cannot be set up (see orivon logs)");
    return;
  }
  std::shared_ptr<const instance::ProxyTemplate> proxy;
  {
    MutexLock lock(s.mutex);
    if (s.http_template_origins == (*made)->profile.http_origins) proxy = s.http_template;
  }
  if (!proxy) {
    auto created = instance::ProxyTemplate::create(
        engine_, (*made)->program.shared_data(), (*made)->profile, links_.get(), s.id,
        instance::ProxyTemplate::Placement::Pooled, settings.max_memory_bytes);
    if (!created) {
      s.logs->note("an HTTP request failed: " + created.error().to_string());
      answer(request, 500,
             "internal error: '" + s.name + "' cannot serve HTTP (see orivon logs " + s.name +
                 ")");
      return;
    }
    proxy = *created;
    if (!proxy->on_demand_reason().empty()) s.logs->note(proxy->on_demand_reason());
    MutexLock lock(s.mutex);
    s.http_template = proxy;
    s.http_template_origins = (*made)->profile.http_origins;
  }

  const std::int64_t deadline_at =
      now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(settings.deadline).count();
  TickStop stopped = TickStop::None;
  instance::StoreHooks hooks;
  LogSink* logs = s.logs.get();
  if ((*made)->log_output) {
    hooks.output = [logs](bool is_stderr, std::string_view bytes) {
      logs->write(is_stderr ? LogStream::Stderr : LogStream::Stdout, bytes);
    };
  }
  // The store lives only in serve() below, so the hook may hold references.
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

  const auto began = std::chrono::steady_clock::now();
  auto served = proxy->serve(request, (*made)->profile, limits, hooks);
  const auto took_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            began)
          .count());
  s.call_duration_counts[CallDurations::bucket_for_us(took_us)].fetch_add(
      1, std::memory_order_relaxed);
  s.call_duration_total_us.fetch_add(took_us, std::memory_order_relaxed);
  ++s.calls;
  if (served) return;

  const Error& failure = served.error();
  if (failure.code() == ErrorCode::ResourceExhausted && stopped == TickStop::None &&
      failure.message().find("capacity") != std::string::npos) {
    answer(request, 503, "service unavailable: the host is at capacity");
    return;
  }
  ++s.traps;
  if (stopped == TickStop::Deadline) {
    logs->note("an HTTP request ran past its deadline of " +
               std::to_string(settings.deadline.count()) + " ms");
    answer(request, 504,
           "gateway timeout: the handler ran past its deadline of " +
               std::to_string(settings.deadline.count()) + " ms");
    return;
  }
  if (stopped == TickStop::Stop) {
    answer(request, 503, "service unavailable: the host is shutting down");
    return;
  }
  logs->note("an HTTP request failed: " + crash_cause(failure));
  answer(request, 500, "internal server error: the handler failed (see orivon logs " + s.name + ")");
}

Result<void> Supervisor::instantiate_http_for_testing(const ModuleId& id) {
  std::shared_ptr<Service> svc = service(id);
  std::shared_ptr<const instance::ProxyTemplate> proxy;
  {
    MutexLock lock(svc->mutex);
    proxy = svc->http_template;
  }
  ORIVON_TRY(auto made, function_recipe(*svc));
  if (!proxy) {
    ORIVON_TRY(auto role, function_role(*svc));
    ORIVON_TRY(proxy, instance::ProxyTemplate::create(
                          engine_, made->program.shared_data(), made->profile, links_.get(),
                          svc->id, instance::ProxyTemplate::Placement::Pooled,
                          role ? role->max_memory_bytes : FunctionSettings{}.max_memory_bytes));
    MutexLock lock(svc->mutex);
    svc->http_template = proxy;
    svc->http_template_origins = made->profile.http_origins;
  }
  return proxy->instantiate_once(made->profile, ExecutionLimits{});
}

}  // namespace orivon::supervisor
