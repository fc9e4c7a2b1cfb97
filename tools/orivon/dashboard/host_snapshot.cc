#include "dashboard/host_snapshot.h"

#include <sys/resource.h>

#include <cstdio>
#include <initializer_list>
#include <sstream>
#include <string_view>
#include <utility>

namespace orivon::cli {
namespace {

constexpr ModuleState kStates[] = {ModuleState::Installed, ModuleState::Starting,
                                   ModuleState::Running,   ModuleState::Stopping,
                                   ModuleState::Stopped,   ModuleState::Crashed};

double process_cpu_seconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

nlohmann::json counters_json(const EventCounters& counters) {
  return {{"published", counters.published},
          {"delivered", counters.delivered},
          {"failed", counters.failed},
          {"dropped", counters.dropped}};
}

// A bucket bound in microseconds as the shortest readable text.
std::string duration_text(std::uint64_t us) {
  char text[32];
  if (us < 1000) {
    std::snprintf(text, sizeof text, "%llu us", static_cast<unsigned long long>(us));
  } else if (us < 1'000'000) {
    std::snprintf(text, sizeof text, "%.1f ms", static_cast<double>(us) / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(us) / 1e6);
  }
  return text;
}

// The bound of the quantile's bucket in microseconds; null before the first
// call and for the open-ended last bucket.
nlohmann::json latency_bound_json(const CallDurations& durations, double quantile) {
  auto bucket = durations.quantile_bucket(quantile);
  if (!bucket || CallDurations::bucket_bound_us(*bucket) == 0) return nullptr;
  return CallDurations::bucket_bound_us(*bucket);
}

}  // namespace

Result<HostSnapshot> take_snapshot(Runtime& runtime,
                                   std::chrono::steady_clock::time_point host_started) {
  HostSnapshot snapshot;
  snapshot.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - host_started)
                           .count();
  snapshot.cpu_seconds = process_cpu_seconds();
  snapshot.capacity = runtime.capacity();
  for (ModuleState state : kStates) {
    snapshot.modules_by_state[std::string(module_state_name(state))] = 0;
  }

  ORIVON_TRY(auto modules, runtime.list_modules());
  snapshot.module_count = modules.size();
  for (const auto& info : modules) {
    ++snapshot.modules_by_state[std::string(module_state_name(info.state))];
    snapshot.calls += info.metrics.calls;
    snapshot.traps += info.metrics.traps;
    snapshot.denied_calls += info.metrics.denied_calls;
    snapshot.restarts += info.metrics.restarts;
    const EventCounters events = runtime.event_counters(info.id);
    snapshot.events.published += events.published;
    snapshot.events.delivered += events.delivered;
    snapshot.events.failed += events.failed;
    snapshot.events.dropped += events.dropped;
    if (snapshot.modules.size() >= kMaxSnapshotModules) continue;
    ModuleRow row;
    row.id = info.id.str();
    row.kind = std::string(module_kind_name(info.kind));
    row.description = info.description;
    row.state = info.state;
    row.cause = info.state_cause;
    row.metrics = info.metrics;
    row.memory_known = info.program_kind != ProgramKind::Component;
    row.events = events;
    snapshot.modules.push_back(std::move(row));
  }
  // Events and key-value figures are best effort: a host without an event
  // store or a key-value database still has everything else to show.
  if (auto events = runtime.events()) {
    snapshot.event_topics = events->topics.size();
    snapshot.event_subscriptions = events->subscriptions.size();
    for (const auto& subscription : events->subscriptions) {
      snapshot.events_pending += subscription.pending;
      snapshot.dead_letters += subscription.dead;
    }
    snapshot.cluster = events->cluster;
  }
  if (auto buckets = runtime.kv_buckets()) {
    snapshot.kv_buckets = buckets->size();
    for (const auto& bucket : *buckets) {
      snapshot.kv_keys += bucket.keys;
      snapshot.kv_bytes += bucket.bytes;
    }
  }
  return snapshot;
}

std::string latency_text(const CallDurations& durations, double quantile) {
  auto bucket = durations.quantile_bucket(quantile);
  if (!bucket) return "-";
  const std::uint64_t bound = CallDurations::bucket_bound_us(*bucket);
  if (bound == 0) return "> " + duration_text(CallDurations::bucket_bound_us(*bucket - 1));
  return "<= " + duration_text(bound);
}

