#pragma once

// Small text helpers shared by the parsers of untrusted input.

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

}  // namespace orivon
