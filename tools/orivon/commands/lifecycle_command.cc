#include "commands/lifecycle_command.h"

namespace orivon::cli {
namespace {

void print_state(const nlohmann::json& module, std::ostream& text) {
  text << module.value("id", "") << ": " << module.value("state", "");
  if (auto cause = module.value("state_cause", ""); !cause.empty()) text << " (" << cause << ")";
  text << "\n";
  if (module.contains("note")) text << field(module, "note").get<std::string>() << "\n";
}

}  // namespace

CLI::App* add_lifecycle_command(CLI::App& app, ManagementOperation operation,
                                const std::string& help, LifecycleOptions& options) {
  CLI::App* command = app.add_subcommand(std::string(management_operation_name(operation)), help);
  command->add_option("ID", options.id, "The module's id")->required();
  command->add_flag("--json", options.json, "Print the module as JSON");
  return command;
}

int run_lifecycle(const GlobalOptions& global, ManagementOperation operation,
                  const LifecycleOptions& options, std::ostream& out, std::ostream& err) {
  nlohmann::json request = make_request(operation);
  request["id"] = options.id;
  return perform_and_print(global, request, options.json, print_state, out, err);
}

}  // namespace orivon::cli
