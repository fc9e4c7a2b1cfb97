// `orivon update ID [FILE] [--manifest M]`: replaces an installed module's
// code, its manifest, or both; its grant decisions, call grants and
// configuration values stay. A running service restarts on them.

#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "commands/manifest_file.h"
#include "commands/module_text.h"

namespace orivon::cli {
namespace {

struct UpdateOptions {
  std::string id;
  std::string file;
  std::string manifest;
  bool json = false;
};

int run_update(const GlobalOptions& global, const UpdateOptions& options, std::ostream& out,
               std::ostream& err) {
  if (!are_valid_ids({options.id}, err)) return kExitUsage;
  if (options.file.empty() && options.manifest.empty()) {
    err << "error: give the new binary (FILE), a new manifest (--manifest M) or both\n";
    return kExitUsage;
  }
  nlohmann::json request = make_request(ManagementOperation::Update);
  request["id"] = options.id;
  if (!options.file.empty()) request["file"] = absolute_path(options.file);
  if (!options.manifest.empty()) {
    auto manifest = manifest_member(options.manifest);
    if (!manifest) {
      err << "error: " << noted(manifest.error()).message() << "\n";
      return kExitError;
    }
    request["manifest"] = std::move(*manifest);
  }
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& module, std::ostream& text) {
        text << "updated " << module_summary(module) << "\n";
        if (const auto& note = field(module, "note"); note.is_string()) {
          text << note.get<std::string>() << "\n";
        }
      },
      out, err);
}

}  // namespace

CommandAction setup_update(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<UpdateOptions>();
  CLI::App* command = app.add_subcommand(
      "update", "Replace an installed module's code, manifest or both (grants stay)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_option("FILE", options->file, "The new WebAssembly binary");
  command->add_option("--manifest", options->manifest, "The new manifest (TOML, or JSON if .json)")
      ->type_name("M");
  command->add_flag("--json", options->json, "Print the updated module as JSON");
  command->footer(
      "Grant decisions, call grants and configuration values set with 'orivon config set'\n"
      "stay. A new manifest replaces what the module requests (decide on new requests with\n"
      "'orivon allow ID --requested'), its service settings, triggers and configuration\n"
      "defaults; its id, if it names one, must be ID. A running service is restarted on the\n"
      "update, with the new settings; a stopped one gets them at its next start.\n"
      "\n"
      "Examples:\n"
      "  orivon update app.node.example node.wasm\n"
      "  orivon update app.node.example --manifest node.toml");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_update(global, *options, out, err);
  };
}

}  // namespace orivon::cli
