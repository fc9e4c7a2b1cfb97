// `orivon grants [CALLER]`: the call grants, all or those one module holds.

#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

struct GrantsOptions {
  std::string caller;
  bool json = false;
};

int run_grants(const GlobalOptions& global, const GrantsOptions& options, std::ostream& out,
               std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Grants);
  if (!options.caller.empty()) {
    if (!are_valid_ids({options.caller}, err)) return kExitUsage;
    request["caller"] = options.caller;
  }
  return perform_and_print(
      global, request, options.json,
      [&caller = options.caller](const nlohmann::json& grants, std::ostream& text) {
        if (!grants.is_array() || grants.empty()) {
          text << (caller.empty() ? "no call grants" : caller + " holds no call grants") << "\n";
          return;
        }
        for (const auto& grant : grants) {
          text << grant.value("caller", "") << " -> " << grant.value("target", "") << ": "
               << grant_functions_text(grant) << "\n";
        }
      },
      out, err);
}

}  // namespace

CommandAction setup_grants(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<GrantsOptions>();
  CLI::App* command = app.add_subcommand(
      "grants", "List call grants: orivon grants [CALLER] (caller -> target: functions)");
  command->add_option("CALLER", options->caller, "Only the grants this module holds");
  command->add_flag("--json", options->json,
                    "Print a JSON array of {caller, target, all, functions}");
  command->footer(
      "Examples:\n"
      "  orivon grants                  # every grant\n"
      "  orivon grants app.front.c      # what app.front.c may call");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_grants(global, *options, out, err);
  };
}

}  // namespace orivon::cli
