#include "values/call_expression.h"

#include <string>

#include <gtest/gtest.h>

namespace orivon::values {
namespace {

TEST(CallExpression, SplitsNameAndArguments) {
  auto call = parse_call_expression("  add(1, 2) ");
  ASSERT_TRUE(call) << call.error().message();
  EXPECT_EQ(call->name, "add");
  EXPECT_EQ(call->arguments, "1, 2");
}

TEST(CallExpression, KeepsNestedParenthesesAndQualifiedNames) {
  auto call = parse_call_expression("wasi:cli/run@0.2.0#run()");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "wasi:cli/run@0.2.0#run");
  EXPECT_EQ(call->arguments, "");
  auto nested = parse_call_expression("f((1, 2), \"a)b\")");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->arguments, "(1, 2), \"a)b\"");
}

TEST(CallExpression, RefusesMalformedCalls) {
  for (const char* text : {"", "add", "add 1 2", "(1)", "add(1", "add(1) extra", "my func()"}) {
    auto call = parse_call_expression(text);
    ASSERT_FALSE(call) << text;
    EXPECT_EQ(call.error().code(), ErrorCode::InvalidArgument);
  }
}

// Issue #12: the error for a malformed 1 MiB call echoed all of it.
TEST(CallExpression, ErrorQuotesOnlyTheStartOfALongCall) {
  const std::string call = "f(" + std::string(1 << 20, 'x');  // no closing ')'
  auto parsed = parse_call_expression(call);
  ASSERT_FALSE(parsed);
  const std::string message = parsed.error().message();
  EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
  EXPECT_NE(message.find("f(xxx"), std::string::npos) << message;
  EXPECT_NE(message.find("(1048578 bytes)"), std::string::npos) << message;
  EXPECT_NE(message.find("missing ')'"), std::string::npos) << message;
}

TEST(CallExpression, ErrorNeverCutsACharacterInTwo) {
  std::string call = "f" + std::string(118, 'x');
  call += "\xc3\xa9\xc3\xa9";  // two 2-byte characters straddling the 120-byte cut
  call += std::string(50, 'y');
  auto parsed = parse_call_expression(call);
  ASSERT_FALSE(parsed);
  const std::string message = parsed.error().message();
  const auto cut = message.find("...");
  ASSERT_NE(cut, std::string::npos);
  EXPECT_EQ(message.substr(cut - 1, 1), "x") << message;
}

}  // namespace
}  // namespace orivon::values
