#include "host/module_json.h"

#include "orivon/grants.h"

namespace orivon::cli {

nlohmann::json to_json(const ModuleInfo& info) {
  nlohmann::json out = {
      {"id", info.id.str()},
      {"kind", std::string(module_kind_name(info.kind))},
      {"program_kind", info.program_kind == ProgramKind::Component ? "component" : "core"},
      {"version", info.version},
      {"description", info.description},
      {"content_hash", info.content_hash},
      {"size_bytes", info.size_bytes},
      {"state", std::string(module_state_name(info.state))},
      {"state_cause", info.state_cause},
      {"autostart", info.autostart},
      {"uptime_ms", info.metrics.uptime_ms},
      {"restarts", info.metrics.restarts},
      {"calls", info.metrics.calls},
      {"traps", info.metrics.traps},
      {"denied_calls", info.metrics.denied_calls},
      {"installed_at", info.installed_at},
      {"updated_at", info.updated_at},
  };
  // Wasmtime's C API shows no component's linear memory: left out, not 0.
  if (info.program_kind != ProgramKind::Component) out["memory_bytes"] = info.metrics.memory_bytes;
  return out;
}

void write_json(JsonWriter& out, const ModuleInfo& info, const EventCounters* events) {
  // Members in the order nlohmann's object (a std::map) dumps them, so the
  // text is the same as to_json()'s.
  out.begin_object();
  out.key("autostart").boolean(info.autostart);
  out.key("calls").number(info.metrics.calls);
  out.key("content_hash").string(info.content_hash);
  out.key("denied_calls").number(info.metrics.denied_calls);
  out.key("description").string(info.description);
  if (events != nullptr) {
    out.key("events").begin_object();
    out.key("delivered").number(events->delivered);
    out.key("dropped").number(events->dropped);
    out.key("failed").number(events->failed);
    out.key("published").number(events->published);
    out.end_object();
  }
  out.key("id").string(info.id.str());
  out.key("installed_at").number(info.installed_at);
  out.key("kind").string(module_kind_name(info.kind));
  if (info.program_kind != ProgramKind::Component) {
    out.key("memory_bytes").number(info.metrics.memory_bytes);
  }
  out.key("program_kind").string(info.program_kind == ProgramKind::Component ? "component" : "core");
  out.key("restarts").number(info.metrics.restarts);
  out.key("size_bytes").number(info.size_bytes);
  out.key("state").string(module_state_name(info.state));
  out.key("state_cause").string(info.state_cause);
  out.key("traps").number(info.metrics.traps);
  out.key("updated_at").number(info.updated_at);
  out.key("uptime_ms").number(info.metrics.uptime_ms);
  out.key("version").string(info.version);
  out.end_object();
}

namespace {

// What a grant string gives, or why it gives nothing (a manifest may
// request a malformed grant; it can never be allowed).
std::string grant_meaning(const std::string& text) {
  auto parsed = parse_grant(text);
  if (!parsed) return "malformed: " + parsed.error().message();
  return describe_grant(*parsed);
}

}  // namespace

nlohmann::json to_json(const ModuleDetails& details) {
  nlohmann::json out = to_json(details.info);
  // Requested versus granted: every request with the client's decision, and
  // decisions on grants the manifest did not request.
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& request : details.manifest.requests) {
    auto decision = details.decisions.find(request);
    const char* status = decision == details.decisions.end()           ? "undecided"
                         : decision->second == GrantDecision::Allow ? "granted"
                                                                    : "denied";
    grants.push_back({{"grant", request},
                      {"requested", true},
                      {"status", status},
                      {"meaning", grant_meaning(request)}});
  }
  for (const auto& [grant, decision] : details.decisions) {
    const auto& requests = details.manifest.requests;
    if (std::find(requests.begin(), requests.end(), grant) != requests.end()) continue;
    grants.push_back({{"grant", grant},
                      {"requested", false},
                      {"status", decision == GrantDecision::Allow ? "granted" : "denied"},
                      {"meaning", grant_meaning(grant)}});
  }
  out["has_manifest"] = details.has_manifest;
  out["grants"] = std::move(grants);
  out["config"] = details.manifest.config;
  nlohmann::json triggers = nlohmann::json::array();
  for (const auto& trigger : details.manifest.triggers) {
    nlohmann::json entry = {{"kind", std::string(trigger_kind_name(trigger.kind))},
                            {"call", trigger.call}};
    if (!trigger.every.empty()) entry["every"] = trigger.every;
    if (!trigger.cron.empty()) entry["cron"] = trigger.cron;
    if (!trigger.catch_up.empty()) entry["catch_up"] = trigger.catch_up;
    if (!trigger.topic.empty()) entry["topic"] = trigger.topic;
    if (!trigger.route.empty()) entry["route"] = trigger.route;
    triggers.push_back(std::move(entry));
  }
  out["triggers"] = std::move(triggers);
  // A function's [function] settings; null for a service, library or group.
  out["function"] = details.manifest.function ? nlohmann::json(*details.manifest.function)
                                              : nlohmann::json(nullptr);
  out["imports"] = details.imports;
  out["exports"] = details.exports;
  return out;
}

nlohmann::json to_json(const CallGrant& grant) {
  return {{"caller", grant.caller.str()},
          {"target", grant.target.str()},
          {"all", grant.functions.empty()},
          {"functions", grant.functions}};
}

}  // namespace orivon::cli
