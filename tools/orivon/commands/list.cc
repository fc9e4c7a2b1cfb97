// `orivon list`: the installed modules.

#include <memory>

#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

struct ListOptions {
  bool json = false;
};

int run_list(const GlobalOptions& global, const ListOptions& options, std::ostream& out,
             std::ostream& err) {
  return perform_and_print(global, make_request(ManagementOperation::List), options.json,
                           print_module_table, out, err);
}

}  // namespace

CommandAction setup_list(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* command = app.add_subcommand("list", "List installed modules");
  command->add_flag("--json", options->json,
                    "Print a JSON array of objects (id, kind, state, version, size_bytes, ...)");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_list(global, *options, out, err);
  };
}

}  // namespace orivon::cli
