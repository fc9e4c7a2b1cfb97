// `orivon restart ID`: stops, then starts a service; needs a running host.

#include <memory>

#include "commands/commands.h"
#include "commands/lifecycle_command.h"

namespace orivon::cli {

CommandAction setup_restart(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LifecycleOptions>();
  add_lifecycle_command(app, ManagementOperation::Restart, "Stop, then start a service",
                        *options);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_lifecycle(global, ManagementOperation::Restart, *options, out, err);
  };
}

}  // namespace orivon::cli
