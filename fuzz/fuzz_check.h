#pragma once

// Shared by the libFuzzer targets in fuzz/: a property check that stops the
// run the way a crash does, so libFuzzer saves the input that broke it.
// Library code never aborts on input (STYLE.md rule 14); a fuzz target does,
// on purpose, when the library answered something it must not.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace orivon::fuzz {

[[noreturn]] inline void fail(std::string_view property, const std::string& detail) {
  std::fprintf(stderr, "\nfuzz property violated: %.*s\n%s\n", static_cast<int>(property.size()),
               property.data(), detail.c_str());
  std::abort();
}

// The input as text. libFuzzer hands over bytes; every text target reads them as-is, invalid
// UTF-8 included.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `text` quoted for a failure message, with control bytes escaped so the message stays on
// one readable line.
inline std::string printable(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace orivon::fuzz

// Aborts with `detail` (a std::string expression, evaluated only on failure) when
// `condition` is false.
#define ORIVON_FUZZ_CHECK(condition, detail)                              \
  do {                                                                    \
    if (!(condition)) ::orivon::fuzz::fail(#condition, (detail));         \
  } while (false)
