#include "host/requests.h"

#include "host/base64.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host/module_json.h"
#include "host/value_json.h"
#include "orivon/calls.h"
#include "orivon/events.h"
#include "orivon/config.h"
#include "orivon/grants.h"
#include "orivon/management_operation.h"

namespace orivon::cli {
namespace {

using nlohmann::json;

json ok_reply(json result) { return {{"ok", true}, {"result", std::move(result)}}; }

Error bad_request(const std::string& why) {
  return Error(ErrorCode::InvalidArgument, "bad request: " + why);
}

Result<std::string> string_field(const json& request, const char* name) {
  auto it = request.find(name);
  if (it == request.end() || !it->is_string()) {
    return bad_request(std::string("'") + name + "' must be a string");
  }
  return it->get<std::string>();
}

Result<ModuleId> id_field(const json& request) {
  ORIVON_TRY(auto text, string_field(request, "id"));
  return ModuleId::parse(text);
}

Result<AddOptions> add_options(const json& request) {
  AddOptions options;
  if (request.contains("id") && !request["id"].is_null()) {
    ORIVON_TRY(options.id, id_field(request));
  }
  if (auto it = request.find("manifest"); it != request.end() && !it->is_null()) {
    if (!it->is_object()) return bad_request("'manifest' must be an object");
    ORIVON_TRY(auto text, string_field(*it, "text"));
    ORIVON_TRY(auto format, string_field(*it, "format"));
    auto manifest =
        parse_manifest(text, format == "json" ? ManifestFormat::Json : ManifestFormat::Toml);
    if (!manifest) return manifest.error();  // its message starts with "manifest: "
    options.manifest = std::move(*manifest);
  }
  return options;
}

Result<ModuleId> module_field(const json& request, const char* name) {
  ORIVON_TRY(auto text, string_field(request, name));
  auto id = ModuleId::parse(text);
  if (!id) return Error::wrap(std::string("'") + name + "'", id.error());
  return id;
}

// Optional "functions": names of the target's exports; absent or empty means
// every function.
Result<std::vector<std::string>> functions_field(const json& request) {
  std::vector<std::string> functions;
  auto it = request.find("functions");
  if (it == request.end() || it->is_null()) return functions;
  if (!it->is_array()) return bad_request("'functions' must be an array of strings");
  for (const auto& name : *it) {
    if (!name.is_string()) return bad_request("'functions' must be an array of strings");
    functions.push_back(name.get<std::string>());
  }
  return functions;
}

// The strings of `request[name]`: an array of strings, empty if absent.
Result<std::vector<std::string>> strings_field(const json& request, const char* name) {
  std::vector<std::string> out;
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) return out;
  const Error bad = bad_request(std::string("'") + name + "' must be an array of strings");
  if (!it->is_array()) return bad;
  for (const auto& item : *it) {
    if (!item.is_string()) return bad;
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The grants decided allow before, now deny: those a deny took back as
// variants of what was named.
json taken_back(const std::map<std::string, GrantDecision>& before,
                const std::map<std::string, GrantDecision>& after,
                const std::vector<std::string>& named) {
  json out = json::array();
  for (const auto& [text, decision] : after) {
    auto was = before.find(text);
    if (decision != GrantDecision::Deny || was == before.end() ||
        was->second != GrantDecision::Allow ||
        std::find(named.begin(), named.end(), text) != named.end()) {
      continue;
    }
    out.push_back(text);
  }
  return out;
}

// `allow` / `deny`: {"id", "grants": [...], "requested": true?}. Decided in
// order; a failure says which grants were already recorded. "requested"
// (allow only) adds every grant the module's manifest requests.
Result<json> decide(Runtime& runtime, const json& request, GrantDecision decision,
                    Responder responder) {
  ORIVON_TRY(auto id, id_field(request));
  ORIVON_TRY(auto texts, strings_field(request, "grants"));
  const bool requested = request.value("requested", false);
  if (requested && decision != GrantDecision::Allow) {
    return bad_request("'requested' is for allow only");
  }
  std::map<std::string, GrantDecision> before;
  {
    ORIVON_TRY(auto details, runtime.inspect_module(id));  // NotFound for an unknown id
    before = details.decisions;
    if (requested) {
      if (details.manifest.requests.empty()) {
        return Error(ErrorCode::FailedPrecondition,
                     "'" + id.str() + "' requests no grants" +
                         (details.has_manifest ? " (its manifest asks for none)"
                                               : " (it was added without a manifest)"));
      }
      // All or nothing: a request that cannot be a grant stops it before
      // anything is recorded.
      std::string malformed;
      for (const auto& text : details.manifest.requests) {
        if (auto parsed = parse_grant(text); !parsed) {
          malformed += "\n  " + parsed.error().message();
        } else if (std::find(texts.begin(), texts.end(), text) == texts.end()) {
          texts.push_back(text);
        }
      }
      if (!malformed.empty()) {
        return Error(ErrorCode::FailedPrecondition,
                     "the manifest of '" + id.str() +
                         "' requests what cannot be granted, so nothing was allowed (allow the "
                         "others by name):" + malformed);
      }
    }
  }
  if (texts.empty()) return bad_request("'grants' must be a non-empty array of strings");
  json done = json::array();
  std::string recorded;
  for (const std::string& text : texts) {
    auto parsed = parse_grant(text);
    auto decided = parsed ? runtime.decide_grant(id, text, decision) : Result<void>(parsed.error());
    if (!decided) {
      if (recorded.empty()) return decided.error();
      return Error::wrap("recorded " + recorded + " but not '" + text + "'", decided.error());
    }
    recorded += (recorded.empty() ? "'" : ", '") + text + "'";
    done.push_back({{"grant", text}, {"meaning", describe_grant(*parsed)}});
  }
  json out = {{"id", id.str()}, {"grants", std::move(done)}};
  if (decision == GrantDecision::Deny) {
    ORIVON_TRY(auto details, runtime.inspect_module(id));
    out["taken_back"] = taken_back(before, details.decisions, texts);
  }
  if (responder == Responder::Host && id.kind() == ModuleKind::Service &&
      runtime.service_metrics(id).state == ModuleState::Running) {
    out["note"] = "'" + id.str() + "' is running: it gets the change when it restarts "
                  "(orivon restart " + id.str() + "); host: grants apply to its next call";
  }
  return out;
}

// `forget`: {"id", "grants": [...]}: each back to undecided. Done in
// order; a failure says which were already forgotten.
Result<json> forget(Runtime& runtime, const json& request) {
  ORIVON_TRY(auto id, id_field(request));
  ORIVON_TRY(auto texts, strings_field(request, "grants"));
  if (texts.empty()) return bad_request("'grants' must be a non-empty array of strings");
  json done = json::array();
  std::string forgotten;
  for (const auto& text : texts) {
    auto removed = runtime.forget_grant(id, text);
    if (!removed) {
      if (forgotten.empty()) return removed.error();
      return Error::wrap("forgot " + forgotten + " but not '" + text + "'", removed.error());
    }
    forgotten += (forgotten.empty() ? "'" : ", '") + text + "'";
    for (const auto& gone : *removed) done.push_back(gone);
  }
  return json{{"id", id.str()}, {"forgotten", std::move(done)}};
}

// The grant `caller` holds on `target`, if any.
Result<std::optional<CallGrant>> held_grant(Runtime& runtime, const ModuleId& caller,
                                            const ModuleId& target) {
  ORIVON_TRY(auto grants, runtime.call_grants(caller));
  for (auto& grant : grants) {
    if (grant.target == target) return std::optional<CallGrant>(std::move(grant));
  }
  return std::optional<CallGrant>();
}

// The names `held` stores for the `names` a user typed.
std::vector<std::string> stored_names(const std::vector<std::string>& names,
                                      const std::optional<CallGrant>& held) {
  return stored_function_names(names, held ? held->functions : std::vector<std::string>());
}

json grant_change(const ModuleId& caller, const ModuleId& target,
                  const std::vector<std::string>& functions) {
  return {{"caller", caller.str()},
          {"target", target.str()},
          {"all", functions.empty()},
          {"functions", functions}};
}

Result<json> grant(Runtime& runtime, const json& request) {
  ORIVON_TRY(auto caller, module_field(request, "caller"));
  ORIVON_TRY(auto target, module_field(request, "target"));
  ORIVON_TRY(auto functions, functions_field(request));
  ORIVON_RETURN_IF_ERROR(runtime.grant_calls(caller, target, functions));
  ORIVON_TRY(auto held, held_grant(runtime, caller, target));
  json out = grant_change(caller, target, stored_names(functions, held));
  out["held"] = held ? to_json(*held) : json(nullptr);
  return out;
}

Result<json> revoke(Runtime& runtime, const json& request) {
  ORIVON_TRY(auto caller, module_field(request, "caller"));
  ORIVON_TRY(auto target, module_field(request, "target"));
  ORIVON_TRY(auto functions, functions_field(request));
  ORIVON_TRY(auto before, held_grant(runtime, caller, target));
  if (auto revoked = runtime.revoke_calls(caller, target, functions); !revoked) {
    if (revoked.error().code() != ErrorCode::NotFound || !before) return revoked.error();
    // Say what there is to revoke.
    std::string holds;
    for (const auto& function : before->functions) holds += (holds.empty() ? "" : ", ") + function;
    if (holds.empty()) holds = "every function (revoke that by naming no function)";
    return Error(ErrorCode::NotFound, revoked.error().to_string() + "; it holds " + holds);
  }
  ORIVON_TRY(auto after, held_grant(runtime, caller, target));
  json out = grant_change(caller, target, stored_names(functions, before));
  out["remaining"] = after ? to_json(*after) : json(nullptr);
  return out;
}

Result<json> grants(Runtime& runtime, const json& request) {
  std::optional<ModuleId> caller;
  if (request.contains("caller") && !request["caller"].is_null()) {
    ORIVON_TRY(caller, module_field(request, "caller"));
  }
  ORIVON_TRY(auto held, runtime.call_grants(caller));
  if (caller && held.empty()) {
    // No grants, or no such module: only then is it worth finding out which.
    ORIVON_TRY(auto modules, runtime.list_modules());
    if (std::none_of(modules.begin(), modules.end(),
                     [&](const ModuleInfo& info) { return info.id == *caller; })) {
      return Error(ErrorCode::NotFound, "no module '" + caller->str() + "' is installed");
    }
  }
  json out = json::array();
  for (const auto& grant : held) out.push_back(to_json(grant));
  return out;
}

// Who may call `id` and whom `id` may call, for inspect.
Result<void> add_call_grants(Runtime& runtime, const ModuleId& id, json& details) {
  ORIVON_TRY(auto all, runtime.call_grants());
  json may_call = json::array();
  json called_by = json::array();
  for (const auto& grant : all) {
    if (grant.caller == id) may_call.push_back(to_json(grant));
    if (grant.target == id) called_by.push_back(to_json(grant));
  }
  details["may_call"] = std::move(may_call);
  details["called_by"] = std::move(called_by);
  return ok();
}

// Where each function `id` imports from another module leads: objects
// {"import", "function", "status": "granted" | "denied" | "unavailable",
// "target", "target_function", "on_failure": "err" | "trap" (how a refused
// or failed call reaches the module), "message", "text" (as inspect prints
// it)}. Null when the module's code cannot be read.
json import_routes_json(Runtime& runtime, const ModuleId& id) {
  auto routes = runtime.import_routes(id);
  if (!routes) return json(nullptr);
  json out = json::array();
  for (const auto& route : *routes) {
    out.push_back({{"import", route.import},
                   {"function", route.function},
                   {"status", std::string(import_route_status_name(route.status))},
                   {"target", route.target},
                   {"target_function", route.target_function},
                   {"on_failure", route.carries_error ? "err" : "trap"},
                   {"message", route.message},
                   {"text", import_route_text(id, route)}});
  }
  return out;
}

// `text`, or its start and end around " ... " when longer than `max_bytes`,
// cut at UTF-8 character boundaries (the reply is JSON).
std::string shortened(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  auto continues = [&](std::size_t at) {
    return at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80;
  };
  std::size_t head = max_bytes / 2;
  while (head > 0 && continues(head)) --head;
  std::size_t tail = text.size() - max_bytes / 2;
  while (tail < text.size() && continues(tail)) ++tail;
  return text.substr(0, head) + " ... " + text.substr(tail);
}

// A service being started: one warning per import no call can pass, for the
// client to show (the host notes them in the service's log as well).
json start_warnings(Runtime& runtime, const ModuleId& id) {
  json warnings = json::array();
  if (id.kind() != ModuleKind::Service) return warnings;
  auto routes = runtime.import_routes(id);
  if (!routes) return warnings;
  for (const auto& route : *routes) {
    if (route.status == ImportRoute::Status::Granted) continue;
    // Shortened like the host's log note: import names are the module's text.
    const std::string warning = "'" + id.str() + "' imports " + route.import + "#" +
                                route.function + ": " + import_route_text(id, route);
    warnings.push_back(shortened(warning, 512));
  }
  return warnings;
}

// Start or stop without a host: record whether the service starts when one
// comes up.
Result<json> record_for_next_host(Runtime& runtime, ManagementOperation operation,
                                  const ModuleId& id) {
  const char* note = nullptr;
  if (operation == ManagementOperation::Start) {
    if (id.kind() != ModuleKind::Service) return runtime.start_service(id).error();
    ORIVON_RETURN_IF_ERROR(runtime.set_autostart(id, true));
    note = "no host is running: it will start when one comes up";
  } else if (operation == ManagementOperation::Stop) {
    ORIVON_RETURN_IF_ERROR(runtime.stop_service(id));
    note = "no host is running: it will not start when one comes up";
  } else {
    std::string message(management_operation_name(operation));
    message += " cannot be recorded for the next host";
    return Error(ErrorCode::Internal, std::move(message));
  }
  ORIVON_TRY(auto details, runtime.inspect_module(id));
  json out = to_json(details.info);
  out["note"] = note;
  if (operation == ManagementOperation::Start) out["warnings"] = start_warnings(runtime, id);
  return out;
}

// The module after a lifecycle change.
Result<json> module_info(Runtime& runtime, const ModuleId& id) {
  ORIVON_TRY(auto details, runtime.inspect_module(id));
  return to_json(details.info);
}

Result<json> call(Runtime& runtime, const json& request, const ModuleId& id) {
  ORIVON_TRY(auto call, string_field(request, "call"));
  std::optional<std::chrono::milliseconds> timeout;
  if (auto it = request.find("timeout_ms"); it != request.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) {
      return bad_request("'timeout_ms' must be a non-negative integer");
    }
    // Past int64 the count would wrap negative; the runtime cuts long
    // timeouts further, to what its clock can hold.
    const auto most = static_cast<std::uint64_t>(std::chrono::milliseconds::max().count());
    timeout = std::chrono::milliseconds(std::min(it->get<std::uint64_t>(), most));
  }
  ORIVON_TRY(auto outcome, runtime.call(id, call, timeout));
  json out = {{"results", outcome.results}};
  if (outcome.exit_code) {
    out["exit_code"] = *outcome.exit_code;
  } else {
    json values = json::array();
    for (const Value& value : outcome.values) values.push_back(value_to_json(value));
    out["values"] = std::move(values);
  }
  return out;
}

Result<json> logs(Runtime& runtime, const json& request, const ModuleId& id) {
  std::uint64_t after = 0;
  std::size_t max = 1000;
  if (auto it = request.find("after"); it != request.end() && it->is_number_unsigned()) {
    after = it->get<std::uint64_t>();
  }
  if (auto it = request.find("max"); it != request.end() && it->is_number_unsigned()) {
    max = std::min<std::size_t>(it->get<std::uint64_t>(), 10'000);
  }
  ORIVON_TRY(auto details, runtime.inspect_module(id));  // NotFound for unknown ids
  (void)details;
  json entries = json::array();
  for (const auto& entry : runtime.service_logs(id, after, max)) {
    entries.push_back({{"sequence", entry.sequence},
                       {"time_ms", entry.time_ms},
                       {"stream", entry.stream},
                       {"text", entry.text}});
  }
  return entries;
}

// A bucket as JSON: its name, scope, limits and what it holds.
json bucket_json(const BucketInfo& info) {
  return {{"name", info.name},
          {"scope", std::string(scope_name(info.scope))},
          {"keys", info.keys},
          {"bytes", info.bytes},
          {"max_value_bytes", info.limits.max_value_bytes},
          {"max_keys", info.limits.max_keys},
          {"max_bytes", info.limits.max_bytes}};
}

Result<std::uint64_t> optional_count(const json& request, const char* name,
                                     std::uint64_t fallback) {
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) return fallback;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0) {
    return bad_request(std::string("'") + name + "' must be a positive integer");
  }
  return it->get<std::uint64_t>();
}

// {"op": "kv", "action": ..., "bucket": ..., "key": ..., ...}: see requests.h.
Result<json> kv(Runtime& runtime, const json& request) {
  ORIVON_TRY(auto action, string_field(request, "action"));
  if (action == "buckets") {
    ORIVON_TRY(auto buckets, runtime.kv_buckets());
    json list = json::array();
    for (const auto& info : buckets) list.push_back(bucket_json(info));
    return list;
  }
  ORIVON_TRY(auto bucket, string_field(request, "bucket"));
  if (action == "create") {
    Scope scope = Scope::Local;
    if (request.contains("scope")) {
      ORIVON_TRY(auto text, string_field(request, "scope"));
      ORIVON_TRY(scope, parse_scope(text));
    }
    BucketLimits limits;
    ORIVON_TRY(limits.max_value_bytes, optional_count(request, "max_value_bytes", limits.max_value_bytes));
    ORIVON_TRY(limits.max_keys, optional_count(request, "max_keys", limits.max_keys));
    ORIVON_TRY(limits.max_bytes, optional_count(request, "max_bytes", limits.max_bytes));
    const bool custom = request.contains("max_value_bytes") || request.contains("max_keys") ||
                        request.contains("max_bytes");
    ORIVON_TRY(auto info, runtime.kv_create_bucket(bucket, scope,
                                                   custom ? std::optional(limits) : std::nullopt));
    return bucket_json(info);
  }
  if (action == "drop") {
    ORIVON_RETURN_IF_ERROR(runtime.kv_drop_bucket(bucket));
    return json{{"bucket", bucket}};
  }
  if (action == "keys") {
    std::string prefix;
    if (request.contains("prefix")) {
      ORIVON_TRY(prefix, string_field(request, "prefix"));
    }
    std::optional<std::string> after;
    if (request.contains("after")) {
      ORIVON_TRY(after, string_field(request, "after"));
    }
    ORIVON_TRY(auto limit, optional_count(request, "limit", 1000));
    ORIVON_TRY(auto page, runtime.kv_keys(bucket, prefix, after,
                                          static_cast<std::size_t>(std::min<std::uint64_t>(limit, 1'000'000))));
    json out = {{"keys", page.keys}};
    out["next"] = page.next ? json(*page.next) : json(nullptr);
    return out;
  }
  ORIVON_TRY(auto key, string_field(request, "key"));
  if (action == "get") {
    ORIVON_TRY(auto entry, runtime.kv_get(bucket, key));
    if (!entry) return Error(ErrorCode::NotFound, "no key '" + key + "' in '" + bucket + "'");
    json out = {{"key", key},
                {"version", entry->version},
                {"value_base64", base64_encode(entry->value)}};
    out["expires_at_ms"] = entry->expires_at_ms ? json(*entry->expires_at_ms) : json(nullptr);
    return out;
  }
  if (action == "set") {
    ORIVON_TRY(auto encoded, string_field(request, "value_base64"));
    auto value = base64_decode(encoded);
    if (!value) return bad_request("'value_base64' is not base64");
    ORIVON_TRY(auto version, runtime.kv_set(bucket, key, *value));
    return json{{"key", key}, {"version", version}};
  }
  if (action == "delete") {
    ORIVON_TRY(auto existed, runtime.kv_delete(bucket, key));
    return json{{"key", key}, {"deleted", existed}};
  }
  return bad_request("unknown kv action '" + action + "'");
}

json counters_json(const EventCounters& counters) {
  return {{"published", counters.published},
          {"delivered", counters.delivered},
          {"failed", counters.failed},
          {"dropped", counters.dropped}};
}

// Bytes as text for people and JSON: the text itself when it is printable
// ASCII (and short), else a note of its size.
json payload_json(const std::vector<std::uint8_t>& data) {
  const bool printable = std::all_of(data.begin(), data.end(), [](std::uint8_t c) {
    return c >= 0x20 && c < 0x7f;
  });
  if (printable && data.size() <= 4096) return std::string(data.begin(), data.end());
  return "(" + std::to_string(data.size()) + " bytes)";
}

// The payload of a publish: inline text, or a file the host reads (the same
// user's file, as `add` reads one), refused past the event size limit before
// it is read whole.
Result<std::vector<std::uint8_t>> publish_payload(const json& request) {
  const bool has_file = request.contains("file") && !request["file"].is_null();
  if (!has_file) {
    if (!request.contains("data") || request["data"].is_null()) return std::vector<std::uint8_t>{};
    ORIVON_TRY(auto text, string_field(request, "data"));
    return std::vector<std::uint8_t>(text.begin(), text.end());
  }
  ORIVON_TRY(auto path, string_field(request, "file"));
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error(ErrorCode::NotFound, "cannot read '" + path + "'");
  std::vector<std::uint8_t> data;
  constexpr std::size_t kMost = (std::size_t{1} << 20) + 1;  // one past the event limit: refused
  data.resize(kMost);
  file.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(kMost));
  data.resize(static_cast<std::size_t>(file.gcount()));
  if (file.bad()) return Error(ErrorCode::Internal, "reading '" + path + "' failed");
  return data;
}

