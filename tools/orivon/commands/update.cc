// `orivon update ID FILE`: replaces an installed module's code; its grants,
// configuration and manifest stay.

#include <memory>
#include <string>

#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

struct UpdateOptions {
  std::string id;
  std::string file;
  bool json = false;
};

int run_update(const GlobalOptions& global, const UpdateOptions& options, std::ostream& out,
               std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Update);
  request["id"] = options.id;
  request["file"] = absolute_path(options.file);
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& module, std::ostream& text) {
        text << "updated " << module_summary(module) << "\n";
      },
      out, err);
}

}  // namespace

CommandAction setup_update(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<UpdateOptions>();
  CLI::App* command =
      app.add_subcommand("update", "Replace the code of an installed module (grants stay)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_option("FILE", options->file, "The new WebAssembly binary")->required();
  command->add_flag("--json", options->json, "Print the updated module as JSON");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_update(global, *options, out, err);
  };
}

}  // namespace orivon::cli
