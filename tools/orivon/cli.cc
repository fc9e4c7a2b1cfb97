#include "cli.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/commands.h"
#include "orivon/version.h"

namespace orivon::cli {
namespace {

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

int run_cli_unguarded(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> words(argv, argv + argc);
  if (words.empty()) words.emplace_back("orivon");
  const std::vector<std::string> guest_args = split_guest_args(words);

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

  const std::vector<std::pair<std::string, CommandAction>> actions = {
      {"run", setup_run(app, guest_args)},   {"up", setup_up(app, global)},
      {"add", setup_add(app, global)},       {"remove", setup_remove(app, global)},
      {"update", setup_update(app, global)}, {"list", setup_list(app, global)},
      {"inspect", setup_inspect(app, global)}, {"start", setup_start(app, global)},
      {"stop", setup_stop(app, global)},       {"restart", setup_restart(app, global)},
      {"call", setup_call(app, global)},       {"logs", setup_logs(app, global)},
      {"grant", setup_grant(app, global)},     {"revoke", setup_revoke(app, global)},
      {"grants", setup_grants(app, global)},   {"allow", setup_allow(app, global)},
      {"deny", setup_deny(app, global)},       {"kv", setup_kv(app, global)},
      {"publish", setup_publish(app, global)}, {"subscribe", setup_subscribe(app, global)},
      {"unsubscribe", setup_unsubscribe(app, global)}, {"events", setup_events(app, global)},
      {"config", setup_config(app, global)},   {"triggers", setup_triggers(app, global)},
      {"top", setup_top(app, global)},         {"dashboard-url", setup_dashboard_url(app, global)},
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
