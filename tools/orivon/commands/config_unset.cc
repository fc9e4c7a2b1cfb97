// `orivon config unset ID KEY`: takes back the client's value for one key;
// the manifest's value, if it has one, applies again.

#include <memory>
#include <string>

#include "cli.h"
#include "commands/config_command.h"

namespace orivon::cli {
namespace {

struct ConfigUnsetOptions {
  std::string id;
  std::string key;
  bool json = false;
};

int run_config_unset(const GlobalOptions& global, const ConfigUnsetOptions& options,
                     std::ostream& out, std::ostream& err) {
  if (!are_valid_ids({options.id}, err) || !is_valid_config_key(options.key, err)) {
    return kExitUsage;
  }
  nlohmann::json request = make_request(ManagementOperation::ConfigUnset);
  request["id"] = options.id;
  request["key"] = options.key;
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& result, std::ostream& text) {
        text << "unset " << result.value("id", "") << " " << result.value("key", "");
        if (const auto& value = field(result, "value"); value.is_string()) {
          text << " (the manifest's value " << quoted_value(value) << " applies again)";
        } else {
          text << " (the module no longer sees it)";
        }
        text << "\n";
      },
      out, err);
}

}  // namespace

CommandAction setup_config_unset(CLI::App& config, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigUnsetOptions>();
  CLI::App* command = config.add_subcommand(
      "unset", "Take back the client's value of one key: orivon config unset ID KEY");
  command->add_option("ID", options->id, "The module")->required();
  command->add_option("KEY", options->key, "The key")->required();
  command->add_flag("--json", options->json, "Print {id, key, value (now seen, or null), source}");
  command->footer(
      "The module sees the change at its next call. A key the manifest sets gets the\n"
      "manifest's value back; it cannot be removed (set another value instead).");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_config_unset(global, *options, out, err);
  };
}

}  // namespace orivon::cli
