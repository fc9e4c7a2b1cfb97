#pragma once

// The modules of a listing's reply as the text the host wrote for each, so a
// client that prints them again (`orivon list --json`) need not parse and
// write 100,000 of them a second time.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orivon::cli {

// The elements of `line` when it is a successful reply with an array result,
// `{"ok":true,"result":[{...},{...}]}` (as the host writes it, no spaces;
// a trailing newline is allowed), each element an object, in order. nullopt
// for anything else: an error reply, another layout, or text that does not
// nest or end where it should. The caller then parses the line whole.
//
// Each element's nesting and strings are followed, not validated as JSON:
// the text comes from the host this client talks to. Linear in the line.
std::optional<std::vector<std::string_view>> listing_items(std::string_view line);

// The members of the JSON object `object` whose keys are among `keys`, each
// value parsed; the others are skipped without being parsed. nullopt when
// `object` is not an object or a picked value is not valid JSON. What the
// table of `orivon list` reads: a tenth of the work of parsing every module
// whole.
std::optional<nlohmann::json> pick_members(std::string_view object,
                                           std::span<const std::string_view> keys);

}  // namespace orivon::cli
