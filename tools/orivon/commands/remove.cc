// `orivon remove ID`: uninstalls a module with its grants.

#include <memory>

#include "commands/commands.h"

namespace orivon::cli {

CommandAction setup_remove(CLI::App& app, const GlobalOptions& global) {
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand("remove", "Uninstall a module, its grants and configuration");
  command->add_option("ID", *id, "The module's id")->required();
  command->add_flag("--json", *json, "Print the result as JSON");
  return [id, json, &global](std::ostream& out, std::ostream& err) {
    return perform_and_print(
        global, {{"op", "remove"}, {"id", *id}}, *json,
        [](const nlohmann::json& result, std::ostream& text) {
          text << "removed " << result.value("id", "") << "\n";
        },
        out, err);
  };
}

}  // namespace orivon::cli
