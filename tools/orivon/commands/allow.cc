// `orivon allow ID GRANT...` and `orivon deny ID GRANT...`: the client's
// decisions on a module's system access (files, environment, arguments,
// stdio, network, HTTP, host functions). Each grant is parsed here first,
// so a malformed one is a usage error that shows the syntax before any
// state is touched.

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "orivon/grants.h"
#include "orivon/ids.h"

namespace orivon::cli {
namespace {

struct DecideCommand {
  std::string id;
  std::vector<std::string> grants;
  bool json = false;
};

constexpr const char* kExamples =
    "Examples:\n"
    "  orivon allow app.node.example fs:/srv/node=/data:rw env:HOME arg:--testnet\n"
    "  orivon allow app.node.example net:connect:*:8333 net:listen:0.0.0.0:8333\n"
    "  orivon allow app.node.example stdio:inherit http:https://api.example.com\n"
    "  orivon allow app.node.example host:example:log/sink@1.0.0\n"
    "  orivon deny app.node.example env:HOME\n";

CLI::App* add_decide_options(CLI::App& app, const std::string& name, const std::string& help,
                             DecideCommand& options) {
  CLI::App* command = app.add_subcommand(name, help);
  command->add_option("ID", options.id, "The module")->required();
  command->add_option("GRANT", options.grants, "Grants, in the syntax below")->required();
  command->add_flag("--json", options.json, "Print the result as JSON");
  return command;
}

// Usage errors: a bad id or a malformed grant, with the syntax.
std::optional<int> check(const DecideCommand& options, std::ostream& err) {
  if (auto id = ModuleId::parse(options.id); !id) {
    err << "error: " << id.error().message() << "\n";
    return kExitUsage;
  }
  bool bad = false;
  for (const auto& grant : options.grants) {
    if (auto parsed = parse_grant(grant); !parsed) {
      err << "error: " << parsed.error().message() << "\n";
      bad = true;
    }
  }
  if (bad) {
    err << "grants are written as:\n" << grant_syntax();
    return kExitUsage;
  }
  return std::nullopt;
}

CommandAction decide_action(const std::shared_ptr<DecideCommand>& options,
                            const GlobalOptions& global, const std::string& op) {
  return [options, &global, op](std::ostream& out, std::ostream& err) {
    if (auto code = check(*options, err)) return *code;
    const nlohmann::json request = {{"op", op}, {"id", options->id}, {"grants", options->grants}};
    return perform_and_print(
        global, request, options->json,
        [op](const nlohmann::json& result, std::ostream& text) {
          const std::string id = result.value("id", "");
          for (const auto& grant : result["grants"]) {
            text << (op == "allow" ? "allowed " : "denied ") << id << " "
                 << grant.value("grant", "") << " (" << grant.value("meaning", "") << ")\n";
          }
          if (auto note = result.find("note"); note != result.end()) {
            text << note->get<std::string>() << "\n";
          }
        },
        out, err);
  };
}

}  // namespace

CommandAction setup_allow(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DecideCommand>();
  CLI::App* command = add_decide_options(
      app, "allow", "Grant a module system access: orivon allow ID GRANT...", *options);
  command->footer(
      "Everything is denied unless allowed. A service gets its grants when it starts (restart\n"
      "a running one to apply them); host: grants apply to the next call. A directory that\n"
      "is, contains or lies inside orivon's state directory is refused.\n"
      "\n"
      "Grants:\n" +
      std::string(grant_syntax()) + "\n" + kExamples);
  return decide_action(options, global, "allow");
}

CommandAction setup_deny(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DecideCommand>();
  CLI::App* command = add_decide_options(
      app, "deny", "Refuse or take back system access: orivon deny ID GRANT...", *options);
  command->footer(
      "A denial is recorded too, so 'orivon inspect' shows a request as denied rather than\n"
      "undecided. A running service keeps what it started with until it restarts; host:\n"
      "grants are refused from the next call.\n"
      "\n"
      "Grants:\n" +
      std::string(grant_syntax()) + "\n" + kExamples);
  return decide_action(options, global, "deny");
}

}  // namespace orivon::cli
