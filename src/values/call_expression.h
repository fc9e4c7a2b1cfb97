#pragma once

// Splits a call written as `name(arguments)` into the name and the raw text
// between the parentheses; the arguments are parsed later against the
// function's type.

#include <string>
#include <string_view>

#include "orivon/result.h"

namespace orivon::values {

struct CallExpression {
  std::string name;       // for components possibly "interface#function"
  std::string arguments;  // the text between the outer parentheses
};

// Fails with InvalidArgument when the text is not `name(...)` with a
// non-empty name and nothing but whitespace after the closing parenthesis.
Result<CallExpression> parse_call_expression(std::string_view text);

}  // namespace orivon::values