Result<json> publish(Runtime& runtime, const json& request) {
  EventMessage message;
  ORIVON_TRY(message.topic, string_field(request, "topic"));
  ORIVON_TRY(message.data, publish_payload(request));
  if (request.contains("content_type") && !request["content_type"].is_null()) {
    ORIVON_TRY(message.content_type, string_field(request, "content_type"));
  }
  if (auto it = request.find("metadata"); it != request.end() && !it->is_null()) {
    if (!it->is_array()) return bad_request("'metadata' must be an array of [key, value] pairs");
    for (const auto& pair : *it) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        return bad_request("'metadata' must be an array of [key, value] pairs");
      }
      message.metadata.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  ORIVON_TRY(auto sequence, runtime.publish(message));
  return json{{"topic", message.topic}, {"sequence", sequence}, {"bytes", message.data.size()}};
}

enum class SubscriptionChange { Subscribe, Unsubscribe };

Result<json> subscription_change(Runtime& runtime, const json& request,
                                 SubscriptionChange change) {
  const bool subscribe = change == SubscriptionChange::Subscribe;
  ORIVON_TRY(auto id, id_field(request));
  ORIVON_TRY(auto pattern, string_field(request, "pattern"));
  bool durable = false;
  if (auto it = request.find("durable"); it != request.end() && !it->is_null()) {
    if (!it->is_boolean()) return bad_request("'durable' must be true or false");
    durable = it->get<bool>();
  }
  if (subscribe) {
    ORIVON_RETURN_IF_ERROR(runtime.subscribe_module(
        id, pattern, durable ? EventDurability::Durable : EventDurability::Ephemeral));
  } else {
    ORIVON_RETURN_IF_ERROR(runtime.unsubscribe_module(id, pattern));
  }
  json out = {{"id", id.str()}, {"pattern", pattern}};
  if (subscribe) out["durability"] = durable ? "durable" : "ephemeral";
  return out;
}

