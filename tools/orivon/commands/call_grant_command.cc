#include "commands/call_grant_command.h"

#include "cli.h"

namespace orivon::cli {

CLI::App* add_call_grant_command(CLI::App& app, ManagementOperation operation,
                                 const std::string& help, CallGrantOptions& options) {
  CLI::App* command = app.add_subcommand(std::string(management_operation_name(operation)), help);
  command->add_option("CALLER", options.caller, "The module that calls")->required();
  command->add_option("TARGET", options.target, "The module (or group) it calls")->required();
  command->add_option("FUNCTION", options.functions,
                      "Functions of TARGET, as 'orivon inspect TARGET' lists its exports "
                      "(none: every function)");
  command->add_flag("--json", options.json, "Print the result as JSON");
  return command;
}

int run_call_grant(const GlobalOptions& global, ManagementOperation operation,
                   const CallGrantOptions& options, const TextPrinter& print_text,
                   std::ostream& out, std::ostream& err) {
  if (!are_valid_ids({options.caller, options.target}, err)) return kExitUsage;
  nlohmann::json request = make_request(operation);
  request["caller"] = options.caller;
  request["target"] = options.target;
  request["functions"] = options.functions;
  return perform_and_print(global, request, options.json, print_text, out, err);
}

}  // namespace orivon::cli
