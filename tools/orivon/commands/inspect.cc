// `orivon inspect ID`: everything known about one module.

#include <memory>

#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {

CommandAction setup_inspect(CLI::App& app, const GlobalOptions& global) {
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand(
      "inspect", "Show a module: kind, version, hash, size, imports, exports, requested "
                 "versus granted, state");
  command->add_option("ID", *id, "The module's id")->required();
  command->add_flag("--json", *json, "Print the module as a JSON object");
  return [id, json, &global](std::ostream& out, std::ostream& err) {
    return perform_and_print(global, {{"op", "inspect"}, {"id", *id}}, *json,
                             print_module_details, out, err);
  };
}

}  // namespace orivon::cli
