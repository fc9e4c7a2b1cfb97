#include "engine/error_conversion.h"

#include <gtest/gtest.h>

namespace orivon::engine {
namespace {

TEST(OneLine, FoldsCausesOntoOneLine) {
  EXPECT_EQ(one_line("failed to parse WebAssembly module\n\nCaused by:\n    unexpected end-of-file "
                     "(at offset 0x1f)"),
            "failed to parse WebAssembly module: unexpected end-of-file (at offset 0x1f)");
  EXPECT_EQ(one_line("outer\n\nCaused by:\n    0: middle\n    1: inner"), "outer: middle: inner");
  EXPECT_EQ(one_line("plain"), "plain");
  EXPECT_EQ(one_line("trailing\n"), "trailing");
}

TEST(ClassifyFailure, ExitIsNotAnError) {
  // A plain wasmtime::Error without an exit status is a trap-like failure.
  auto classified = classify_failure(wasmtime::Error("boom"));
  ASSERT_TRUE(std::holds_alternative<Error>(classified));
  EXPECT_EQ(std::get<Error>(classified).code(), ErrorCode::Trapped);
}

TEST(ClassifyFailure, RecognisesInterruptAndFuelByMessage) {
  auto interrupt = classify_failure(wasmtime::Error("error while executing\n\nCaused by:\n    wasm trap: interrupt"));
  EXPECT_EQ(std::get<Error>(interrupt).code(), ErrorCode::DeadlineExceeded);
  auto fuel = classify_failure(wasmtime::Error("all fuel consumed by WebAssembly"));
  EXPECT_EQ(std::get<Error>(fuel).code(), ErrorCode::ResourceExhausted);
}

}  // namespace
}  // namespace orivon::engine
