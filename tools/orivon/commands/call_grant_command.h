#pragma once

// What `orivon grant` and `orivon revoke` share: CALLER TARGET [FUNCTION...]
// and --json, checked and sent as one request.

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/management.h"

namespace orivon::cli {

struct CallGrantOptions {
  std::string caller;
  std::string target;
  std::vector<std::string> functions;
  bool json = false;
};

// Adds the subcommand named after `operation` with its arguments.
CLI::App* add_call_grant_command(CLI::App& app, ManagementOperation operation,
                                 const std::string& help, CallGrantOptions& options);

// Checks both ids (a usage error if bad), then asks for `operation` and
// prints the result through `print_text`.
int run_call_grant(const GlobalOptions& global, ManagementOperation operation,
                   const CallGrantOptions& options, const TextPrinter& print_text,
                   std::ostream& out, std::ostream& err);

}  // namespace orivon::cli
