// `orivon start ID`: starts a service now (in a host) and with every host
// from now on; with no host running, only the latter.

#include <memory>

#include "commands/commands.h"
#include "commands/lifecycle_command.h"

namespace orivon::cli {

CommandAction setup_start(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LifecycleOptions>();
  add_lifecycle_command(app, ManagementOperation::Start,
                        "Start a service module (and start it with every host from now on)",
                        *options);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_lifecycle(global, ManagementOperation::Start, *options, out, err);
  };
}

}  // namespace orivon::cli
