// `orivon deny ID GRANT...`: the client refuses a module system access, or
// takes back what it allowed.

#include <memory>

#include "commands/commands.h"
#include "commands/decision_command.h"

namespace orivon::cli {

CommandAction setup_deny(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DecisionOptions>();
  add_decision_command(
      app, ManagementOperation::Deny, "Refuse or take back system access: orivon deny ID GRANT...",
      "A denial is recorded too, so 'orivon inspect' shows a request as denied rather than\n"
      "undecided. A running service keeps what it started with until it restarts; host:\n"
      "grants are refused from the next call.",
      *options);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_decision(global, ManagementOperation::Deny, "denied", *options, out, err);
  };
}

}  // namespace orivon::cli
