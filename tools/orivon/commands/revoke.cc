// `orivon revoke CALLER TARGET [FUNCTION...]`: takes back calls from one
// module to another (or TARGET's membership of the group CALLER).

#include <memory>
#include <string>

#include "commands/call_grant_command.h"
#include "commands/commands.h"
#include "commands/management.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

void print_revoked(const nlohmann::json& result, std::ostream& text) {
  const std::string caller = result.value("caller", "");
  const std::string target = result.value("target", "");
  text << "revoked " << caller << " -> " << target << ": " << grant_functions_text(result) << "\n";
  if (const auto& remaining = field(result, "remaining"); remaining.is_object()) {
    text << caller << " still may call " << target << ": " << grant_functions_text(remaining)
         << "\n";
  }
}

}  // namespace

CommandAction setup_revoke(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<CallGrantOptions>();
  CLI::App* command = add_call_grant_command(
      app, ManagementOperation::Revoke,
      "Take back calls from CALLER to TARGET: orivon revoke CALLER TARGET [FUNCTION...]",
      *options);
  command->footer(
      "With no FUNCTION, every grant from CALLER to TARGET goes. The next call is refused, even\n"
      "by a running module. Revoking what CALLER does not hold is an error.\n"
      "\n"
      "Examples:\n"
      "  orivon revoke app.front.c app.stats.go record      # only 'record'\n"
      "  orivon revoke app.front.c app.stats.go             # everything\n"
      "  orivon revoke group.math.orivon app.adder.orivon   # app.adder.orivon leaves the group");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_call_grant(global, ManagementOperation::Revoke, *options, print_revoked, out, err);
  };
}

}  // namespace orivon::cli
