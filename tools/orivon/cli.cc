#include "cli.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "host/requests.h"
#include "orivon/version.h"

namespace orivon::cli {
namespace {

// The code of the error the command reports (see noted()). One command runs
// per process, on its main thread.
std::optional<ErrorCode> g_noted_code;

// What --json prints when the command fails: the message of the first
// "error: " line the command wrote on stderr, with the lines that continue it.
nlohmann::json json_error(const std::string& err_text, int exit_code) {
  std::string message;
  const std::size_t at = err_text.rfind("error: ", 0) == 0 ? 0 : err_text.find("\nerror: ");
  if (at != std::string::npos) {
    const std::size_t start = at == 0 ? 7 : at + 8;
    std::size_t end = err_text.find("\n\n", start);
    message = err_text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!message.empty() && message.back() == '\n') message.pop_back();
  } else {
    message = err_text;
  }
  ErrorCode code = ErrorCode::Internal;
  if (g_noted_code) {
    code = *g_noted_code;
  } else if (exit_code == kExitUsage) {
    code = ErrorCode::InvalidArgument;
  } else if (exit_code == kExitTrapped) {
    code = ErrorCode::Trapped;
  }
  return {{"error", {{"code", std::string(error_code_name(code))}, {"message", message}}}};
}

bool wants_json(const std::vector<std::string>& words) {
  return std::find(words.begin() + 1, words.end(), "--json") != words.end();
}

bool takes_value(const std::string& word) {
  const auto& options = run_options_with_values();
  return std::find(options.begin(), options.end(), word) != options.end();
}

// Splits `orivon [..] run [OPTIONS] FILE [ARGS...]` after FILE: the rest is the
// guest's, even words that look like orivon options (as with `wasmtime run`).
std::vector<std::string> split_guest_args(std::vector<std::string>& words) {
  auto run = std::find(words.begin() + 1, words.end(), "run");
  if (run == words.end() || std::any_of(words.begin() + 1, run, [](const std::string& w) {
        return w.empty() || w[0] != '-';
      })) {
    return {};
  }
  for (auto it = run + 1; it != words.end(); ++it) {
    if (*it == "--") {
      // `--` ends orivon's options: FILE follows it.
      if (it + 1 == words.end()) return {};
      std::vector<std::string> guest(it + 2, words.end());
      words.erase(it + 2, words.end());
      return guest;
    }
    if (it->empty() || (*it)[0] != '-' || *it == "-") {
      std::vector<std::string> guest(it + 1, words.end());
      words.erase(it + 1, words.end());
      return guest;
    }
    if (takes_value(*it) && it + 1 != words.end()) ++it;
  }
  return {};
}

int run_command(std::vector<std::string> words, const std::vector<std::string>& guest_args,
                std::ostream& out, std::ostream& err);

int run_cli_unguarded(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> words(argv, argv + argc);
  if (words.empty()) words.emplace_back("orivon");
  const std::vector<std::string> guest_args = split_guest_args(words);
  g_noted_code.reset();
  if (!wants_json(words)) return run_command(std::move(words), guest_args, out, err);
  // Errors are said on stderr as always, and once more as JSON on stdout.
  std::ostringstream captured;
  const int code = run_command(std::move(words), guest_args, out, captured);
  err << captured.str();
  // Only a failure that said "error: " is one: `call --fail-on-err` exits 3
  // with its result printed, and that is the whole answer.
  const std::string said = captured.str();
  if (code != 0 && (said.rfind("error: ", 0) == 0 || said.find("\nerror: ") != std::string::npos)) {
    out << to_line(json_error(said, code));
  }
  return code;
}

int run_command(std::vector<std::string> words, const std::vector<std::string>& guest_args,
                std::ostream& out, std::ostream& err) {

  CLI::App app("orivon: host untrusted WebAssembly modules, each with only what it is granted.",
               "orivon");
  app.set_version_flag("--version",
                       "orivon " + std::string(version()) + " (wasmtime " +
                           std::string(wasmtime_version()) + ")");
  app.require_subcommand(1);
  app.fallthrough();  // --state may also follow the command name
  app.footer("Run 'orivon COMMAND --help' for a command's options.");

  GlobalOptions global;
  app.add_option("--state", global.state_dir,
                 "State directory (default: $ORIVON_STATE, $XDG_STATE_HOME/orivon, "
                 "~/.local/state/orivon)")
      ->type_name("DIR");
  app.add_flag("-q,--quiet", global.quiet,
               "No notes on stderr about who answered (the running host or the state directory)");

  const std::vector<std::pair<std::string, CommandAction>> actions = {
      {"run", setup_run(app, guest_args)},   {"up", setup_up(app, global)},
      {"add", setup_add(app, global)},       {"remove", setup_remove(app, global)},
      {"update", setup_update(app, global)}, {"list", setup_list(app, global)},
      {"inspect", setup_inspect(app, global)}, {"start", setup_start(app, global)},
      {"stop", setup_stop(app, global)},       {"restart", setup_restart(app, global)},
      {"call", setup_call(app, global)},       {"logs", setup_logs(app, global)},
      {"grant", setup_grant(app, global)},     {"revoke", setup_revoke(app, global)},
      {"grants", setup_grants(app, global)},   {"allow", setup_allow(app, global)},
      {"deny", setup_deny(app, global)},       {"forget", setup_forget(app, global)},
      {"kv", setup_kv(app, global)},
      {"publish", setup_publish(app, global)}, {"subscribe", setup_subscribe(app, global)},
      {"unsubscribe", setup_unsubscribe(app, global)}, {"events", setup_events(app, global)},
      {"config", setup_config(app, global)},   {"triggers", setup_triggers(app, global)},
      {"top", setup_top(app, global)},         {"dashboard-url", setup_dashboard_url(app, global)},
      {"new", setup_new(app, global)},         {"build", setup_build(app, global)},
      {"env", setup_env(app, global)},         {"apply", setup_apply(app, global)},
      {"route", setup_route(app, global)},     {"routes", setup_routes(app, global)},
  };

  std::vector<const char*> raw;
  raw.reserve(words.size());
  for (const auto& word : words) raw.push_back(word.c_str());
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    out << app.version() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    // Usage errors: say what was wrong, show the usage of the command at fault.
    err << "error: " << e.what() << "\n\n";
    err << app.help();  // the help of the subcommand at fault, if one was named
    return kExitUsage;
  }
  // Help of a subcommand (`orivon run --help`) is handled by CLI11 above.
  for (const auto& [name, action] : actions) {
    if (app.got_subcommand(name)) return action(out, err);
  }
  err << app.help();
  return kExitUsage;
}

}  // namespace

const Error& noted(const Error& error) noexcept {
  g_noted_code = error.code();
  return error;
}

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) noexcept {
  try {
    return run_cli_unguarded(argc, argv, out, err);
  } catch (const std::exception& e) {
    err << "error: internal: " << e.what() << "\n";
  } catch (...) {
    err << "error: internal: unknown exception\n";
  }
  return kExitError;
}

}  // namespace orivon::cli
