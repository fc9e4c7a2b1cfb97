#include "values/call_expression.h"

namespace orivon::values {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

Result<CallExpression> parse_call_expression(std::string_view text) {
  const std::string_view call = trim(text);
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::InvalidArgument,
                 "invalid call '" + std::string(text) + "': " + std::string(why) +
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
