// `orivon list`: the installed modules.

#include <memory>

#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {

CommandAction setup_list(CLI::App& app, const GlobalOptions& global) {
  auto json = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand("list", "List installed modules");
  command->add_flag("--json", *json,
                    "Print a JSON array of objects (id, kind, state, version, size_bytes, ...)");
  return [json, &global](std::ostream& out, std::ostream& err) {
    return perform_and_print(global, {{"op", "list"}}, *json, print_module_table, out, err);
  };
}

}  // namespace orivon::cli
