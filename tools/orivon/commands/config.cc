// `orivon config ID`: the configuration a module sees, and where each value
// comes from (its manifest, or the client). `orivon config set` and `unset`
// change it (config_set.cc, config_unset.cc).

#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "commands/config_command.h"
#include "orivon/config.h"

namespace orivon::cli {
namespace {

struct ConfigOptions {
  std::string id;
  bool json = false;
};

void print_config(const nlohmann::json& result, std::ostream& text) {
  const auto& entries = field(result, "entries");
  if (!entries.is_array() || entries.empty()) {
    text << result.value("id", "") << " has no configuration\n";
    return;
  }
  for (const auto& entry : entries) {
    text << entry.value("key", "") << " = " << quoted_value(field(entry, "value")) << "  ("
         << entry.value("source", "");
    if (const auto& manifest = field(entry, "manifest_value"); manifest.is_string()) {
      text << "; manifest: " << quoted_value(manifest);
    }
    text << ")\n";
  }
}

int run_config(const GlobalOptions& global, const ConfigOptions& options, std::ostream& out,
               std::ostream& err) {
  if (!are_valid_ids({options.id}, err)) return kExitUsage;
  nlohmann::json request = make_request(ManagementOperation::Config);
  request["id"] = options.id;
  return perform_and_print(global, request, options.json, print_config, out, err);
}

}  // namespace

std::string quoted_value(const nlohmann::json& value) {
  if (!value.is_string()) return "(none)";
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_valid_config_key(const std::string& key, std::ostream& err) {
  if (auto valid = check_config_key(key); !valid) {
    err << "error: " << noted(valid.error()).message() << "\n";
    return false;
  }
  return true;
}

CommandAction setup_config(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* command = app.add_subcommand(
      "config", "Show or change a module's configuration: orivon config ID | set | unset");
  command->add_option("ID", options->id, "The module whose configuration to show");
  command->add_flag("--json", options->json,
                    "Print {id, values: {KEY: VALUE}, entries: [{key, value, source, "
                    "manifest_value?}]}");
  command->require_subcommand(0, 1);
  const CommandAction set = setup_config_set(*command, global);
  const CommandAction unset = setup_config_unset(*command, global);
  command->footer(
      "A module reads its configuration through wasi:config/store (get, get-all): the\n"
      "[config] table of its manifest, with the values set here in place of the manifest's.\n"
      "A module sees only its own configuration. A change is seen by the module's next\n"
      "call, without a restart; it is kept in the state directory.\n\n"
      "Examples:\n"
      "  orivon config app.node.example                       # what the module sees\n"
      "  orivon config set app.node.example network regtest\n"
      "  orivon config set app.node.example tls-cert --file cert.pem\n"
      "  orivon config unset app.node.example network         # the manifest's value again");
  return [command, options, set, unset, &global](std::ostream& out, std::ostream& err) {
    if (command->got_subcommand("set")) return set(out, err);
    if (command->got_subcommand("unset")) return unset(out, err);
    if (options->id.empty()) {
      err << "error: orivon config needs a module ID, or set / unset\n\n" << command->help();
      return kExitUsage;
    }
    return run_config(global, *options, out, err);
  };
}

}  // namespace orivon::cli
