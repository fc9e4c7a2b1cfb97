// `orivon triggers [ID] [--json]`: each trigger's kind, schedule, next run,
// last result and counts.

#include <ctime>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cli.h"
#include "commands/commands.h"

namespace orivon::cli {
namespace {

struct TriggersOptions {
  std::string id;
  bool json = false;
};

// A Unix time in milliseconds as UTC text, or "-".
std::string utc_time(const nlohmann::json& value) {
  if (!value.is_number_integer()) return "-";
  const std::time_t seconds = static_cast<std::time_t>(value.get<std::int64_t>() / 1000);
  std::tm parts{};
  if (gmtime_r(&seconds, &parts) == nullptr) return "-";
  std::ostringstream text;
  text << std::put_time(&parts, "%Y-%m-%d %H:%M:%SZ");
  return text.str();
}

std::string schedule(const nlohmann::json& t) {
  if (t.contains("every")) return "every " + t.value("every", "");
  if (t.contains("cron")) return "cron " + t.value("cron", "");
  if (t.contains("topic")) return "topic " + t.value("topic", "");
  if (t.contains("route")) return "route " + t.value("route", "");
  return "-";
}

std::string count(const nlohmann::json& value) { return value.is_number() ? value.dump() : "-"; }

void print_triggers(const nlohmann::json& result, std::ostream& out) {
  if (!result.is_array() || result.empty()) {
    out << "no triggers\n";
    return;
  }
  out << std::left << std::setw(28) << "MODULE" << std::setw(9) << "KIND" << std::setw(22)
      << "SCHEDULE" << std::setw(16) << "CALL" << std::setw(22) << "NEXT RUN" << std::right
      << std::setw(7) << "RUNS" << std::setw(7) << "FAILED" << std::setw(8) << "SKIPPED"
      << "  LAST RESULT\n";
  for (const auto& t : result) {
    std::string kind = t.value("kind", "");
    if (t.value("function", false)) kind += "*";
    out << std::left << std::setw(28) << t.value("id", "") << std::setw(9) << kind
        << std::setw(22) << schedule(t) << std::setw(16) << t.value("call", "") << std::setw(22)
        << utc_time(field(t, "next_run_ms")) << std::right << std::setw(7)
        << count(field(t, "runs")) << std::setw(7) << count(field(t, "failures")) << std::setw(8)
        << count(field(t, "skipped")) << "  " << t.value("last_result", "") << "\n";
  }
  out << "(* a function: each run gets a fresh instance)\n";
}

}  // namespace

CommandAction setup_triggers(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<TriggersOptions>();
  CLI::App* command = app.add_subcommand(
      "triggers", "Timers, start-up and event triggers: next run, last result, counts");
  command->add_option("id", options->id, "Only this module's triggers")->type_name("ID");
  command->add_flag("--json", options->json,
                    "Print a JSON array of {id, kind, call, every|cron|topic|route, catch_up, "
                    "function, next_run_ms, last_run_ms, last_result, runs, failures, skipped}");
  command->footer(
      "Times are UTC. A running host shows its live figures; without one, what the last host\n"
      "recorded. Runs are also noted in 'orivon logs ID' when they fail.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    nlohmann::json request = make_request(ManagementOperation::Triggers);
    if (!options->id.empty()) {
      auto id = ModuleId::parse(options->id);
      if (!id) {
        err << "error: " << noted(id.error()).message() << "\n";
        return kExitUsage;
      }
      request["id"] = id->str();
    }
    return perform_and_print(global, request, options->json, print_triggers, out, err);
  };
}

}  // namespace orivon::cli
