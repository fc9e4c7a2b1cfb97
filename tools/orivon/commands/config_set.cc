// `orivon config set ID KEY (VALUE | --file F)`: the client's value for one
// key of a module's configuration, in place of the manifest's.

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli.h"
#include "commands/config_command.h"
#include "orivon/config.h"

namespace orivon::cli {
namespace {

struct ConfigSetOptions {
  std::string id;
  std::string key;
  std::optional<std::string> value;
  std::string file;
  bool json = false;
};

// Larger files than this cannot hold a valid value (8,192 characters of at
// most 4 bytes each); refused before reading.
constexpr std::uintmax_t kMaxValueFileBytes = 64 * 1024;

// The value from the command line or from --file; a usage problem is said on
// `err` and gives nothing.
std::optional<std::string> read_value(const ConfigSetOptions& options, std::ostream& err) {
  if (options.value.has_value() == !options.file.empty()) {
    err << "error: give the value either as VALUE or with --file, not both or neither\n";
    return std::nullopt;
  }
  if (options.value) return options.value;
  std::error_code ec;
  const auto size = std::filesystem::file_size(options.file, ec);
  if (ec) {
    err << "error: cannot read '" << options.file << "': " << ec.message() << "\n";
    return std::nullopt;
  }
  if (size > kMaxValueFileBytes) {
    err << "error: '" << options.file << "' holds " << size
        << " bytes; a configuration value is at most 8192 characters\n";
    return std::nullopt;
  }
  std::ifstream in(options.file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    err << "error: cannot read '" << options.file << "'\n";
    return std::nullopt;
  }
  return text.str();
}

int run_config_set(const GlobalOptions& global, const ConfigSetOptions& options,
                   std::ostream& out, std::ostream& err) {
  if (!are_valid_ids({options.id}, err) || !is_valid_config_key(options.key, err)) {
    return kExitUsage;
  }
  auto value = read_value(options, err);
  if (!value) return kExitUsage;
  if (auto valid = check_config_value(*value); !valid) {
    err << "error: " << noted(valid.error()).message() << "\n";
    return kExitUsage;
  }
  nlohmann::json request = make_request(ManagementOperation::ConfigSet);
  request["id"] = options.id;
  request["key"] = options.key;
  request["value"] = *value;
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& result, std::ostream& text) {
        text << "set " << result.value("id", "") << " " << result.value("key", "") << " = "
             << quoted_value(field(result, "value"));
        if (const auto& before = field(result, "previous"); before.is_string()) {
          text << " (was " << quoted_value(before) << ")";
        }
        text << "\n";
      },
      out, err);
}

}  // namespace

CommandAction setup_config_set(CLI::App& config, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigSetOptions>();
  CLI::App* command = config.add_subcommand(
      "set", "Set one configuration value: orivon config set ID KEY (VALUE | --file FILE)");
  command->add_option("ID", options->id, "The module")->required();
  command->add_option("KEY", options->key, "The key: a-z, 0-9, '_' and '-', like max-peers")
      ->required();
  command->add_option("VALUE", options->value, "The value (text)");
  command->add_option("--file", options->file, "Read the value from this file")
      ->type_name("FILE");
  command->add_flag("--json", options->json, "Print {id, key, value, previous}");
  command->footer(
      "The module sees the value at its next call, without a restart. Keys are at most\n"
      "128 characters; values at most 8192 characters of UTF-8 text (newlines and tabs\n"
      "allowed); a module has at most 256 keys. A value starting with '-' follows '--':\n"
      "  orivon config set app.node.example offset -- -5");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_config_set(global, *options, out, err);
  };
}

}  // namespace orivon::cli
