// `orivon call [--timeout D] ID 'f(args)'`: calls an export of any installed
// module. A service or a group needs a running host; a library does not.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "commands/management.h"
#include "orivon/units.h"

namespace orivon::cli {
namespace {

struct CallOptions {
  std::string id;
  std::string call;
  std::string timeout;
  bool fail_on_err = false;
  bool json = false;
};

void print_results(const nlohmann::json& result, std::ostream& text) {
  if (auto results = result.value("results", ""); !results.empty()) text << results << "\n";
  if (result.contains("exit_code")) {
    text << "(the service exited with status " << field(result, "exit_code").dump() << ")\n";
  }
}

int run_call(const GlobalOptions& global, const CallOptions& options, std::ostream& out,
             std::ostream& err) {
  nlohmann::json request = make_request(ManagementOperation::Call);
  request["id"] = options.id;
  request["call"] = options.call;
  if (!options.timeout.empty()) {
    auto timeout = parse_duration(options.timeout);
    if (!timeout) {
      err << "error: --timeout: " << timeout.error().message() << "\n";
      return kExitUsage;
    }
    request["timeout_ms"] = static_cast<std::uint64_t>(std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count()));
  }
  const auto exit_code = [&options](const nlohmann::json& result) {
    // A result<T, E> that is err(...) is printed as such (WAVE).
    const std::string results = result.value("results", "");
    const bool is_err = results == "err" || results.rfind("err(", 0) == 0;
    return options.fail_on_err && is_err ? kExitCallErr : 0;
  };
  return perform_and_print(global, request, options.json, print_results, out, err, exit_code);
}

}  // namespace

CommandAction setup_call(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<CallOptions>();
  CLI::App* command = app.add_subcommand(
      "call", "Call an export of an installed module; values in WAVE (as run --invoke)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_option("CALL", options->call, "The call, like 'greet(\"world\")'")->required();
  command->add_option("--timeout", options->timeout,
                      "Interrupt the call if it runs longer (a service then counts as crashed)")
      ->type_name("DURATION");
  command->add_flag("--fail-on-err", options->fail_on_err,
                    "Exit with status 3 when the call returns err(...) (it is printed as usual)");
  command->add_flag("--json", options->json,
                    "Print {\"results\": WAVE text, \"values\": [JSON values]} as JSON");
  command->footer(
      "A service must be running (in a host); a library is called in a fresh instance, with or\n"
      "without a host; a group's call goes to one of its running members.\n"
      "Exit status: 0 when the call returned (even err(...) unless --fail-on-err: then 3),\n"
      "134 when the guest trapped or ran past --timeout (as 'orivon run'), 1 for other\n"
      "failures, 2 for a bad command line.\n"
      "\n"
      "Examples:\n"
      "  orivon call app.probe.example 'add(40, 2)'\n"
      "  orivon call lib.typed.example 'greet(\"world\")'");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_call(global, *options, out, err);
  };
}

}  // namespace orivon::cli
