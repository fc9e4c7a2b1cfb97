// `orivon remove ID [--force]`: uninstalls a module with its grants. It
// refuses while other modules hold call grants on the module (naming them);
// --force removes those grants too and lists every call grant removed.

#include <memory>
#include <string>

#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

struct RemoveOptions {
  std::string id;
  bool force = false;
  bool json = false;
};

int run_remove(const GlobalOptions& global, const RemoveOptions& options, std::ostream& out,
               std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Remove);
  request["id"] = options.id;
  if (options.force) request["force"] = true;
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& result, std::ostream& text) {
        text << "removed " << result.value("id", "") << "\n";
        const auto& grants = field(result, "removed_grants");
        if (!grants.is_array()) return;
        for (const auto& grant : grants) {
          text << "removed call grant: " << grant.value("caller", "") << " -> "
               << grant.value("target", "") << ": " << grant_functions_text(grant) << "\n";
        }
      },
      out, err);
}

}  // namespace

CommandAction setup_remove(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<RemoveOptions>();
  CLI::App* command = app.add_subcommand(
      "remove", "Uninstall a module, its grants and configuration (refused while others call it)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_flag("--force", options->force,
                    "Remove it even while other modules hold call grants on it (or have it as "
                    "a group member), removing those grants too; each is listed");
  command->add_flag("--json", options->json,
                    "Print {id, removed_grants: [{caller, target, all, functions}]} as JSON");
  command->footer(
      "A module other modules depend on (a call grant on it, or a group's membership) is not\n"
      "removed: the error names each one and its grant. Revoke those grants first\n"
      "(orivon revoke CALLER ID), or use --force. Every call grant removed (the module's own\n"
      "and, with --force, those on it) is listed.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_remove(global, *options, out, err);
  };
}

}  // namespace orivon::cli
