#include "engine/function_type.h"

#include <cstddef>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/wat_program.h"

namespace orivon::engine {
namespace {

using ::testing::HasSubstr;

// Two interfaces with a function of the same name, and one at the top.
constexpr std::string_view kComponent = R"(
  (component
    (core module $m (func (export "f") (param i32) (result i32) local.get 0))
    (core instance $i (instantiate $m))
    (func $get (param "x" u32) (result u32) (canon lift (core func $i "f")))
    (instance $one (export "get" (func $get)))
    (instance $two (export "get" (func $get)))
    (export "a:x/one" (instance $one))
    (export "a:x/two" (instance $two))
    (export "top" (func $get)))
)";

constexpr std::string_view kCoreModule = R"(
  (module
    (memory (export "memory") 1)
    (func (export "add") (param i32 i64) (result f64) f64.const 0))
)";

class FunctionTypeTest : public ::testing::Test {
 protected:
  FunctionTypeTest() : engine_(orivon::testing::component_model_config()) {}
  Program load(std::string_view text) { return orivon::testing::load_wat(engine_, text); }
  wasmtime::Engine engine_;
};

TEST_F(FunctionTypeTest, ResolvesComponentNamesWithoutAnInstance) {
  Program program = load(kComponent);
  auto top = function_type(engine_, *program.shared_data(), "top");
  ASSERT_TRUE(top) << top.error().to_string();
  EXPECT_EQ((*top)->name, "top");
  ASSERT_EQ((*top)->params.size(), 1u);
  EXPECT_TRUE((*top)->params[0].is_u32());
  ASSERT_TRUE((*top)->result);
  EXPECT_TRUE((*top)->result->is_u32());

  auto qualified = function_type(engine_, *program.shared_data(), "a:x/two#get");
  ASSERT_TRUE(qualified) << qualified.error().to_string();
  EXPECT_EQ((*qualified)->name, "a:x/two#get");
  EXPECT_EQ((*qualified)->params.size(), 1u);
}

TEST_F(FunctionTypeTest, ReadsEachNameOnceForALoadedProgram) {
  Program program = load(kComponent);
  auto first = function_type(engine_, *program.shared_data(), "top");
  auto second = function_type(engine_, *program.shared_data(), "top");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->get(), second->get());
  // A name that does not resolve is not kept.
  EXPECT_FALSE(function_type(engine_, *program.shared_data(), "get"));
  EXPECT_FALSE(function_type(engine_, *program.shared_data(), "get"));
}

TEST_F(FunctionTypeTest, RefusesAmbiguousAndUnknownComponentNames) {
  Program program = load(kComponent);
  auto ambiguous = function_type(engine_, *program.shared_data(), "get");
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ambiguous.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(ambiguous.error().message(), HasSubstr("a:x/one#get, a:x/two#get"));

  auto unknown = function_type(engine_, *program.shared_data(), "nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(unknown.error().message(), HasSubstr("exports no function 'nope'"));
}

TEST_F(FunctionTypeTest, ReadsCoreParameterKinds) {
  Program program = load(kCoreModule);
  auto add = function_type(engine_, *program.shared_data(), "add");
  ASSERT_TRUE(add) << add.error().to_string();
  ASSERT_EQ((*add)->core_params.size(), 2u);
  EXPECT_EQ((*add)->core_params[0], wasmtime::ValKind::I32);
  EXPECT_EQ((*add)->core_params[1], wasmtime::ValKind::I64);
  EXPECT_EQ((*add)->core_result_count, 1u);

  auto memory = function_type(engine_, *program.shared_data(), "memory");
  ASSERT_FALSE(memory);
  EXPECT_EQ(memory.error().code(), ErrorCode::InvalidArgument);
  auto missing = function_type(engine_, *program.shared_data(), "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace orivon::engine
