#pragma once

// The JSON forms of registry data: what the control socket carries and what
// `--json` prints. One encoding for both, so a script sees the same fields
// whether a host answered or the CLI read the state itself.

#include <nlohmann/json.hpp>

#include "host/json_writer.h"
#include "orivon/calls.h"
#include "orivon/events.h"
#include "orivon/module_info.h"

namespace orivon::cli {

nlohmann::json to_json(const ModuleInfo& info);
// The same text as to_json(info) (with "events" when `events` is given),
// written straight to `out`: what a listing of thousands of modules uses.
void write_json(JsonWriter& out, const ModuleInfo& info, const EventCounters* events);
nlohmann::json to_json(const ModuleDetails& details);
// {"caller": ..., "target": ..., "all": bool, "functions": [...]}; "functions"
// is empty when "all" is true.
nlohmann::json to_json(const CallGrant& grant);

}  // namespace orivon::cli
