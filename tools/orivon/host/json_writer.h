#pragma once

// A streaming JSON writer: text appended to a string as values are given,
// without building a tree. What large replies are made with (a page of 2,000
// modules through the control socket), where an nlohmann tree per module
// cost most of the reply's time.
//
// Strings are escaped as nlohmann::json's dump() with
// error_handler_t::replace and ensure_ascii off escapes them: '"' and '\\'
// and control characters below 0x20 are escaped (\b \f \n \r \t, else
// \u00XX), everything else is copied as it is; text that is not valid UTF-8
// is written exactly as nlohmann writes it (each invalid sequence replaced by
// U+FFFD), so a reader sees the same value whichever wrote it.
//
// Not thread-safe. The caller writes a well-formed sequence (a key before
// each value in an object); the writer keeps track of commas only.

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace orivon::cli {

// Appends `text` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view text);

class JsonWriter {
 public:
  // Appends to `out`, which must outlive the writer.
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The name of the next member; its value follows.
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view text);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonWriter& number(T value) {
    separate();
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out_.append(digits, end);
    return *this;
  }

 private:
  // A comma before every value but the first of its container (and none
  // after a key).
  void separate();

  std::string& out_;
  std::vector<bool> has_values_;  // per open container: whether it holds a value yet
  bool after_key_ = false;
};

}  // namespace orivon::cli
