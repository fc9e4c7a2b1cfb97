#include "commands/decision_command.h"

#include "cli.h"
#include "orivon/grants.h"

namespace orivon::cli {
namespace {

constexpr const char* kExamples =
    "Examples:\n"
    "  orivon allow app.node.example fs:/srv/node=/data:rw env:HOME arg:--testnet\n"
    "  orivon allow app.node.example net:connect:*:8333 net:listen:0.0.0.0:8333\n"
    "  orivon allow app.node.example stdio:inherit http:https://api.example.com\n"
    "  orivon allow app.node.example host:example:log/sink@1.0.0\n"
    "  orivon deny app.node.example env:HOME\n";

// Says what is wrong with every malformed grant, then the syntax once.
bool are_valid_grants(const std::vector<std::string>& grants, std::ostream& err) {
  bool valid = true;
  for (const auto& grant : grants) {
    if (auto parsed = parse_grant(grant); !parsed) {
      err << "error: " << noted(parsed.error()).message() << "\n";
      valid = false;
    }
  }
  if (!valid) err << "grants are written as:\n" << grant_syntax();
  return valid;
}

}  // namespace

CLI::App* add_decision_command(CLI::App& app, ManagementOperation operation,
                               const std::string& help, const std::string& about,
                               DecisionOptions& options) {
  CLI::App* command = app.add_subcommand(std::string(management_operation_name(operation)), help);
  command->add_option("ID", options.id, "The module")->required();
  CLI::Option* grants = command->add_option("GRANT", options.grants, "Grants, in the syntax below");
  if (operation == ManagementOperation::Allow) {
    command->add_flag("--requested", options.requested,
                      "Allow every grant the module's manifest requests (and any GRANT given)");
  } else {
    grants->required();
  }
  command->add_flag("--json", options.json, "Print the result as JSON");
  command->footer(about + "\n\nGrants:\n" + std::string(grant_syntax()) + "\n" + kExamples);
  return command;
}

int run_decision(const GlobalOptions& global, ManagementOperation operation,
                 const std::string& verb, const DecisionOptions& options, std::ostream& out,
                 std::ostream& err) {
  if (!are_valid_ids({options.id}, err) || !are_valid_grants(options.grants, err)) {
    return kExitUsage;
  }
  if (options.grants.empty() && !options.requested) {
    err << "error: name the grants, or allow what the manifest requests with --requested\n";
    return kExitUsage;
  }
  nlohmann::json request = make_request(operation);
  request["id"] = options.id;
  request["grants"] = options.grants;
  if (options.requested) request["requested"] = true;
  return perform_and_print(
      global, request, options.json,
      [&verb](const nlohmann::json& result, std::ostream& text) {
        const std::string id = result.value("id", "");
        for (const auto& grant : field(result, "grants")) {
          text << verb << " " << id << " " << grant.value("grant", "") << " ("
               << grant.value("meaning", "") << ")\n";
        }
        for (const auto& grant : field(result, "taken_back")) {
          text << "took back " << id << " " << grant.get<std::string>()
               << " (a variant of what was denied)\n";
        }
        if (auto note = result.find("note"); note != result.end()) {
          text << note->get<std::string>() << "\n";
        }
      },
      out, err);
}

}  // namespace orivon::cli