Result<json> events_report(Runtime& runtime) {
  ORIVON_TRY(auto report, runtime.events());
  json subscriptions = json::array();
  for (const auto& s : report.subscriptions) {
    subscriptions.push_back({{"id", s.id},
                             {"subscriber", s.subscriber},
                             {"pattern", s.pattern},
                             {"durability", std::string(event_durability_name(s.durability))},
                             {"source", s.source},
                             {"pending", s.pending},
                             {"delivered", s.delivered},
                             {"redelivered", s.redelivered},
                             {"dropped", s.dropped},
                             {"dead", s.dead}});
  }
  json topics = json::array();
  for (const auto& t : report.topics) topics.push_back({{"topic", t.topic}, {"published", t.published}});
  json out{{"subscriptions", std::move(subscriptions)},
           {"topics", std::move(topics)},
           {"dead_letters", report.dead_letters}};
  if (report.cluster) {
    const ClusterReport& c = *report.cluster;
    out["cluster"] = {{"url", c.url},         {"host", c.host},
                      {"state", c.state},     {"last_error", c.last_error},
                      {"sent", c.sent},       {"received", c.received},
                      {"outbox", c.outbox},   {"max_payload", c.max_payload},
                      {"sent_core", c.sent_core},
                      {"remote_durable_patterns", c.remote_durable_patterns}};
  }
  return out;
}

