// `orivon logs ID [--follow]`: a service's recent output and the runtime's
// notes about it; needs a running host.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "cli.h"
#include "commands/commands.h"
#include "commands/management.h"
#include "host/requests.h"
#include "host/session.h"
#include "orivon/runtime.h"

namespace orivon::cli {
namespace {

struct LogsOptions {
  std::string id;
  bool follow = false;
  bool json = false;
};

// How often --follow asks for new lines.
constexpr auto kFollowInterval = std::chrono::milliseconds(200);

int run_logs(const GlobalOptions& global, const LogsOptions& options, std::ostream& out,
             std::ostream& err) {
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << state_dir.error().to_string() << "\n";
    return kExitError;
  }
  std::uint64_t after = 0;
  while (true) {
    nlohmann::json request = make_request(ManagementOperation::Logs);
    request["id"] = options.id;
    request["after"] = after;
    auto session = perform(*state_dir, request, err);
    if (!session) {
      err << "error: " << session.error().to_string() << "\n";
      return kExitError;
    }
    if (!session->reply.value("ok", false)) {
      err << "error: " << error_from_reply(session->reply).message() << "\n";
      return kExitError;
    }
    for (const auto& entry : field(session->reply, "result")) {
      after = std::max<std::uint64_t>(after, entry.value("sequence", std::uint64_t{0}));
      if (options.json) {
        out << to_line(entry);
      } else {
        out << "[" << entry.value("stream", "") << "] " << entry.value("text", "") << "\n";
      }
    }
    out.flush();
    if (!options.follow) return 0;
    std::this_thread::sleep_for(kFollowInterval);
  }
}

}  // namespace

CommandAction setup_logs(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LogsOptions>();
  CLI::App* command = app.add_subcommand(
      "logs", "Show a service's recent output and the runtime's notes about it");
  command->add_option("ID", options->id, "The service's id")->required();
  command->add_flag("-f,--follow", options->follow, "Keep printing new lines until interrupted");
  command->add_flag("--json", options->json, "One JSON object per line");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_logs(global, *options, out, err);
  };
}

}  // namespace orivon::cli