nlohmann::json to_json(const HostSnapshot& snapshot) {
  nlohmann::json modules = nlohmann::json::array();
  for (const auto& row : snapshot.modules) {
    const auto& m = row.metrics;
    modules.push_back({
        {"id", row.id},
        {"kind", row.kind},
        {"description", row.description},
        {"state", std::string(module_state_name(row.state))},
        {"cause", row.cause},
        {"uptime_ms", m.uptime_ms},
        {"restarts", m.restarts},
        {"calls", m.calls},
        {"traps", m.traps},
        {"denied_calls", m.denied_calls},
        {"latency_p50_us", latency_bound_json(m.call_durations, 0.5)},
        {"latency_p99_us", latency_bound_json(m.call_durations, 0.99)},
        {"latency_p50", latency_text(m.call_durations, 0.5)},
        {"latency_p99", latency_text(m.call_durations, 0.99)},
        {"events", counters_json(row.events)},
    });
    if (row.memory_known) modules.back()["memory_bytes"] = m.memory_bytes;
  }
  const auto& c = snapshot.capacity;
  nlohmann::json host = {
      {"uptime_ms", snapshot.uptime_ms},
      {"cpu_seconds", snapshot.cpu_seconds},
      {"resident_bytes", c.resident_bytes},
      {"memory_budget_bytes", c.memory_budget_bytes},
      {"mappings", c.mappings},
      {"max_mappings", c.max_mappings},
      {"live_instances", c.live_instances},
      {"refused_instances", c.refused},
      {"more_instances", c.more_instances},
      {"modules_by_state", snapshot.modules_by_state},
      {"calls", snapshot.calls},
      {"traps", snapshot.traps},
      {"denied_calls", snapshot.denied_calls},
      {"restarts", snapshot.restarts},
      {"events", counters_json(snapshot.events)},
      {"event_topics", snapshot.event_topics},
      {"event_subscriptions", snapshot.event_subscriptions},
      {"events_pending", snapshot.events_pending},
      {"dead_letters", snapshot.dead_letters},
      {"kv_buckets", snapshot.kv_buckets},
      {"kv_keys", snapshot.kv_keys},
      {"kv_bytes", snapshot.kv_bytes},
  };
  if (snapshot.cluster) {
    const ClusterReport& c = *snapshot.cluster;
    host["cluster"] = {{"url", c.url},       {"host", c.host},         {"state", c.state},
                       {"sent", c.sent},     {"received", c.received}, {"outbox", c.outbox},
                       {"last_error", c.last_error}};
  }
  return {{"host", std::move(host)},
          {"module_count", snapshot.module_count},
          {"modules_shown", snapshot.modules.size()},
          {"modules", std::move(modules)}};
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// Writes one metric family at a time: its HELP and TYPE lines, then samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  template <typename Number>
  void sample(std::string_view name, Number value,
              std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {}) {
    out_ << name;
    if (labels.size() != 0) {
      out_ << '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) out_ << ',';
        first = false;
        out_ << label << "=\"" << escape_label_value(label_value) << '"';
      }
      out_ << '}';
    }
    out_ << ' ' << value << '\n';
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string to_prometheus(const HostSnapshot& snapshot) {
  Exposition e;
  const auto& c = snapshot.capacity;
  e.family("orivon_host_uptime_seconds", "gauge", "Seconds since the host came up.");
  e.sample("orivon_host_uptime_seconds", static_cast<double>(snapshot.uptime_ms) / 1e3);
  e.family("process_cpu_seconds_total", "counter", "User and system CPU time of the host.");
  e.sample("process_cpu_seconds_total", snapshot.cpu_seconds);
  e.family("process_resident_memory_bytes", "gauge", "Resident memory of the host process.");
  e.sample("process_resident_memory_bytes", c.resident_bytes);
  e.family("orivon_memory_budget_bytes", "gauge",
           "Resident memory past which new instances are refused.");
  e.sample("orivon_memory_budget_bytes", c.memory_budget_bytes);
  e.family("orivon_live_instances", "gauge", "Live WebAssembly instances.");
  e.sample("orivon_live_instances", c.live_instances);
  e.family("orivon_instances_refused_total", "counter",
           "Instances refused because a capacity limit would be passed.");
  e.sample("orivon_instances_refused_total", c.refused);
  e.family("orivon_modules", "gauge", "Installed modules by lifecycle state.");
  for (const auto& [state, count] : snapshot.modules_by_state) {
    e.sample("orivon_modules", count, {{"state", state}});
  }
  e.family("orivon_event_topics", "gauge", "Event topics seen since the host started.");
  e.sample("orivon_event_topics", snapshot.event_topics);
  e.family("orivon_event_subscriptions", "gauge", "Event subscriptions.");
  e.sample("orivon_event_subscriptions", snapshot.event_subscriptions);
  e.family("orivon_events_pending", "gauge", "Events waiting in subscriptions' queues.");
  e.sample("orivon_events_pending", snapshot.events_pending);
  e.family("orivon_event_dead_letters", "gauge", "Durable events that failed every delivery.");
  e.sample("orivon_event_dead_letters", snapshot.dead_letters);
  if (snapshot.cluster) {
    const ClusterReport& c = *snapshot.cluster;
    e.family("orivon_cluster_connected", "gauge", "1 while the link to NATS is up, else 0.");
    e.sample("orivon_cluster_connected", c.state == "connected" ? 1 : 0);
    e.family("orivon_cluster_events_sent_total", "counter", "Events stored in the JetStream stream.");
    e.sample("orivon_cluster_events_sent_total", c.sent);
    e.family("orivon_cluster_events_received_total", "counter",
             "Events of other hosts handed to this host's bus.");
    e.sample("orivon_cluster_events_received_total", c.received);
    e.family("orivon_cluster_outbox", "gauge", "Events waiting for NATS to come back.");
    e.sample("orivon_cluster_outbox", c.outbox);
  }
  e.family("orivon_kv_buckets", "gauge", "Key-value buckets.");
  e.sample("orivon_kv_buckets", snapshot.kv_buckets);
  e.family("orivon_kv_keys", "gauge", "Keys stored in every key-value bucket.");
  e.sample("orivon_kv_keys", snapshot.kv_keys);
  e.family("orivon_kv_bytes", "gauge", "Bytes of the keys and values stored.");
  e.sample("orivon_kv_bytes", snapshot.kv_bytes);

  // One family per module counter, every module in it.
  struct Counter {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t (*read)(const ModuleRow&);
  };
  const Counter counters[] = {
      {"orivon_module_calls_total", "counter", "Calls the module's service completed.",
       [](const ModuleRow& r) { return r.metrics.calls; }},
      {"orivon_module_traps_total", "counter", "Crashes of the module's service.",
       [](const ModuleRow& r) { return r.metrics.traps; }},
      {"orivon_module_denied_calls_total", "counter",
       "Calls the module made that no grant allowed.",
       [](const ModuleRow& r) { return r.metrics.denied_calls; }},
      {"orivon_module_restarts_total", "counter", "Automatic restarts of the module's service.",
       [](const ModuleRow& r) { return r.metrics.restarts; }},
      {"orivon_module_memory_bytes", "gauge", "Linear memory the running service uses.",
       [](const ModuleRow& r) { return r.metrics.memory_bytes; }},
      {"orivon_module_uptime_seconds", "gauge", "Seconds since the service's instance started.",
       [](const ModuleRow& r) {
         return static_cast<std::uint64_t>(r.metrics.uptime_ms / 1000);
       }},
      {"orivon_module_events_published_total", "counter", "Events the module published.",
       [](const ModuleRow& r) { return r.events.published; }},
      {"orivon_module_events_delivered_total", "counter", "Events the module's handler took.",
       [](const ModuleRow& r) { return r.events.delivered; }},
      {"orivon_module_events_failed_total", "counter", "Deliveries the module's handler failed.",
       [](const ModuleRow& r) { return r.events.failed; }},
      {"orivon_module_events_dropped_total", "counter", "Events for the module that were dropped.",
       [](const ModuleRow& r) { return r.events.dropped; }},
  };
  for (const auto& counter : counters) {
    e.family(counter.name, counter.type, counter.help);
    for (const auto& row : snapshot.modules) {
      // No sample rather than a false 0 for a component's memory.
      if (!row.memory_known && std::string_view(counter.name) == "orivon_module_memory_bytes") {
        continue;
      }
      e.sample(counter.name, counter.read(row), {{"module", row.id}});
    }
  }
  e.family("orivon_module_state", "gauge",
           "1 for the module's lifecycle state (labels: module, kind, state).");
  for (const auto& row : snapshot.modules) {
    e.sample("orivon_module_state", 1,
             {{"module", row.id}, {"kind", row.kind}, {"state", module_state_name(row.state)}});
  }
  // Call durations as a histogram, for the modules that were called.
  e.family("orivon_module_call_duration_seconds", "histogram",
           "How long the module's calls ran in its instance.");
  for (const auto& row : snapshot.modules) {
    const auto& durations = row.metrics.call_durations;
    const std::uint64_t count = durations.count();
    if (count == 0) continue;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i + 1 < CallDurations::kBuckets; ++i) {
      cumulative += durations.counts[i];
      char le[32];
      std::snprintf(le, sizeof le, "%g",
                    static_cast<double>(CallDurations::bucket_bound_us(i)) / 1e6);
      e.sample("orivon_module_call_duration_seconds_bucket", cumulative,
               {{"module", row.id}, {"le", le}});
    }
    e.sample("orivon_module_call_duration_seconds_bucket", count,
             {{"module", row.id}, {"le", "+Inf"}});
    e.sample("orivon_module_call_duration_seconds_sum",
             static_cast<double>(durations.total_us) / 1e6, {{"module", row.id}});
    e.sample("orivon_module_call_duration_seconds_count", count, {{"module", row.id}});
  }
  return e.text();
}

}  // namespace orivon::cli