// `triggers`: {"id"?} -> [{id, kind, call, schedule fields, function,
// next_run_ms, last_run_ms, last_result, runs, failures, skipped}].
Result<json> triggers_report(Runtime& runtime, const json& request) {
  std::optional<ModuleId> only;
  if (request.contains("id") && !request["id"].is_null()) {
    ORIVON_TRY(only, id_field(request));
  }
  ORIVON_TRY(auto infos, runtime.triggers(only));
  json out = json::array();
  for (const auto& info : infos) {
    json item = {{"id", info.module.str()},
                 {"kind", std::string(trigger_kind_name(info.trigger.kind))},
                 {"call", info.trigger.call},
                 {"function", info.function},
                 {"last_result", info.last_result},
                 {"runs", info.runs},
                 {"failures", info.failures},
                 {"skipped", info.skipped}};
    if (!info.trigger.every.empty()) item["every"] = info.trigger.every;
    if (!info.trigger.cron.empty()) item["cron"] = info.trigger.cron;
    if (!info.trigger.catch_up.empty()) item["catch_up"] = info.trigger.catch_up;
    if (!info.trigger.topic.empty()) item["topic"] = info.trigger.topic;
    if (!info.trigger.route.empty()) item["route"] = info.trigger.route;
    item["next_run_ms"] = info.next_run_ms ? json(*info.next_run_ms) : json(nullptr);
    item["last_run_ms"] = info.last_run_ms ? json(*info.last_run_ms) : json(nullptr);
    out.push_back(std::move(item));
  }
  return out;
}

