#pragma once

// One file per subcommand (commands/NAME.cc) with an options struct, a
// run_NAME() and setup_NAME() (declared here), which adds the subcommand to
// the CLI11 app and returns the function that runs it once the command line
// is parsed. A family of subcommands shares its options and run function in a
// *_command.h: lifecycle_command.h (start, stop, restart), call_grant_command.h
// (grant, revoke), decision_command.h (allow, deny), subscription_command.h
// (subscribe, unsubscribe), config_command.h (config, config set, config
// unset). All share management.h.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/management.h"

namespace orivon::cli {

using CommandAction = std::function<int(std::ostream& out, std::ostream& err)>;

// A count option's check: a whole number of at least 1. (CLI::PositiveNumber
// would accept 0, and its range message prints the largest double in full.)
inline const CLI::Validator kAtLeastOne(
    [](std::string& text) -> std::string {
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      if (digits && text.find_first_not_of('0') != std::string::npos) return {};
      return "N must be a whole number of at least 1, not '" + text + "'";
    },
    "N>=1");

// `orivon run`. `guest_args` are the words after FILE, which belong to the
// guest and are never parsed as orivon options.
CommandAction setup_run(CLI::App& app, const std::vector<std::string>& guest_args);

// The options of `orivon run` that take a value; needed to find FILE before
// CLI11 sees the command line.
const std::vector<std::string>& run_options_with_values();

CommandAction setup_up(CLI::App& app, const GlobalOptions& global);
CommandAction setup_add(CLI::App& app, const GlobalOptions& global);
CommandAction setup_remove(CLI::App& app, const GlobalOptions& global);
CommandAction setup_update(CLI::App& app, const GlobalOptions& global);
CommandAction setup_list(CLI::App& app, const GlobalOptions& global);
CommandAction setup_inspect(CLI::App& app, const GlobalOptions& global);
CommandAction setup_start(CLI::App& app, const GlobalOptions& global);
CommandAction setup_stop(CLI::App& app, const GlobalOptions& global);
CommandAction setup_restart(CLI::App& app, const GlobalOptions& global);
CommandAction setup_call(CLI::App& app, const GlobalOptions& global);
CommandAction setup_logs(CLI::App& app, const GlobalOptions& global);
CommandAction setup_grant(CLI::App& app, const GlobalOptions& global);
CommandAction setup_revoke(CLI::App& app, const GlobalOptions& global);
CommandAction setup_grants(CLI::App& app, const GlobalOptions& global);
CommandAction setup_allow(CLI::App& app, const GlobalOptions& global);
CommandAction setup_deny(CLI::App& app, const GlobalOptions& global);
CommandAction setup_forget(CLI::App& app, const GlobalOptions& global);
CommandAction setup_kv(CLI::App& app, const GlobalOptions& global);
CommandAction setup_publish(CLI::App& app, const GlobalOptions& global);
CommandAction setup_subscribe(CLI::App& app, const GlobalOptions& global);
CommandAction setup_unsubscribe(CLI::App& app, const GlobalOptions& global);
CommandAction setup_events(CLI::App& app, const GlobalOptions& global);
CommandAction setup_triggers(CLI::App& app, const GlobalOptions& global);
// `route add|remove` and `routes` (commands/route.cc).
CommandAction setup_route(CLI::App& app, const GlobalOptions& global);
CommandAction setup_routes(CLI::App& app, const GlobalOptions& global);
// `top`: the running host in the terminal (over the control socket).
CommandAction setup_top(CLI::App& app, const GlobalOptions& global);
// `dashboard-url`: the running host's dashboard URL with its token.
CommandAction setup_dashboard_url(CLI::App& app, const GlobalOptions& global);
// `new`, `build` and `env`: a module's directory outside this repository,
// built with the guest toolchain orivon was set up with (scaffold/).
CommandAction setup_new(CLI::App& app, const GlobalOptions& global);
CommandAction setup_build(CLI::App& app, const GlobalOptions& global);
CommandAction setup_env(CLI::App& app, const GlobalOptions& global);
// `apply`: a whole application from one file, idempotently.
CommandAction setup_apply(CLI::App& app, const GlobalOptions& global);
// `config` with its subcommands `set` and `unset` (config_command.h).
CommandAction setup_config(CLI::App& app, const GlobalOptions& global);

}  // namespace orivon::cli
