// `orivon allow ID GRANT...`: the client lets a module have system access
// (files, environment, arguments, stdio, network, HTTP, host functions).

#include <memory>

#include "commands/commands.h"
#include "commands/decision_command.h"

namespace orivon::cli {

CommandAction setup_allow(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DecisionOptions>();
  add_decision_command(
      app, ManagementOperation::Allow, "Grant a module system access: orivon allow ID GRANT... | --requested",
      "Everything is denied unless allowed. A service gets its grants when it starts (restart\n"
      "a running one to apply them); host: grants apply to the next call. A directory that\n"
      "is, contains or lies inside orivon's state directory is refused. --requested allows\n"
      "exactly what the module's manifest requests ('orivon inspect' lists it).",
      *options);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_decision(global, ManagementOperation::Allow, "allowed", *options, out, err);
  };
}

}  // namespace orivon::cli
