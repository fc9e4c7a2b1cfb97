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
  // Warnings (imports no call can pass, from `start`) go to stderr, so
  // stdout keeps the state alone.
  auto print = [&err](const nlohmann::json& module, std::ostream& text) {
    print_state(module, text);
    if (auto it = module.find("warnings"); it != module.end() && it->is_array()) {
      for (const auto& warning : *it) {
        if (warning.is_string()) err << "warning: " << warning.get<std::string>() << "\n";
      }
    }
  };
  return perform_and_print(global, request, options.json, print, out, err);
}

}  // namespace orivon::cli
