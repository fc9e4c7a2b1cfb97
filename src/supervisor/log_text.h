#pragma once

// The text of log records, shared by the writer (LogSink) and the reader of
// its files (log_files.cc, behind include/orivon/log_files.h).

#include <cstddef>
#include <string>
#include <string_view>

namespace orivon::supervisor {

inline bool is_utf8_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// How long the UTF-8 sequence a lead byte starts is; 0 if `byte` cannot start
// a multi-byte sequence.
inline std::size_t utf8_sequence_length(unsigned char byte) {
  if (byte >= 0xC2 && byte <= 0xDF) return 2;
  if (byte >= 0xE0 && byte <= 0xEF) return 3;
  if (byte >= 0xF0 && byte <= 0xF4) return 4;
  return 0;
}

// `raw` with control characters other than tab (C0, DEL, C1) and bytes that
// are not valid UTF-8 replaced by '?', one '?' per byte: same length, always
// valid UTF-8, harmless on a terminal.
std::string sanitize_log_text(std::string_view raw);

}  // namespace orivon::supervisor
