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
      "undecided ('orivon forget' makes it undecided again). Denying a variable or a guest\n"
      "path also takes back its variants: env:NAME takes back env:NAME=VALUE, and a directory\n"
      "grant takes back every grant at its guest path, :ro or :rw. A running service keeps what it started with until it restarts; host:\n"
      "grants are refused from the next call.",
      *options);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_decision(global, ManagementOperation::Deny, "denied", *options, out, err);
  };
}

}  // namespace orivon::cli
