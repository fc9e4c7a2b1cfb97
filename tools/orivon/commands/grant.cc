// `orivon grant CALLER TARGET [FUNCTION...]`, `orivon revoke CALLER TARGET
// [FUNCTION...]` and `orivon grants [CALLER]`: which module may call which
// functions of which other module.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "commands/module_text.h"
#include "orivon/ids.h"

namespace orivon::cli {
namespace {

struct GrantCommand {
  std::string caller;
  std::string target;
  std::vector<std::string> functions;
  bool json = false;
};

// Ids are checked here so a typo is a usage error (as with `add --id`),
// before any state is opened.
std::optional<int> check_ids(const std::vector<const std::string*>& ids, std::ostream& err) {
  for (const std::string* text : ids) {
    auto id = ModuleId::parse(*text);
    if (!id) {
      err << "error: " << id.error().message() << "\n";
      return kExitUsage;
    }
  }
  return std::nullopt;
}

bool is_group(const std::string& id) { return id.starts_with("group."); }

CLI::App* add_grant_options(CLI::App& app, const std::string& name, const std::string& help,
                            GrantCommand& options) {
  CLI::App* command = app.add_subcommand(name, help);
  command->add_option("CALLER", options.caller, "The module that calls")->required();
  command->add_option("TARGET", options.target, "The module (or group) it calls")->required();
  command->add_option("FUNCTION", options.functions,
                      "Functions of TARGET, as 'orivon inspect TARGET' lists its exports "
                      "(none: every function)");
  command->add_flag("--json", options.json, "Print the result as JSON");
  return command;
}

nlohmann::json grant_request(const std::string& op, const GrantCommand& options) {
  return {{"op", op},
          {"caller", options.caller},
          {"target", options.target},
          {"functions", options.functions}};
}

}  // namespace

CommandAction setup_grant(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<GrantCommand>();
  CLI::App* command = add_grant_options(
      app, "grant", "Let CALLER call functions of TARGET: orivon grant CALLER TARGET [FUNCTION...]",
      *options);
  command->footer(
      "Calls are denied unless granted. With no FUNCTION, CALLER may call every function of\n"
      "TARGET. A component's function inside an exported interface may be named without its\n"
      "interface ('record' for 'app:stats/api#record') when no other interface has it.\n"
      "Kind rules: a library may be granted only libraries; a group is granted its members\n"
      "(services exporting its interface), whole; a service may be granted anything.\n"
      "\n"
      "Examples:\n"
      "  orivon grant app.front.c app.stats.go record       # only 'record'\n"
      "  orivon grant app.front.c lib.math.orivon           # every function\n"
      "  orivon grant group.math.orivon app.adder.orivon    # app.adder.orivon joins the group");
  return [options, &global](std::ostream& out, std::ostream& err) {
    if (auto code = check_ids({&options->caller, &options->target}, err)) return *code;
    return perform_and_print(
        global, grant_request("grant", *options), options->json,
        [](const nlohmann::json& result, std::ostream& text) {
          const std::string caller = result.value("caller", "");
          const std::string target = result.value("target", "");
          text << "granted " << caller << " -> " << target << ": " << grant_functions_text(result);
          if (is_group(caller)) text << " (" << target << " is a member of " << caller << ")";
          text << "\n";
          const auto& held = result["held"];
          if (!result.value("all", false) && held.is_object() && held.value("all", false)) {
            text << caller << " already may call every function of " << target << "\n";
          }
        },
        out, err);
  };
}

CommandAction setup_revoke(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<GrantCommand>();
  CLI::App* command = add_grant_options(
      app, "revoke",
      "Take back calls from CALLER to TARGET: orivon revoke CALLER TARGET [FUNCTION...]",
      *options);
  command->footer(
      "With no FUNCTION, every grant from CALLER to TARGET goes. The next call is refused, even\n"
      "by a running module. Revoking what CALLER does not hold is an error.\n"
      "\n"
      "Examples:\n"
      "  orivon revoke app.front.c app.stats.go record      # only 'record'\n"
      "  orivon revoke app.front.c app.stats.go             # everything\n"
      "  orivon revoke group.math.orivon app.adder.orivon   # app.adder.orivon leaves the group");
  return [options, &global](std::ostream& out, std::ostream& err) {
    if (auto code = check_ids({&options->caller, &options->target}, err)) return *code;
    return perform_and_print(
        global, grant_request("revoke", *options), options->json,
        [](const nlohmann::json& result, std::ostream& text) {
          const std::string caller = result.value("caller", "");
          const std::string target = result.value("target", "");
          text << "revoked " << caller << " -> " << target << ": " << grant_functions_text(result)
               << "\n";
          if (const auto& remaining = result["remaining"]; remaining.is_object()) {
            text << caller << " still may call " << target << ": "
                 << grant_functions_text(remaining) << "\n";
          }
        },
        out, err);
  };
}

CommandAction setup_grants(CLI::App& app, const GlobalOptions& global) {
  struct GrantsCommand {
    std::string caller;
    bool json = false;
  };
  auto options = std::make_shared<GrantsCommand>();
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
    nlohmann::json request = {{"op", "grants"}};
    if (!options->caller.empty()) {
      if (auto code = check_ids({&options->caller}, err)) return *code;
      request["caller"] = options->caller;
    }
    return perform_and_print(
        global, request, options->json,
        [caller = options->caller](const nlohmann::json& grants, std::ostream& text) {
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
  };
}

}  // namespace orivon::cli
