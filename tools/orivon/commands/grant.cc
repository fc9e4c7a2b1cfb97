// `orivon grant CALLER TARGET [FUNCTION...]`: lets one module call functions
// of another (or makes TARGET a member of the group CALLER).

#include <memory>
#include <string>

#include "commands/call_grant_command.h"
#include "commands/commands.h"
#include "commands/management.h"
#include "commands/module_text.h"
#include "orivon/ids.h"

namespace orivon::cli {
namespace {

void print_granted(const nlohmann::json& result, std::ostream& text) {
  const std::string caller = result.value("caller", "");
  const std::string target = result.value("target", "");
  text << "granted " << caller << " -> " << target << ": " << grant_functions_text(result);
  if (auto id = ModuleId::parse(caller); id && id->kind() == ModuleKind::Group) {
    text << " (" << target << " is a member of " << caller << ")";
  }
  text << "\n";
  const auto& held = field(result, "held");
  if (!result.value("all", false) && held.is_object() && held.value("all", false)) {
    text << caller << " already may call every function of " << target << "\n";
  }
}

}  // namespace

CommandAction setup_grant(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<CallGrantOptions>();
  CLI::App* command = add_call_grant_command(
      app, ManagementOperation::Grant,
      "Let CALLER call functions of TARGET: orivon grant CALLER TARGET [FUNCTION...]", *options);
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
    return run_call_grant(global, ManagementOperation::Grant, *options, print_granted, out, err);
  };
}

}  // namespace orivon::cli
