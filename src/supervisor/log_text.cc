#include "supervisor/log_text.h"

namespace orivon::supervisor {
namespace {

// The length of the valid (RFC 3629: shortest form, no surrogates, at most
// U+10FFFF) multi-byte UTF-8 sequence at text[at], or 0 if there is none.
std::size_t valid_sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  const std::size_t length = utf8_sequence_length(lead);
  if (length == 0 || text.size() - at < length) return 0;
  // The second byte's range depends on the lead byte; the rest are 80..BF.
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead == 0xE0) low = 0xA0;        // no overlong 3-byte forms
  else if (lead == 0xED) high = 0x9F;  // no surrogates
  else if (lead == 0xF0) low = 0x90;   // no overlong 4-byte forms
  else if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_utf8_continuation(byte(i))) return 0;
  }
  return length;
}

}  // namespace

std::string sanitize_log_text(std::string_view raw) {
  std::string text(raw);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if ((byte < 0x20 && byte != '\t') || byte == 0x7F) text[i] = '?';
      ++i;
      continue;
    }
    const std::size_t length = valid_sequence_length(raw, i);
    if (length == 0) {
      text[i] = '?';
      ++i;
      continue;
    }
    if (byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      text[i] = text[i + 1] = '?';  // U+0080..U+009F, the C1 controls
    }
    i += length;
  }
  return text;
}

}  // namespace orivon::supervisor
