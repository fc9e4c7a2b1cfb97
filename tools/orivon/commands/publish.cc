// `orivon publish TOPIC [DATA | --file F]`: publishes an event as the client,
// through the running host (which delivers it).

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/commands.h"

namespace orivon::cli {
namespace {

struct PublishOptions {
  std::string topic;
  std::string data;
  std::string file;
  std::string content_type;
  std::vector<std::string> metadata;  // KEY=VALUE
  bool json = false;
};

int run_publish(const GlobalOptions& global, const PublishOptions& options, std::ostream& out,
                std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Publish);
  request["topic"] = options.topic;
  if (!options.file.empty()) {
    if (!options.data.empty()) {
      err << "error: give DATA or --file, not both\n";
      return kExitUsage;
    }
    request["file"] = absolute_path(options.file);
  } else {
    request["data"] = options.data;
  }
  if (!options.content_type.empty()) request["content_type"] = options.content_type;
  nlohmann::json metadata = nlohmann::json::array();
  for (const auto& item : options.metadata) {
    auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      err << "error: --meta '" << item << "': expected KEY=VALUE\n";
      return kExitUsage;
    }
    metadata.push_back({item.substr(0, equals), item.substr(equals + 1)});
  }
  if (!metadata.empty()) request["metadata"] = std::move(metadata);
  return perform_and_print(
      global, request, options.json,
      [](const nlohmann::json& result, std::ostream& text) {
        text << "published " << field(result, "bytes").dump() << " bytes on "
             << result.value("topic", "") << " (event " << field(result, "sequence").dump()
             << ")\n";
      },
      out, err);
}

}  // namespace

CommandAction setup_publish(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<PublishOptions>();
  CLI::App* command = app.add_subcommand(
      "publish", "Publish an event as the client (needs a running host, which delivers it)");
  command->add_option("TOPIC", options->topic,
                      "Dot-separated tokens of letters, digits, '_' and '-' (no wildcards)")
      ->required();
  command->add_option("DATA", options->data, "The payload, as text (default: empty)");
  command->add_option("--file", options->file, "Read the payload from a file (at most 1 MiB)")
      ->type_name("FILE");
  command->add_option("--content-type", options->content_type, "e.g. application/json")
      ->type_name("TYPE");
  command->add_option("--meta", options->metadata, "Metadata, repeatable")->type_name("KEY=VALUE");
  command->add_flag("--json", options->json, "Print {topic, sequence, bytes} as JSON");
  command->footer(
      "Durable subscribers' copies are stored before this returns; delivery is asynchronous.\n"
      "Exit status 1 (with the reason) for a bad topic, a payload over 1 MiB, a full durable\n"
      "queue, or no running host.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_publish(global, *options, out, err);
  };
}

}  // namespace orivon::cli
