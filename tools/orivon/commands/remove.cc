// `orivon remove ID`: uninstalls a module with its grants.

#include <memory>
#include <string>

#include "commands/commands.h"

namespace orivon::cli {
namespace {

struct RemoveOptions {
  std::string id;
  bool json = false;
};

int run_remove(const GlobalOptions& global, const RemoveOptions& options, std::ostream& out,
               std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Remove);
  request["id"] = options.id;
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& result, std::ostream& text) {
        text << "removed " << result.value("id", "") << "\n";
      },
      out, err);
}

}  // namespace

CommandAction setup_remove(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<RemoveOptions>();
  CLI::App* command = app.add_subcommand("remove", "Uninstall a module, its grants and configuration");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_flag("--json", options->json, "Print the result as JSON");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_remove(global, *options, out, err);
  };
}

}  // namespace orivon::cli
