#include "host/listing_page.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace orivon::cli {
namespace {

constexpr std::string_view kPrefix = R"({"ok":true,"result":[)";
constexpr std::string_view kSuffix = "]}";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_front(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  return text;
}

// The length of the string that starts at text[0] ('"'), closing quote
// included, or 0 when it does not close within `text`.
std::size_t string_length(std::string_view text) {
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;  // the escaped character, whatever it is
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

// The length of the object or array that starts at text[0], or 0 when it
// does not close, or closes with the wrong bracket, within `text`.
std::size_t nested_length(std::string_view text) {
  std::string closers;  // the bracket each open level expects, innermost last
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case '"': {
        const std::size_t length = string_length(text.substr(i));
        if (length == 0) return 0;
        i += length - 1;
        break;
      }
      case '{':
        closers.push_back('}');
        break;
      case '[':
        closers.push_back(']');
        break;
      case '}':
      case ']':
        if (closers.empty() || closers.back() != text[i]) return 0;
        closers.pop_back();
        if (closers.empty()) return i + 1;
        break;
      default:
        break;
    }
  }
  return 0;
}

// The length of the value that starts at text[0], or 0 when there is none.
std::size_t value_length(std::string_view text) {
  if (text.empty()) return 0;
  if (text.front() == '"') return string_length(text);
  if (text.front() == '{' || text.front() == '[') return nested_length(text);
  const std::size_t end = text.find_first_of(",}] \t\r\n");
  return end == std::string_view::npos ? text.size() : end;
}

// `text` (a whole JSON value) parsed: plain strings, unsigned integers and
// literals read here, as they are most of a module's members; anything else
// by nlohmann. Discarded when it is not valid JSON.
nlohmann::json parse_value(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' &&
      text.find_first_of("\\\"", 1) == text.size() - 1 &&
      std::none_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80;
      })) {
    return nlohmann::json(std::string(text.substr(1, text.size() - 2)));
  }
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null") return nullptr;
  if (text == "0") return std::uint64_t{0};
  if (!text.empty() && text.front() >= '1' && text.front() <= '9') {
    std::uint64_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc() && end == text.data() + text.size()) return number;
  }
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

std::optional<std::vector<std::string_view>> listing_items(std::string_view line) {
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  if (line.size() < kPrefix.size() + kSuffix.size() || !line.starts_with(kPrefix) ||
      !line.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(kPrefix.size(), line.size() - kPrefix.size() - kSuffix.size());
  std::vector<std::string_view> items;
  if (rest.empty()) return items;
  while (true) {
    if (rest.empty() || rest.front() != '{') return std::nullopt;
    const std::size_t length = nested_length(rest);
    if (length == 0) return std::nullopt;
    items.push_back(rest.substr(0, length));
    rest.remove_prefix(length);
    if (rest.empty()) return items;
    if (rest.front() != ',') return std::nullopt;
    rest.remove_prefix(1);
  }
}

std::optional<nlohmann::json> pick_members(std::string_view object,
                                           std::span<const std::string_view> keys) {
  object = trim_front(object);
  if (object.empty() || object.front() != '{') return std::nullopt;
  object.remove_prefix(1);
  nlohmann::json picked = nlohmann::json::object();
  object = trim_front(object);
  if (!object.empty() && object.front() == '}') return picked;
  while (true) {
    object = trim_front(object);
    const std::size_t key_length = object.empty() || object.front() != '"' ? 0 : string_length(object);
    if (key_length == 0) return std::nullopt;
    // Keys are compared as written; an escaped one matches no wanted key.
    const std::string_view key = object.substr(1, key_length - 2);
    object = trim_front(object.substr(key_length));
    if (object.empty() || object.front() != ':') return std::nullopt;
    object = trim_front(object.substr(1));
    const std::size_t length = value_length(object);
    if (length == 0) return std::nullopt;
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      auto value = parse_value(object.substr(0, length));
      if (value.is_discarded()) return std::nullopt;
      picked[std::string(key)] = std::move(value);
    }
    object = trim_front(object.substr(length));
    if (object.empty()) return std::nullopt;
    if (object.front() == '}') return picked;
    if (object.front() != ',') return std::nullopt;
    object.remove_prefix(1);
  }
}

}  // namespace orivon::cli
