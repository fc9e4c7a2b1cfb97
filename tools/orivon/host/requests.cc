#include "host/requests.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "host/module_json.h"

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
    if (!manifest) return Error::wrap("manifest", manifest.error());
    options.manifest = std::move(*manifest);
  }
  return options;
}

Error needs_host(const std::string& op) {
  return Error(ErrorCode::FailedPrecondition,
               "'" + op + "' needs a running host: start one with 'orivon up'");
}

Result<json> dispatch(Runtime& runtime, const json& request, Responder responder) {
  if (!request.is_object()) return bad_request("not a JSON object");
  ORIVON_TRY(auto op, string_field(request, "op"));
  static const std::vector<std::string> kOps = {"ping",    "list",  "add",     "remove", "update",
                                                "inspect", "start", "stop",    "restart", "call",
                                                "logs"};
  if (std::find(kOps.begin(), kOps.end(), op) == kOps.end()) {
    return bad_request("unknown op '" + op + "'");
  }
  if (op == "ping") return json{{"pid", static_cast<long>(::getpid())}};
  if (op == "list") {
    ORIVON_TRY(auto modules, runtime.list_modules());
    json list = json::array();
    for (const auto& info : modules) list.push_back(to_json(info));
    return list;
  }
  if (op == "add") {
    ORIVON_TRY(auto file, string_field(request, "file"));
    ORIVON_TRY(auto options, add_options(request));
    ORIVON_TRY(auto info, runtime.add_module_file(file, options));
    return to_json(info);
  }
  ORIVON_TRY(auto id, id_field(request));
  if (op == "remove") {
    ORIVON_RETURN_IF_ERROR(runtime.remove_module(id));
    return json{{"id", id.str()}};
  }
  if (op == "update") {
    ORIVON_TRY(auto file, string_field(request, "file"));
    ORIVON_TRY(auto info, runtime.update_module_file(id, file));
    return to_json(info);
  }
  if (op == "inspect") {
    ORIVON_TRY(auto details, runtime.inspect_module(id));
    return to_json(details);
  }
  if (op == "start" || op == "stop") {
    if (responder == Responder::Host) {
      ORIVON_RETURN_IF_ERROR(op == "start" ? runtime.start_service(id) : runtime.stop_service(id));
      ORIVON_TRY(auto details, runtime.inspect_module(id));
      return to_json(details.info);
    }
    // No host: record what should run when one comes up.
    if (op == "stop") {
      ORIVON_RETURN_IF_ERROR(runtime.stop_service(id));
    } else {
      if (id.kind() != ModuleKind::Service) return runtime.start_service(id).error();
      ORIVON_RETURN_IF_ERROR(runtime.set_autostart(id, true));
    }
    ORIVON_TRY(auto details, runtime.inspect_module(id));
    json out = to_json(details.info);
    out["note"] = op == "start" ? "no host is running: it will start when one comes up"
                                : "no host is running: it will not start when one comes up";
    return out;
  }
  if (op == "restart") {
    if (responder != Responder::Host) return needs_host(op);
    ORIVON_RETURN_IF_ERROR(runtime.restart_service(id));
    ORIVON_TRY(auto details, runtime.inspect_module(id));
    return to_json(details.info);
  }
  if (op == "call") {
    if (responder != Responder::Host) return needs_host(op);
    ORIVON_TRY(auto call, string_field(request, "call"));
    std::optional<std::chrono::milliseconds> timeout;
    if (auto it = request.find("timeout_ms"); it != request.end() && it->is_number_unsigned()) {
      timeout = std::chrono::milliseconds(it->get<std::uint64_t>());
    }
    ORIVON_TRY(auto outcome, runtime.call_service(id, call, timeout));
    json out = {{"results", outcome.results}};
    if (outcome.exit_code) out["exit_code"] = *outcome.exit_code;
    return out;
  }
  if (op == "logs") {
    if (responder != Responder::Host) return needs_host(op);
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
  return bad_request("unknown op '" + op + "'");
}

}  // namespace

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
