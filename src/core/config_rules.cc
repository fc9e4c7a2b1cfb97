// The rules for configuration keys and values (orivon/config.h), shared by
// the manifest parser, the registry, the CLI and the guest interface.

#include <cstdio>
#include <optional>
#include <string>

#include "core/config_rules.h"
#include "core/limits.h"
#include "core/strings.h"
#include "core/utf8.h"
#include "orivon/config.h"

namespace orivon {
namespace {

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// The problem alone, without the rule.
std::optional<std::string> key_problem_alone(std::string_view key) {
  if (key.empty()) return "the name is empty";
  if (key.size() > limits::kMaxConfigKeyChars) {
    return "the name is " + std::to_string(key.size()) + " characters long";
  }
  for (char c : key) {
    if (is_lower_or_digit(c) || c == '_' || c == '-') continue;
    const auto byte = static_cast<unsigned char>(c);
    if (c >= 'A' && c <= 'Z') return std::string("the name has an uppercase letter '") + c + "'";
    if (byte >= 0x20 && byte < 0x7f) return std::string("the name has the character '") + c + "'";
    return "the name has a control or non-ASCII byte";
  }
  if (!is_lower_or_digit(key.front())) return "the name does not start with a letter or digit";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> config_key_problem(std::string_view key) {
  auto problem = key_problem_alone(key);
  if (!problem) return std::nullopt;
  return *problem + "; config names are 1 to " + std::to_string(limits::kMaxConfigKeyChars) +
         " characters of a-z, 0-9, '_' and '-', starting with a letter or digit, like "
         "'max-peers'";
}

std::string_view config_source_name(ConfigSource source) {
  return source == ConfigSource::Client ? "client" : "manifest";
}

Result<void> check_config_key(std::string_view key) {
  if (auto problem = config_key_problem(key)) {
    return Error(ErrorCode::InvalidArgument,
                 "invalid config key '" + printable(key) + "': " + *problem);
  }
  return ok();
}

Result<void> check_config_value(std::string_view value) {
  if (const auto bad = invalid_utf8_at(value); bad != std::string_view::npos) {
    return Error(ErrorCode::InvalidArgument,
                 "invalid config value: byte " + std::to_string(bad) + " is not UTF-8 text");
  }
  const std::size_t chars = utf8_char_count(value);
  if (chars > limits::kMaxConfigValueChars) {
    return Error(ErrorCode::InvalidArgument,
                 "config value too long: " + std::to_string(chars) + " characters; at most " +
                     std::to_string(limits::kMaxConfigValueChars) + " are allowed");
  }
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool control = byte < 0x20 || byte == 0x7f;
    if (control && c != '\n' && c != '\t' && c != '\r') {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", byte);
      return Error(ErrorCode::InvalidArgument,
                   std::string("invalid config value: it contains the control character ") + code +
                       " (only tab, newline and carriage return are allowed)");
    }
  }
  return ok();
}

}  // namespace orivon
