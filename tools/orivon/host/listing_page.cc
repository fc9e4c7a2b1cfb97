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

}  // namespace

std::optional<std::string_view> plain_string(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.find_first_of("\\\"", 1) != value.size() - 1) {
    return std::nullopt;
  }
  const std::string_view text = value.substr(1, value.size() - 2);
  // ASCII only: anything else is left to the parser, which checks UTF-8.
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80;
      })) {
    return std::nullopt;
  }
  return text;
}

nlohmann::json parse_json_value(std::string_view text) {
  if (auto plain = plain_string(text)) return nlohmann::json(std::string(*plain));
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

bool for_each_member(std::string_view object,
                     const std::function<bool(std::string_view key, std::string_view value)>& visit) {
  object = trim_front(object);
  if (object.empty() || object.front() != '{') return false;
  object = trim_front(object.substr(1));
  if (!object.empty() && object.front() == '}') return true;
  while (true) {
    object = trim_front(object);
    const std::size_t key_length = object.empty() || object.front() != '"' ? 0 : string_length(object);
    if (key_length == 0) return false;
    const std::string_view key = object.substr(1, key_length - 2);
    object = trim_front(object.substr(key_length));
    if (object.empty() || object.front() != ':') return false;
    object = trim_front(object.substr(1));
    const std::size_t length = value_length(object);
    if (length == 0 || !visit(key, object.substr(0, length))) return false;
    object = trim_front(object.substr(length));
    if (object.empty()) return false;
    if (object.front() == '}') return true;
    if (object.front() != ',') return false;
    object.remove_prefix(1);
  }
}

}  // namespace orivon::cli
