// `orivon start|stop|restart ID`, `orivon call [--timeout D] ID 'f(args)'`
// (any installed module) and `orivon logs ID [--follow]`: the service commands.

#include <chrono>
#include <memory>
#include <thread>

#include "cli.h"
#include "commands/commands.h"
#include "commands/module_text.h"
#include "host/requests.h"
#include "host/session.h"
#include "orivon/runtime.h"
#include "orivon/units.h"

namespace orivon::cli {
namespace {

struct IdCommand {
  std::string id;
  bool json = false;
};

CommandAction setup_lifecycle(CLI::App& app, const GlobalOptions& global, const std::string& op,
                              const std::string& help) {
  auto options = std::make_shared<IdCommand>();
  CLI::App* command = app.add_subcommand(op, help);
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_flag("--json", options->json, "Print the module as JSON");
  return [options, &global, op](std::ostream& out, std::ostream& err) {
    return perform_and_print(
        global, {{"op", op}, {"id", options->id}}, options->json,
        [op](const nlohmann::json& module, std::ostream& text) {
          text << module.value("id", "") << ": " << module.value("state", "");
          if (auto cause = module.value("state_cause", ""); !cause.empty()) text << " (" << cause << ")";
          text << "\n";
          if (module.contains("note")) text << module["note"].get<std::string>() << "\n";
        },
        out, err);
  };
}

}  // namespace

CommandAction setup_start(CLI::App& app, const GlobalOptions& global) {
  return setup_lifecycle(app, global, "start",
                         "Start a service module (and start it with every host from now on)");
}

CommandAction setup_stop(CLI::App& app, const GlobalOptions& global) {
  return setup_lifecycle(app, global, "stop",
                         "Stop a service gracefully: its stop export, then an interrupt after "
                         "the grace period");
}

CommandAction setup_restart(CLI::App& app, const GlobalOptions& global) {
  return setup_lifecycle(app, global, "restart", "Stop, then start a service");
}

CommandAction setup_call(CLI::App& app, const GlobalOptions& global) {
  struct CallCommand {
    std::string id;
    std::string call;
    std::string timeout;
    bool json = false;
  };
  auto options = std::make_shared<CallCommand>();
  CLI::App* command = app.add_subcommand(
      "call", "Call an export of an installed module; values in WAVE (as run --invoke)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_option("CALL", options->call, "The call, like 'greet(\"world\")'")->required();
  command->add_option("--timeout", options->timeout,
                      "Interrupt the call if it runs longer (a service then counts as crashed)")
      ->type_name("DURATION");
  command->add_flag("--json", options->json, "Print {\"results\": ...} as JSON");
  command->footer(
      "A service must be running (in a host); a library is called in a fresh instance, with or\n"
      "without a host; a group's call goes to one of its running members.\n"
      "\n"
      "Examples:\n"
      "  orivon call app.probe.example 'add(40, 2)'\n"
      "  orivon call lib.typed.example 'greet(\"world\")'");
  return [options, &global](std::ostream& out, std::ostream& err) {
    nlohmann::json request = {{"op", "call"}, {"id", options->id}, {"call", options->call}};
    if (!options->timeout.empty()) {
      auto timeout = parse_duration(options->timeout);
      if (!timeout) {
        err << "error: --timeout: " << timeout.error().message() << "\n";
        return kExitUsage;
      }
      request["timeout_ms"] = static_cast<std::uint64_t>(
          std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count()));
    }
    return perform_and_print(
        global, request, options->json,
        [](const nlohmann::json& result, std::ostream& text) {
          if (auto results = result.value("results", ""); !results.empty()) text << results << "\n";
          if (result.contains("exit_code")) {
            text << "(the service exited with status " << result["exit_code"].dump() << ")\n";
          }
        },
        out, err);
  };
}

CommandAction setup_logs(CLI::App& app, const GlobalOptions& global) {
  struct LogsCommand {
    std::string id;
    bool follow = false;
    bool json = false;
  };
  auto options = std::make_shared<LogsCommand>();
  CLI::App* command = app.add_subcommand(
      "logs", "Show a service's recent output and the runtime's notes about it");
  command->add_option("ID", options->id, "The service's id")->required();
  command->add_flag("-f,--follow", options->follow, "Keep printing new lines until interrupted");
  command->add_flag("--json", options->json, "One JSON object per line");
  return [options, &global](std::ostream& out, std::ostream& err) {
    auto state_dir = resolve_state_dir(global.state_dir);
    if (!state_dir) {
      err << "error: " << state_dir.error().to_string() << "\n";
      return kExitError;
    }
    std::uint64_t after = 0;
    while (true) {
      nlohmann::json request = {{"op", "logs"}, {"id", options->id}, {"after", after}};
      auto session = perform(*state_dir, request, err);
      if (!session) {
        err << "error: " << session.error().to_string() << "\n";
        return kExitError;
      }
      if (!session->reply.value("ok", false)) {
        err << "error: " << error_from_reply(session->reply).message() << "\n";
        return kExitError;
      }
      for (const auto& entry : session->reply["result"]) {
        after = std::max<std::uint64_t>(after, entry.value("sequence", std::uint64_t{0}));
        if (options->json) {
          out << to_line(entry);
        } else {
          out << "[" << entry.value("stream", "") << "] " << entry.value("text", "") << "\n";
        }
      }
      out.flush();
      if (!options->follow) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
}

}  // namespace orivon::cli
