// `orivon inspect ID`: everything known about one module.

#include <memory>
#include <string>

#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

struct InspectOptions {
  std::string id;
  bool json = false;
};

int run_inspect(const GlobalOptions& global, const InspectOptions& options, std::ostream& out,
                std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Inspect);
  request["id"] = options.id;
  return perform_and_print(global, request, options.json, print_module_details, out, err);
}

}  // namespace

CommandAction setup_inspect(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Show a module: kind, version, hash, size, imports, exports, requested "
                 "versus granted, state");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_flag("--json", options->json, "Print the module as a JSON object");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_inspect(global, *options, out, err);
  };
}

}  // namespace orivon::cli
