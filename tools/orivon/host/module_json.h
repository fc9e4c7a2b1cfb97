#pragma once

// The JSON forms of registry data: what the control socket carries and what
// `--json` prints. One encoding for both, so a script sees the same fields
// whether a host answered or the CLI read the state itself.

#include <nlohmann/json.hpp>

#include "orivon/calls.h"
#include "orivon/module_info.h"

namespace orivon::cli {

nlohmann::json to_json(const ModuleInfo& info);
nlohmann::json to_json(const ModuleDetails& details);
// {"caller": ..., "target": ..., "all": bool, "functions": [...]}; "functions"
// is empty when "all" is true.
nlohmann::json to_json(const CallGrant& grant);

}  // namespace orivon::cli
