#pragma once

// What `orivon allow` and `orivon deny` share: ID GRANT... and --json, the
// grant syntax in the help, and a usage error that shows the syntax for a
// malformed grant before any state is touched.

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/management.h"

namespace orivon::cli {

struct DecisionOptions {
  std::string id;
  std::vector<std::string> grants;
  bool requested = false;  // allow only: every grant the manifest requests
  bool json = false;
};

// Adds the subcommand named after `operation` with its arguments; its
// footer is `about`, then the grant syntax and examples.
CLI::App* add_decision_command(CLI::App& app, ManagementOperation operation,
                               const std::string& help, const std::string& about,
                               DecisionOptions& options);

// Checks the id and every grant (usage errors), then asks for `operation`
// and prints each decision as "<verb> ID GRANT (what it gives)".
int run_decision(const GlobalOptions& global, ManagementOperation operation,
                 const std::string& verb, const DecisionOptions& options, std::ostream& out,
                 std::ostream& err);

}  // namespace orivon::cli
