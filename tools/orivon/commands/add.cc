// `orivon add FILE [--id ID] [--manifest FILE]`: installs a module.

#include <memory>

#include "cli.h"
#include "commands/commands.h"
#include "commands/module_text.h"
#include "orivon/manifest.h"
#include "orivon/runtime.h"

namespace orivon::cli {
namespace {

struct AddCommand {
  std::string file;
  std::string id;
  std::string manifest;
  bool json = false;
};

// Manifests are small; a larger file is refused before it is read whole.
constexpr std::uintmax_t kMaxManifestBytes = 64 * 1024;

}  // namespace

CommandAction setup_add(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<AddCommand>();
  CLI::App* command = app.add_subcommand("add", "Install a module (core module or component)");
  command->add_option("FILE", options->file, "The module's WebAssembly binary")->required();
  command->add_option("--id", options->id, "Install under this id (else the manifest's)")
      ->type_name("ID");
  command->add_option("--manifest", options->manifest, "The module's manifest (TOML or .json)")
      ->type_name("FILE");
  command->add_flag("--json", options->json, "Print the installed module as JSON");
  command->footer("Ids are reverse-DNS: 'bitcoin.node.metamask'; 'lib.*' is a library, "
                  "'group.*' a group.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    nlohmann::json request = {{"op", "add"}, {"file", absolute_path(options->file)}};
    if (!options->id.empty()) {
      auto id = ModuleId::parse(options->id);
      if (!id) {
        err << "error: " << id.error().message() << "\n";
        return kExitUsage;
      }
      request["id"] = options->id;
    }
    if (!options->manifest.empty()) {
      std::error_code ec;
      auto size = std::filesystem::file_size(options->manifest, ec);
      if (ec) {
        err << "error: manifest '" << options->manifest << "': " << ec.message() << "\n";
        return kExitError;
      }
      if (size > kMaxManifestBytes) {
        err << "error: manifest '" << options->manifest << "' is larger than 64 KiB\n";
        return kExitError;
      }
      std::ifstream file(options->manifest, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      const bool is_json = manifest_format_for(options->manifest) == ManifestFormat::Json;
      request["manifest"] = {{"text", text}, {"format", is_json ? "json" : "toml"}};
    }
    return perform_and_print(
        global, request, options->json,
        [](const nlohmann::json& module, std::ostream& text) {
          text << "added " << module_summary(module) << "\n";
        },
        out, err);
  };
}

}  // namespace orivon::cli
