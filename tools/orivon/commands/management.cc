#include "commands/management.h"

#include <filesystem>

#include "cli.h"
#include "host/requests.h"
#include "host/session.h"
#include "orivon/ids.h"
#include "orivon/runtime.h"

namespace orivon::cli {

nlohmann::json make_request(ManagementOperation operation) {
  return {{"op", std::string(management_operation_name(operation))}};
}

int perform_and_print(const GlobalOptions& global, const nlohmann::json& request, bool json_output,
                      const TextPrinter& print_text, std::ostream& out, std::ostream& err,
                      const std::function<int(const nlohmann::json& result)>& exit_code_of) {
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << noted(state_dir.error()).to_string() << "\n";
    return kExitError;
  }
  auto session = perform(*state_dir, request, err);
  if (!session) {
    err << "error: " << noted(session.error()).to_string() << "\n";
    return kExitError;
  }
  note_responder(global, session->via_host, err);
  const auto& reply = session->reply;
  if (!reply.value("ok", false)) {
    const Error error = error_from_reply(reply);
    err << "error: " << noted(error).message() << "\n";
    // A guest's fault exits as `orivon run` does.
    const bool guest_fault = error.code() == ErrorCode::Trapped ||
                             error.code() == ErrorCode::DeadlineExceeded;
    return guest_fault && request.value("op", "") == "call" ? kExitTrapped : kExitError;
  }
  const auto& result = field(reply, "result");
  if (json_output) {
    out << to_line(result.is_null() ? nlohmann::json::object() : result);
  } else {
    print_text(result, out);
  }
  return exit_code_of ? exit_code_of(result) : 0;
}

void note_responder(const GlobalOptions& global, bool via_host, std::ostream& err) {
  if (global.quiet) return;
  err << (via_host ? "(answered by the running host)\n"
                   : "(no host running: used the state directory directly)\n");
}

bool are_valid_ids(std::initializer_list<std::string_view> ids, std::ostream& err) {
  for (std::string_view text : ids) {
    auto id = ModuleId::parse(text);
    if (!id) {
      err << "error: " << noted(id.error()).message() << "\n";
      return false;
    }
  }
  return true;
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace orivon::cli
