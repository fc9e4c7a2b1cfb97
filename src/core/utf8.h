#pragma once

// UTF-8 checks for untrusted text: guest strings, manifests, CLI arguments,
// database rows.

#include <cstddef>
#include <string_view>

namespace orivon {

// The offset of the first byte that does not belong to well-formed UTF-8
// (overlong forms and surrogates included), or npos when all of it does.
std::size_t invalid_utf8_at(std::string_view text);

// The number of characters in `text`, counting each byte that does not
// continue a UTF-8 sequence. Exact for valid UTF-8.
std::size_t utf8_char_count(std::string_view text);

}  // namespace orivon
