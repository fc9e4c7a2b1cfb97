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

TEST(FailureReason, KeepsTheRootCauseWithoutTheBacktrace) {
  // A component's trap: the backtrace (the guest's function names) is context.
  EXPECT_EQ(failure_reason("guest trapped\nerror while executing at wasm backtrace:\n"
                           "    0:   0x1d3 - hostile.wasm!a_very_long_guest_name\n\n"
                           "Caused by:\n    wasm trap: integer divide by zero"),
            "wasm trap: integer divide by zero");
  // A guest trapped by a host function's error: that error is the cause.
  EXPECT_EQ(failure_reason("guest trapped\nerror while executing at wasm backtrace:\n"
                           "    0: 0x10 - m!f\n\nCaused by:\n"
                           "    'b' failed in f: wasm trap: unreachable\n"),
            "'b' failed in f: wasm trap: unreachable");
  // Numbered causes: the last one, without its number.
  EXPECT_EQ(failure_reason("outer\n\nCaused by:\n    0: middle\n    1: wasm trap: unreachable"),
            "wasm trap: unreachable");
  // A core trap: the reason, then its backtrace.
  EXPECT_EQ(failure_reason("guest trapped\nwasm trap: unreachable\nwasm backtrace:\n  0: main"),
            "wasm trap: unreachable");
  // Otherwise the last line, which names the error after orivon's own words.
  EXPECT_EQ(failure_reason("guest trapped\n'a' may not call f of 'b'\n"),
            "'a' may not call f of 'b'");
  EXPECT_EQ(failure_reason("one line"), "one line");
}

}  // namespace
}  // namespace orivon::engine
