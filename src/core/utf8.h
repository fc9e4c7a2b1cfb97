#pragma once

// UTF-8 for untrusted text (guest strings, manifests, CLI arguments,
// database rows): checking, decoding and encoding, written once.

#include <cstddef>
#include <string>
#include <string_view>

namespace orivon {

// Whether `c` is a Unicode scalar value: at most U+10FFFF, not a surrogate.
constexpr bool is_scalar_value(char32_t c) { return c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF); }

// The length of the well-formed UTF-8 sequence at text[pos] (pos < size),
// its scalar value stored in *c; 0 when the bytes there are not well-formed
// (overlong forms and surrogates included), *c then untouched.
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t* c);

// Appends the scalar value `c` in UTF-8.
void append_utf8(char32_t c, std::string* out);

// The offset of the first byte that does not belong to well-formed UTF-8
// (overlong forms and surrogates included), or npos when all of it does.
std::size_t invalid_utf8_at(std::string_view text);

// The number of characters in `text`, counting each byte that does not
// continue a UTF-8 sequence. Exact for valid UTF-8.
std::size_t utf8_char_count(std::string_view text);

}  // namespace orivon
