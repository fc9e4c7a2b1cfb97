#include "values/call_expression.h"

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

}  // namespace
}  // namespace orivon::values
