// `orivon forget ID GRANT...`: takes back the client's decision (allowed or
// denied) on grants: each is undecided again.

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "orivon/grants.h"

namespace orivon::cli {
namespace {

struct ForgetOptions {
  std::string id;
  std::vector<std::string> grants;
  bool json = false;
};

int run_forget(const GlobalOptions& global, const ForgetOptions& options, std::ostream& out,
               std::ostream& err) {
  if (!are_valid_ids({options.id}, err)) return kExitUsage;
  for (const auto& grant : options.grants) {
    if (auto parsed = parse_grant(grant); !parsed) {
      err << "error: " << noted(parsed.error()).message() << "\ngrants are written as:\n"
          << grant_syntax();
      return kExitUsage;
    }
  }
  nlohmann::json request = make_request(ManagementOperation::Forget);
  request["id"] = options.id;
  request["grants"] = options.grants;
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& result, std::ostream& text) {
        const std::string id = result.value("id", "");
        for (const auto& grant : field(result, "forgotten")) {
          text << "forgot " << id << " " << grant.get<std::string>() << " (now undecided)\n";
        }
      },
      out, err);
}

}  // namespace

CommandAction setup_forget(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ForgetOptions>();
  CLI::App* command = app.add_subcommand(
      "forget", "Take back a decision on a grant (allowed or denied): orivon forget ID GRANT...");
  command->add_option("ID", options->id, "The module")->required();
  command->add_option("GRANT", options->grants, "Grants, as allowed or denied")->required();
  command->add_flag("--json", options->json, "Print the result as JSON");
  command->footer(
      "The grant becomes undecided, as if never decided: not given to the module (everything\n"
      "is denied unless allowed), shown as undecided by 'orivon inspect' if the manifest\n"
      "requests it. Any spelling of the grant finds it. A running service keeps what it\n"
      "started with until it restarts; host:, kv: and topic: grants change at once.\n"
      "\n"
      "Example:\n"
      "  orivon forget app.node.example env:HOME");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_forget(global, *options, out, err);
  };
}

}  // namespace orivon::cli