json route_json(const HttpRoute& route) {
  return json{{"route", route.text()},
              {"host", route.host.empty() ? json(nullptr) : json(route.host)},
              {"prefix", route.prefix},
              {"id", route.module.str()}};
}

// `route-add`: {"route", "id"} -> the route; `route-remove`: {"route"};
// `routes`: -> [{route, host, prefix, id}].
Result<json> route_change(Runtime& runtime, const json& request, ManagementOperation operation) {
  ORIVON_TRY(auto route, string_field(request, "route"));
  if (operation == ManagementOperation::RouteAdd) {
    ORIVON_TRY(auto id, id_field(request));
    ORIVON_TRY(auto added, runtime.add_http_route(route, id));
    return route_json(added);
  }
  ORIVON_RETURN_IF_ERROR(runtime.remove_http_route(route));
  return json{{"route", route}, {"removed", true}};
}

Result<json> routes_report(Runtime& runtime) {
  ORIVON_TRY(auto routes, runtime.http_routes());
  json out = json::array();
  for (const auto& route : routes) out.push_back(route_json(route));
  return out;
}

Result<json> dead_letters(Runtime& runtime, const json& request) {
  std::string action = "list";
  if (request.contains("action") && !request["action"].is_null()) {
    ORIVON_TRY(action, string_field(request, "action"));
  }
  if (action == "requeue") {
    ORIVON_TRY(auto count, runtime.requeue_dead_letters());
    return json{{"requeued", count}};
  }
  if (action == "purge") {
    ORIVON_TRY(auto count, runtime.purge_dead_letters());
    return json{{"purged", count}};
  }
  if (action != "list") return bad_request("'action' must be list, requeue or purge");
  std::size_t max = 100;
  if (auto it = request.find("max"); it != request.end() && it->is_number_unsigned()) {
    max = std::min<std::size_t>(it->get<std::uint64_t>(), 10'000);
  }
  ORIVON_TRY(auto letters, runtime.dead_letters(max));
  json out = json::array();
  for (const auto& dead : letters) {
    json metadata = json::array();
    for (const auto& [key, value] : dead.event.message.metadata) metadata.push_back({key, value});
    out.push_back({{"id", dead.id},
                   {"subscription", dead.subscription},
                   {"subscriber", dead.subscriber},
                   {"topic", dead.event.message.topic},
                   {"publisher", dead.event.publisher},
                   {"sequence", dead.event.sequence},
                   {"data", payload_json(dead.event.message.data)},
                   {"bytes", dead.event.message.data.size()},
                   {"content_type", dead.event.message.content_type
                                        ? json(*dead.event.message.content_type)
                                        : json(nullptr)},
                   {"metadata", std::move(metadata)},
                   {"attempts", dead.attempts},
                   {"reason", dead.reason},
                   {"dead_at", dead.dead_at}});
  }
  return out;
}

// `config`: {"id", "values": {KEY: VALUE}, "entries": [{key, value, source,
// manifest_value?}]}.
Result<json> config_json(Runtime& runtime, const ModuleId& id) {
  ORIVON_TRY(auto entries, runtime.module_config(id));
  json values = json::object();
  json listed = json::array();
  for (const auto& entry : entries) {
    values[entry.key] = entry.value;
    json item = {{"key", entry.key},
                 {"value", entry.value},
                 {"source", std::string(config_source_name(entry.source))}};
    if (entry.manifest_value) item["manifest_value"] = *entry.manifest_value;
    listed.push_back(std::move(item));
  }
  return json{{"id", id.str()}, {"values", std::move(values)}, {"entries", std::move(listed)}};
}

// The value `key` has now, if any.
Result<std::optional<ConfigEntry>> config_entry(Runtime& runtime, const ModuleId& id,
                                                const std::string& key) {
  ORIVON_TRY(auto entries, runtime.module_config(id));
  for (auto& entry : entries) {
    if (entry.key == key) return std::optional<ConfigEntry>(std::move(entry));
  }
  return std::optional<ConfigEntry>();
}

// `config-set`: {"id", "key", "value", "previous": what the module saw
// before, or null}.
Result<json> config_set(Runtime& runtime, const json& request, const ModuleId& id) {
  ORIVON_TRY(auto key, string_field(request, "key"));
  ORIVON_TRY(auto value, string_field(request, "value"));
  ORIVON_TRY(auto before, config_entry(runtime, id, key));
  ORIVON_RETURN_IF_ERROR(runtime.set_config(id, key, value));
  return json{{"id", id.str()},
              {"key", key},
              {"value", value},
              {"previous", before ? json(before->value) : json(nullptr)}};
}

// `config-unset`: {"id", "key", "value": what the module sees now (the
// manifest's value) or null, "source": "manifest" or null}.
Result<json> config_unset(Runtime& runtime, const json& request, const ModuleId& id) {
  ORIVON_TRY(auto key, string_field(request, "key"));
  ORIVON_RETURN_IF_ERROR(runtime.unset_config(id, key));
  ORIVON_TRY(auto after, config_entry(runtime, id, key));
  return json{{"id", id.str()},
              {"key", key},
              {"value", after ? json(after->value) : json(nullptr)},
              {"source", after ? json(std::string(config_source_name(after->source)))
                               : json(nullptr)}};
}

// `remove`: {"id", "removed_grants": [every call grant that went, held by
// the module or on it]}. Without "force": true it refuses while another
// module holds a call grant on it.
Result<json> remove(Runtime& runtime, const json& request, const ModuleId& id) {
  bool force = false;
  if (auto it = request.find("force"); it != request.end() && !it->is_null()) {
    if (!it->is_boolean()) return bad_request("'force' must be true or false");
    force = it->get<bool>();
  }
  auto removed =
      runtime.remove_module(id, force ? RemoveDependents::Remove : RemoveDependents::Refuse);
  if (!removed) {
    if (force || removed.error().code() != ErrorCode::FailedPrecondition) return removed.error();
    return Error(ErrorCode::FailedPrecondition,
                 removed.error().message() + " (orivon remove --force " + id.str() + ")");
  }
  json grants = json::array();
  for (const auto& grant : *removed) grants.push_back(to_json(grant));
  return json{{"id", id.str()}, {"removed_grants", std::move(grants)}};
}

// `update`: {"id", "file"?, "manifest"?}: new code, a new manifest, or
// both. A running service restarts on them (said in "note").
Result<json> update(Runtime& runtime, const json& request, const ModuleId& id,
                    Responder responder) {
  const bool has_file = request.contains("file") && !request["file"].is_null();
  ORIVON_TRY(auto options, add_options(request));
  if (!has_file && !options.manifest) {
    return bad_request("'update' needs a 'file', a 'manifest' or both");
  }
  const bool was_running = responder == Responder::Host && id.kind() == ModuleKind::Service &&
                           runtime.service_metrics(id).state == ModuleState::Running;
  std::optional<ModuleInfo> info;
  if (!options.manifest) {
    ORIVON_TRY(auto file, string_field(request, "file"));
    ORIVON_TRY(info, runtime.update_module_file(id, file));
  } else {
    std::string file;
    if (has_file) {
      ORIVON_TRY(file, string_field(request, "file"));
    }
    ORIVON_TRY(info, runtime.update_module_manifest(id, *options.manifest, file));
  }
  json out = to_json(*info);
  if (was_running) out["note"] = "'" + id.str() + "' was running: it restarted on the update";
  return out;
}

// The operations on one module: whether they need a host is the library's
// rule (host_requirement), so a host and a CLI acting alone agree.
Result<json> dispatch_on_module(Runtime& runtime, const json& request,
                                ManagementOperation operation, Responder responder) {
  ORIVON_TRY(auto id, id_field(request));
  if (responder != Responder::Host) {
    switch (host_requirement(operation, id.kind())) {
      case HostRequirement::Required:
        return host_required_error(operation, id);
      case HostRequirement::Deferred:
        return record_for_next_host(runtime, operation, id);
      case HostRequirement::None:
        break;
    }
  }
  switch (operation) {
    case ManagementOperation::Remove:
      return remove(runtime, request, id);
    case ManagementOperation::Update:
      return update(runtime, request, id, responder);
    case ManagementOperation::Inspect: {
      ORIVON_TRY(auto details, runtime.inspect_module(id));
      json out = to_json(details);
      out["events"] = counters_json(runtime.event_counters(id));
      ORIVON_RETURN_IF_ERROR(add_call_grants(runtime, id, out));
      out["import_routes"] = import_routes_json(runtime, id);
      return out;
    }
    case ManagementOperation::Start: {
      ORIVON_RETURN_IF_ERROR(runtime.start_service(id));
      ORIVON_TRY(auto out, module_info(runtime, id));
      out["warnings"] = start_warnings(runtime, id);
      return out;
    }
    case ManagementOperation::Stop:
      ORIVON_RETURN_IF_ERROR(runtime.stop_service(id));
      return module_info(runtime, id);
    case ManagementOperation::Restart:
      ORIVON_RETURN_IF_ERROR(runtime.restart_service(id));
      return module_info(runtime, id);
    case ManagementOperation::Call:
      return call(runtime, request, id);
    case ManagementOperation::Logs:
      return logs(runtime, request, id);
    case ManagementOperation::Config:
      return config_json(runtime, id);
    case ManagementOperation::ConfigSet:
      return config_set(runtime, request, id);
    case ManagementOperation::ConfigUnset:
      return config_unset(runtime, request, id);
    default:
      break;
  }
  std::string message(management_operation_name(operation));
  message += " acts on no one module";
  return Error(ErrorCode::Internal, std::move(message));
}

// Several modules in one transaction: "modules" holds objects shaped like a
// single add's request ("file", optional "id" and "manifest"). The reply
// lists them as installed, in the order given.
Result<json> add_many(Runtime& runtime, const json& request) {
  const json& items = request["modules"];
  if (!items.is_array() || items.empty()) {
    return bad_request("'modules' must be a non-empty array of objects");
  }
  std::vector<ModuleSource> sources;
  sources.reserve(items.size());
  for (const json& item : items) {
    if (!item.is_object()) return bad_request("'modules' must be a non-empty array of objects");
    ModuleSource source;
    ORIVON_TRY(auto file, string_field(item, "file"));
    source.file = std::move(file);
    ORIVON_TRY(source.options, add_options(item));
    sources.push_back(std::move(source));
  }
  ORIVON_TRY(auto infos, runtime.add_modules(sources));
  json out = json::array();
  for (const auto& info : infos) out.push_back(to_json(info));
  return out;
}

// The page a list request names with "after" (an id, or any text: ids
// after it in byte order) and "limit"; every module when it names none.
Result<ListOptions> list_options(const json& request) {
  ListOptions options;
  if (auto it = request.find("after"); it != request.end() && !it->is_null()) {
    ORIVON_TRY(options.after, string_field(request, "after"));
  }
  if (auto it = request.find("limit"); it != request.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) return bad_request("'limit' must be a non-negative integer");
    options.limit = static_cast<std::size_t>(
        std::min<std::uint64_t>(it->get<std::uint64_t>(), std::numeric_limits<std::size_t>::max()));
  }
  return options;
}

