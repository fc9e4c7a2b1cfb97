#pragma once

// What `orivon start`, `stop` and `restart` share: an ID and --json, one
// request, and the module's new state as the reply.

#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "commands/management.h"

namespace orivon::cli {

struct LifecycleOptions {
  std::string id;
  bool json = false;
};

// Adds the subcommand named after `operation` with its ID and --json.
CLI::App* add_lifecycle_command(CLI::App& app, ManagementOperation operation,
                                const std::string& help, LifecycleOptions& options);

// Asks for `operation` on the module and prints "ID: STATE (CAUSE)" and any
// note (what happens with no host running).
int run_lifecycle(const GlobalOptions& global, ManagementOperation operation,
                  const LifecycleOptions& options, std::ostream& out, std::ostream& err);

}  // namespace orivon::cli
