#include "runtime/text_calls.h"

#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/wat_program.h"

namespace orivon::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kComponent = R"(
  (component
    (core module $m (func (export "f") (param i32) (result i32) local.get 0))
    (core instance $i (instantiate $m))
    (func $echo (param "x" u32) (result u32) (canon lift (core func $i "f")))
    (export "echo" (func $echo)))
)";

constexpr std::string_view kCoreModule = R"(
  (module (func (export "mix") (param i32 i64 f64) (result i32) i32.const 0))
)";

class TextCallsTest : public ::testing::Test {
 protected:
  TextCallsTest() : engine_(orivon::testing::component_model_config()) {}
  Program load(std::string_view text) { return orivon::testing::load_wat(engine_, text); }
  Result<TypedCall> parse(const Program& program, std::string_view text) {
    auto call = values::parse_call_expression(text);
    if (!call) return call.error();
    return parse_text_call(engine_, *program.shared_data(), *call);
  }
  wasmtime::Engine engine_;
};

TEST_F(TextCallsTest, ParsesWaveAgainstTheComponentsTypes) {
  Program program = load(kComponent);
  auto call = parse(program, "echo(7)");
  ASSERT_TRUE(call) << call.error().to_string();
  EXPECT_EQ(call->function->name, "echo");
  EXPECT_THAT(call->args, ElementsAre(Value::u32(7)));

  auto bad = parse(program, "echo(-1)");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(bad.error().to_string(), HasSubstr("calling 'echo'"));
}

TEST_F(TextCallsTest, ParsesNumbersAgainstTheCoreKinds) {
  Program program = load(kCoreModule);
  auto call = parse(program, "mix(4294967295, -2, 1.5)");
  ASSERT_TRUE(call) << call.error().to_string();
  // i32 takes the unsigned range as a bit pattern.
  EXPECT_THAT(call->args, ElementsAre(Value::s32(-1), Value::s64(-2), Value::f64(1.5)));
  EXPECT_FALSE(parse(program, "mix(1, 2)"));
  EXPECT_FALSE(parse(program, "mix(x, 2, 3)"));
}

TEST_F(TextCallsTest, FormatsResultsAsTheTextPathShowsThem) {
  const std::vector<Value> core{Value::s32(3), Value::s64(-4), Value::f64(1.5)};
  EXPECT_EQ(format_results(ProgramKind::CoreModule, core), "3 -4 1.5");
  const std::vector<Value> component{Value::string("hi")};
  EXPECT_EQ(format_results(ProgramKind::Component, component), "\"hi\"");
  EXPECT_EQ(format_results(ProgramKind::Component, {}), "");
}

TEST_F(TextCallsTest, ChecksTypedArgumentsExactly) {
  Program program = load(kComponent);
  auto call = parse(program, "echo(1)");
  ASSERT_TRUE(call);
  const std::vector<Value> right{Value::u32(1)};
  EXPECT_TRUE(check_arguments(*call->function, "echo", right));
  const std::vector<Value> wrong_kind{Value::s32(1)};
  auto kind = check_arguments(*call->function, "echo", wrong_kind);
  ASSERT_FALSE(kind);
  EXPECT_EQ(kind.error().code(), ErrorCode::InvalidArgument);
  auto count = check_arguments(*call->function, "echo", {});
  ASSERT_FALSE(count);
  EXPECT_THAT(count.error().message(), HasSubstr("'echo' takes 1 arguments, not 0"));
}

}  // namespace
}  // namespace orivon::runtime
