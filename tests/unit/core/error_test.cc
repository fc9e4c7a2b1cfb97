#include "orivon/error.h"

#include <gtest/gtest.h>

#include "orivon/result.h"

namespace orivon {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Error(ErrorCode::InvalidArgument, std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> quarter(int n) {
  ORIVON_TRY(int h, half(n));
  ORIVON_TRY(int q, half(h));
  return q;
}

Result<void> check_even(int n) {
  ORIVON_RETURN_IF_ERROR(half(n));
  return ok();
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_EQ(*quarter(12), 3);
  auto failed = quarter(6);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(failed.error().message(), "3 is odd");
}

TEST(Result, VoidResultCarriesOnlyAnError) {
  EXPECT_TRUE(check_even(4));
  auto failed = check_even(5);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message(), "5 is odd");
}

TEST(Error, WrapKeepsTheCodeAndChainsMessages) {
  Error inner(ErrorCode::NotFound, "no such file");
  Error outer = Error::wrap("loading 'x.wasm'", inner);
  EXPECT_EQ(outer.code(), ErrorCode::NotFound);
  EXPECT_EQ(outer.to_string(), "loading 'x.wasm': no such file");
  ASSERT_NE(outer.cause(), nullptr);
  EXPECT_EQ(outer.cause()->message(), "no such file");
}

TEST(Error, ATagIsKeptByWrapAndReplacedByWithTag) {
  Error plain(ErrorCode::FailedPrecondition, "'x' is not running");
  EXPECT_EQ(plain.tag(), ErrorTag::None);
  Error tagged(ErrorCode::FailedPrecondition, ErrorTag::NotRunning, "'x' is not running");
  EXPECT_EQ(tagged.tag(), ErrorTag::NotRunning);
  EXPECT_EQ(tagged.message(), "'x' is not running");
  Error outer = Error::wrap("calling 'x'", tagged);
  EXPECT_EQ(outer.tag(), ErrorTag::NotRunning);
  EXPECT_EQ(outer.code(), ErrorCode::FailedPrecondition);

  Error retagged = outer.with_tag(ErrorTag::CallDeadline);
  EXPECT_EQ(retagged.tag(), ErrorTag::CallDeadline);
  EXPECT_EQ(retagged.code(), ErrorCode::FailedPrecondition);
  EXPECT_EQ(retagged.to_string(), outer.to_string());
  EXPECT_EQ(outer.tag(), ErrorTag::NotRunning);  // a copy: the original keeps its tag
}

TEST(Error, EveryCodeHasAName) {
  EXPECT_EQ(error_code_name(ErrorCode::InvalidArgument), "InvalidArgument");
  EXPECT_EQ(error_code_name(ErrorCode::DeadlineExceeded), "DeadlineExceeded");
  EXPECT_EQ(error_code_name(ErrorCode::Internal), "Internal");
}

}  // namespace
}  // namespace orivon
