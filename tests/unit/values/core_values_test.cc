#include "values/core_values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace orivon::values {
namespace {

using wasmtime::ValKind;

TEST(CoreValues, ParsesEachNumericKind) {
  std::vector<ValKind> kinds = {ValKind::I32, ValKind::I64, ValKind::F32, ValKind::F64};
  auto values = parse_core_arguments(" -7, 9000000000 , 1.5, -2e3", kinds);
  ASSERT_TRUE(values) << values.error().message();
  ASSERT_EQ(values->size(), 4u);
  EXPECT_EQ((*values)[0].i32(), -7);
  EXPECT_EQ((*values)[1].i64(), 9000000000);
  EXPECT_EQ((*values)[2].f32(), 1.5f);
  EXPECT_EQ((*values)[3].f64(), -2000.0);
}

TEST(CoreValues, UnsignedRangeIsABitPattern) {
  std::vector<ValKind> kinds = {ValKind::I32};
  auto values = parse_core_arguments("4294967295", kinds);
  ASSERT_TRUE(values);
  EXPECT_EQ((*values)[0].i32(), -1);
}

TEST(CoreValues, RefusesOutOfRangeAndGarbage) {
  std::vector<ValKind> i32 = {ValKind::I32};
  for (const char* text : {"4294967296", "-2147483649", "1.5", "x", "", "1,"}) {
    EXPECT_FALSE(parse_core_arguments(text, i32)) << text;
  }
  std::vector<ValKind> none;
  EXPECT_TRUE(parse_core_arguments("  ", none));
  EXPECT_FALSE(parse_core_arguments("1", none));
}

TEST(CoreValues, FloatSpecialsRoundTrip) {
  std::vector<ValKind> kinds = {ValKind::F64, ValKind::F64, ValKind::F32};
  auto values = parse_core_arguments("nan, -inf, inf", kinds);
  ASSERT_TRUE(values);
  EXPECT_TRUE(std::isnan((*values)[0].f64()));
  EXPECT_EQ(format_core_results(*values), "nan -inf inf");
}

TEST(CoreValues, FormatsShortestRoundTrip) {
  std::vector<wasmtime::Val> results = {wasmtime::Val(int32_t{-3}), wasmtime::Val(0.1),
                                        wasmtime::Val(int64_t{1} << 40)};
  EXPECT_EQ(format_core_results(results), "-3 0.1 1099511627776");
}

}  // namespace
}  // namespace orivon::values