// The installed modules by id: every one, or the page the request names.
// A client that pages keeps each reply small whatever the host holds.
Result<json> list(Runtime& runtime, const json& request) {
  ORIVON_TRY(auto options, list_options(request));
  ORIVON_TRY(auto modules, runtime.list_modules(options));
  json out = json::array();
  for (const auto& info : modules) {
    json item = to_json(info);
    item["events"] = counters_json(runtime.event_counters(info.id));
    out.push_back(std::move(item));
  }
  return out;
}

// The same reply as ok_reply(list(...)), as one line of text written
// straight from the modules: a page of 2,000 modules as nlohmann trees cost
// a host about 80 ms, nearly all of it building and printing the trees.
Result<std::string> list_line(Runtime& runtime, const json& request) {
  ORIVON_TRY(auto options, list_options(request));
  ORIVON_TRY(auto modules, runtime.list_modules(options));
  std::string line;
  line.reserve(64 + modules.size() * 512);
  JsonWriter out(line);
  out.begin_object().key("ok").boolean(true).key("result").begin_array();
  for (const auto& info : modules) {
    const EventCounters events = runtime.event_counters(info.id);
    write_json(out, info, &events);
  }
  out.end_array().end_object();
  line.push_back('\n');
  return line;
}

Result<json> dispatch(Runtime& runtime, const json& request, Responder responder) {
  if (!request.is_object()) return bad_request("not a JSON object");
  ORIVON_TRY(auto op, string_field(request, "op"));
  // `ping` only asks who answers; it is no management operation.
  if (op == "ping") return json{{"pid", static_cast<long>(::getpid())}};
  const auto operation = find_management_operation(op);
  if (!operation) return bad_request("unknown op '" + op + "'");
  switch (*operation) {
    case ManagementOperation::List:
      return list(runtime, request);
    case ManagementOperation::Add:
      if (request.contains("modules")) return add_many(runtime, request);
      {
        ORIVON_TRY(auto file, string_field(request, "file"));
        ORIVON_TRY(auto options, add_options(request));
        ORIVON_TRY(auto info, runtime.add_module_file(file, options));
        return to_json(info);
      }
    case ManagementOperation::Grant:
      return grant(runtime, request);
    case ManagementOperation::Revoke:
      return revoke(runtime, request);
    case ManagementOperation::Grants:
      return grants(runtime, request);
    case ManagementOperation::Allow:
      return decide(runtime, request, GrantDecision::Allow, responder);
    case ManagementOperation::Deny:
      return decide(runtime, request, GrantDecision::Deny, responder);
    case ManagementOperation::Kv:
      return kv(runtime, request);
    case ManagementOperation::Publish:
      if (responder != Responder::Host) {
        return Error(ErrorCode::FailedPrecondition,
                     "'publish' needs a running host (it delivers the event): start one with "
                     "'orivon up'");
      }
      return publish(runtime, request);
    case ManagementOperation::Subscribe:
      return subscription_change(runtime, request, SubscriptionChange::Subscribe);
    case ManagementOperation::Unsubscribe:
      return subscription_change(runtime, request, SubscriptionChange::Unsubscribe);
    case ManagementOperation::Events:
      return events_report(runtime);
    case ManagementOperation::DeadLetters:
      return dead_letters(runtime, request);
    case ManagementOperation::Triggers:
      return triggers_report(runtime, request);
    case ManagementOperation::Forget:
      return forget(runtime, request);
    case ManagementOperation::RouteAdd:
    case ManagementOperation::RouteRemove:
      return route_change(runtime, request, *operation);
    case ManagementOperation::Routes:
      return routes_report(runtime);
    default:
      return dispatch_on_module(runtime, request, *operation, responder);
  }
}

