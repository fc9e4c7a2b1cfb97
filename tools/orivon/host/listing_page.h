#pragma once

// The modules of a listing's reply as the text the host wrote for each, so a
// client that prints them again (`orivon list --json`) need not parse and
// write 100,000 of them a second time.

#include <functional>
#include <optional>
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

// Calls `visit(key, value)` for each top-level member of the JSON object
// `object`, in order: the key as written between its quotes (an escaped key
// is passed escaped), the value's whole text, unparsed and not validated.
// false when `object` is not an object or ends early, or when `visit` returns
// false; members before the fault have been visited. Linear in `object`.
bool for_each_member(std::string_view object,
                     const std::function<bool(std::string_view key, std::string_view value)>& visit);

// The JSON value `text` parsed as nlohmann's parser reads it, discarded when
// it is not one; plain strings, unsigned integers and literals are read
// without the parser.
nlohmann::json parse_json_value(std::string_view text);

// The text of the JSON string `value` (quotes included) when it has no
// escapes and nothing a JSON string may not hold as it is: a view into
// `value`, no copy. nullopt for anything else, which parse_json_value reads.
std::optional<std::string_view> plain_string(std::string_view value);

}  // namespace orivon::cli
