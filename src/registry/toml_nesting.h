#pragma once

// How deeply a TOML document nests its tables, found without parsing it.
//
// toml++ bounds nested values ("[[[...]]]", "{a={...}}") but not the tables a
// header or a dotted key opens: "[a.a.a....]" or "a.a.a.... = 1" nested some
// ten thousand levels deep, which fits in a 64 KiB manifest, overflows the
// stack inside toml::parse. A manifest is untrusted, so its depth is measured
// by this scan first, and a deep one is refused before toml++ sees it.

#include <cstddef>
#include <string_view>

namespace orivon::registry {

// The deepest nesting `text` can produce: table headers and dotted keys
// count one level per segment, inline tables and arrays one level each plus
// the key that holds them. An over-estimate for malformed text (which toml++
// refuses anyway), exact for the key paths of a well-formed document. The
// scan stops once the depth exceeds `stop_above`, so it reads at most the
// whole text once and allocates in proportion to the depth it has seen.
std::size_t toml_nesting_depth(std::string_view text, std::size_t stop_above);

}  // namespace orivon::registry
