#include "values/call_expression.h"

#include "core/strings.h"

namespace orivon::values {

Result<CallExpression> parse_call_expression(std::string_view text) {
  const std::string_view call = trim(text);
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::InvalidArgument,
                 "invalid call '" + excerpt(text) + "': " + std::string(why) +
                     "; expected name(arguments), like add(1, 2) or greet(\"world\")");
  };
  const auto open = call.find('(');
  if (open == std::string_view::npos) return bad("missing '('");
  if (call.back() != ')') return bad("missing ')' at the end");
  const std::string_view name = trim(call.substr(0, open));
  if (name.empty()) return bad("missing function name");
  if (name.find_first_of(" \t\"'()") != std::string_view::npos) return bad("bad function name");
  return CallExpression{std::string(name),
                        std::string(call.substr(open + 1, call.size() - open - 2))};
}

}  // namespace orivon::values
