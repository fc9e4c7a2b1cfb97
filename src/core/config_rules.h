#pragma once

// The rules for configuration keys (orivon/config.h), in a form each caller
// words its own error with: the manifest parser adds the key's path and line,
// check_config_key() the key itself.

#include <optional>
#include <string>
#include <string_view>

namespace orivon {

// What is wrong with `key` followed by the rule ("the name has an uppercase
// letter 'A'; config names are 1 to 128 characters of ..."), or nothing when
// it is a valid key.
std::optional<std::string> config_key_problem(std::string_view key);

}  // namespace orivon
