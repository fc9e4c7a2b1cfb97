// `orivon stop ID`: stops a service gracefully (in a host) and keeps it from
// starting with the next host; with no host running, only the latter.

#include <memory>

#include "commands/commands.h"
#include "commands/lifecycle_command.h"

namespace orivon::cli {

CommandAction setup_stop(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LifecycleOptions>();
  add_lifecycle_command(app, ManagementOperation::Stop,
                        "Stop a service gracefully: its stop export, then an interrupt after "
                        "the grace period",
                        *options);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_lifecycle(global, ManagementOperation::Stop, *options, out, err);
  };
}

}  // namespace orivon::cli
