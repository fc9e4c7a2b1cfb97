#pragma once

// What `orivon config ID`, `orivon config set` and `orivon config unset`
// share: `config` is one subcommand whose own ID argument shows a module's
// configuration, and whose subcommands `set` and `unset` change it
// (config.cc, config_set.cc, config_unset.cc).

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands/commands.h"

namespace orivon::cli {

// Adds `set` / `unset` under the `config` subcommand.
CommandAction setup_config_set(CLI::App& config, const GlobalOptions& global);
CommandAction setup_config_unset(CLI::App& config, const GlobalOptions& global);

// A value as printed in text output: a JSON string, so a newline, a tab or
// trailing spaces show, and a value is always one line.
std::string quoted_value(const nlohmann::json& value);

// Whether `key` is a valid configuration key; says what is wrong on `err`.
// Checked before any state is opened, so a typo is a usage error.
bool is_valid_config_key(const std::string& key, std::ostream& err);

}  // namespace orivon::cli
