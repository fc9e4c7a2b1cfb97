#pragma once

// Small text helpers shared by the parsers of untrusted input.

#include <cstdio>
#include <string>
#include <string_view>

namespace orivon {

// `text` without leading and trailing ASCII whitespace.
inline std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

// Untrusted text made safe to echo in a message: printable ASCII as is, every
// other byte (and '\\') as \xNN, so input cannot inject terminal escapes or
// NULs into logs; cut after `max_bytes` with "...".
inline std::string printable(std::string_view text, std::size_t max_bytes = 80) {
  std::string out;
  const std::size_t shown = text.size() > max_bytes ? max_bytes : text.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    }
  }
  if (shown < text.size()) out += "...";
  return out;
}

// At most about `max_bytes` of `text` for an error message, cut at a UTF-8
// character boundary, with the full size when cut: a message that quotes a
// 1 MiB input must not be 1 MiB itself.
inline std::string excerpt(std::string_view text, std::size_t max_bytes = 120) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "... (" + std::to_string(text.size()) + " bytes)";
}

// `text` if it fits in `max_bytes`; else its start and its end, each cut at
// a UTF-8 character boundary, around "[... N bytes left out ...]". The end is
// kept because a chain of failures ("'a' failed in f: 'b' failed in g: wasm
// trap: ...") puts its root cause last. The result is at most `max_bytes`
// plus the marker's length, and valid UTF-8 when `text` is.
inline std::string elide_middle(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  auto is_continuation = [&](std::size_t at) {
    return at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80;
  };
  std::size_t head = max_bytes / 2;
  while (head > 0 && is_continuation(head)) --head;
  std::size_t tail = text.size() - (max_bytes - max_bytes / 2);
  while (tail < text.size() && is_continuation(tail)) ++tail;
  return std::string(text.substr(0, head)) + " [... " + std::to_string(tail - head) +
         " bytes left out ...] " + std::string(text.substr(tail));
}

}  // namespace orivon