// Counts values and depth while nlohmann reads the text, and stops it at the
// first bound exceeded, before any tree is built.
class ShapeCheck : public nlohmann::json_sax<json> {
 public:
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t&) override { return value(); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    malformed_ = true;
    return false;
  }

  bool too_many() const { return values_ > kMaxRequestValues; }
  bool too_deep() const { return depth_ > kMaxRequestDepth; }
  bool malformed() const { return malformed_; }

 private:
  bool value() { return ++values_ <= kMaxRequestValues; }
  bool open() {
    ++depth_;
    return value() && depth_ <= kMaxRequestDepth;
  }
  bool close() {
    --depth_;
    return true;
  }
  std::size_t values_ = 0;
  std::size_t depth_ = 0;
  bool malformed_ = false;
};

}  // namespace

Result<json> parse_request(std::string_view line) {
  try {
    ShapeCheck shape;
    if (!json::sax_parse(line, &shape, json::input_format_t::json, /*strict=*/true)) {
      if (shape.too_many()) {
        return bad_request("more than " + std::to_string(kMaxRequestValues) + " JSON values");
      }
      if (shape.too_deep()) {
        return bad_request("JSON nested more than " + std::to_string(kMaxRequestDepth) +
                           " levels deep");
      }
      return Error(ErrorCode::InvalidArgument, "request is not valid JSON");
    }
    auto request = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) return Error(ErrorCode::InvalidArgument, "request is not valid JSON");
    return request;
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::ResourceExhausted, "out of memory reading the request");
  } catch (const std::exception& error) {
    return Error(ErrorCode::InvalidArgument, std::string("request is not valid JSON: ") + error.what());
  }
}

std::string to_line(const json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

json error_reply(const Error& error) {
  return {{"ok", false},
          {"error", {{"code", std::string(error_code_name(error.code()))},
                     {"message", error.to_string()}}}};
}

json handle_request(Runtime& runtime, const json& request, Responder responder) noexcept {
  try {
    auto result = dispatch(runtime, request, responder);
    if (!result) return error_reply(result.error());
    return ok_reply(std::move(*result));
  } catch (const std::exception& e) {
    return error_reply(Error(ErrorCode::Internal, std::string("handling a request: ") + e.what()));
  } catch (...) {
    return error_reply(Error(ErrorCode::Internal, "handling a request: unknown exception"));
  }
}

std::string handle_request_line(Runtime& runtime, const json& request,
                                Responder responder) noexcept {
  try {
    if (request.is_object()) {
      if (auto op = request.find("op"); op != request.end() && *op == "list") {
        auto line = list_line(runtime, request);
        return line ? std::move(*line) : to_line(error_reply(line.error()));
      }
    }
    return to_line(handle_request(runtime, request, responder));
  } catch (...) {
    return "{\"error\":{\"code\":\"Internal\",\"message\":\"handling a request: out of "
           "memory\"},\"ok\":false}\n";
  }
}

Error error_from_reply(const json& reply) {
  try {
    const auto& error = reply.at("error");
    const std::string code = error.at("code").get<std::string>();
    ErrorCode parsed = ErrorCode::Internal;
#define ORIVON_ERROR_CODE(name, value) \
  if (code == #name) parsed = ErrorCode::name;
#include "orivon/error_codes.inc"
#undef ORIVON_ERROR_CODE
    return Error(parsed, error.at("message").get<std::string>());
  } catch (...) {
    return Error(ErrorCode::Internal, "malformed reply from the host");
  }
}

}  // namespace orivon::cli
