// The public Runtime API on small programs written as WebAssembly text.

#include "orivon/runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "orivon/version.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

constexpr std::string_view kExitFive = R"(
  (module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start") (call $exit (i32.const 5))))
)";

constexpr std::string_view kLoop = R"(
  (module
    (memory (export "memory") 1)
    (func (export "_start") (loop $l (br $l)))
    (func (export "count") (param $n i64) (result i64)
      (local $i i64)
      (loop $l
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br_if $l (i64.lt_u (local.get $i) (local.get $n))))
      (local.get $i)))
)";

constexpr std::string_view kGrow = R"(
  (module
    (memory 1)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
)";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Runtime::create({});
    ASSERT_TRUE(created) << created.error().message();
    runtime_ = std::move(*created);
  }
  Program load(std::string_view text) {
    auto program = runtime_->load_bytes(bytes_of(text), "test.wat");
    EXPECT_TRUE(program) << program.error().message();
    return std::move(*program);
  }
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(RuntimeTest, VersionIsTheEmbeddedWasmtime) {
  EXPECT_EQ(wasmtime_version().substr(0, 5), "48.0.");
  EXPECT_FALSE(version().empty());
}

TEST_F(RuntimeTest, RecognisesCoreModulesAndComponents) {
  EXPECT_EQ(load(kExitFive).kind(), ProgramKind::CoreModule);
  EXPECT_EQ(load("(component)").kind(), ProgramKind::Component);
}

TEST_F(RuntimeTest, ExitStatusIsAnOutcomeNotAnError) {
  auto outcome = runtime_->run(load(kExitFive), {}, {});
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->exit_code, 5);
}

TEST_F(RuntimeTest, RefusesInvalidBytesNamingTheInput) {
  auto program = runtime_->load_bytes(bytes_of("\x01\x02\x03"), "junk.bin");
  ASSERT_FALSE(program);
  EXPECT_EQ(program.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(program.error().message().find("junk.bin"), std::string::npos);
}

TEST_F(RuntimeTest, MissingFileIsNotFound) {
  auto program = runtime_->load_file("/nonexistent/x.wasm");
  ASSERT_FALSE(program);
  EXPECT_EQ(program.error().code(), ErrorCode::NotFound);
}

TEST_F(RuntimeTest, TimeoutInterruptsWithDeadlineExceeded) {
  ExecutionLimits limits;
  limits.timeout = 50ms;
  auto outcome = runtime_->run(load(kLoop), {}, limits);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::DeadlineExceeded);
}

TEST_F(RuntimeTest, DeadlinesArePerRunNotGlobal) {
  // One run loops until its own deadline; a run without a deadline on another
  // thread at the same time finishes its work untouched.
  Program looping = load(kLoop);
  std::thread interrupted([&] {
    ExecutionLimits limits;
    limits.timeout = 300ms;
    auto outcome = runtime_->run(looping, {}, limits);
    EXPECT_FALSE(outcome);
  });
  auto counted = runtime_->invoke(looping, "count(200000000)", {}, {});
  interrupted.join();
  ASSERT_TRUE(counted) << counted.error().message();
  EXPECT_EQ(counted->results, "200000000");
}

TEST_F(RuntimeTest, FuelNeedsAFuelMeteringRuntime) {
  ExecutionLimits limits;
  limits.fuel = 1000;
  auto outcome = runtime_->run(load(kLoop), {}, limits);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::FailedPrecondition);
}

TEST(RuntimeFuel, RunningOutOfFuelIsResourceExhausted) {
  RuntimeOptions options;
  options.fuel = FuelMetering::On;
  auto runtime = Runtime::create(options);
  ASSERT_TRUE(runtime);
  auto program = (*runtime)->load_bytes(bytes_of(kLoop), "loop.wat");
  ASSERT_TRUE(program);
  ExecutionLimits limits;
  limits.fuel = 10000;
  auto outcome = (*runtime)->run(*program, {}, limits);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::ResourceExhausted);
  auto enough = (*runtime)->invoke(*program, "count(100)", {}, limits);
  ASSERT_TRUE(enough) << enough.error().message();
  EXPECT_EQ(enough->results, "100");
}

TEST_F(RuntimeTest, MemoryLimitMakesGrowFail) {
  Program program = load(kGrow);
  ExecutionLimits limits;
  limits.max_memory_bytes = 4 * 65536;
  auto within = runtime_->invoke(program, "grow(3)", {}, limits);
  ASSERT_TRUE(within) << within.error().message();
  EXPECT_EQ(within->results, "1");  // previous size in pages
  auto beyond = runtime_->invoke(program, "grow(4)", {}, limits);
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->results, "-1");
  auto unlimited = runtime_->invoke(program, "grow(4)", {}, {});
  EXPECT_EQ(unlimited->results, "1");
}

TEST_F(RuntimeTest, UnknownImportIsAClearError) {
  auto outcome = runtime_->run(
      load(R"((module (import "env" "missing" (func)) (func (export "_start"))))"), {}, {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(outcome.error().message().find("missing"), std::string::npos);
}

// Found by fuzz/module_fuzzer.cc: calling an export with a v128 parameter, or a reference
// other than funcref and externref, aborted the whole process (the C API's
// wasm_valtype_kind() aborts on those types). Such calls are refused like any other whose
// values cannot cross, and so is a call returning a v128 (only numbers cross
// out of a core module).
TEST_F(RuntimeTest, ExportsWithV128OrGcReferencesAreRefusedNotFatal) {
  Program program = load(R"(
    (module
      (func (export "simd") (param f64 v128) (result f32) (f32.const 1))
      (func (export "any") (param anyref) (result i32) (i32.const 2))
      (func (export "typed") (param (ref func)) (result i32) (i32.const 3))
      (func (export "vector") (result v128) (v128.const i64x2 0 0))))");
  for (std::string_view call :
       {"simd()", "simd(1, 2)", "any()", "any(1)", "typed(1)", "vector()"}) {
    auto outcome = runtime_->invoke(program, call, {}, {});
    ASSERT_FALSE(outcome) << call << " gave " << outcome->results;
    EXPECT_NE(outcome.error().code(), ErrorCode::Internal) << outcome.error().to_string();
  }
  auto vector = runtime_->invoke(program, "vector()", {}, {});
  ASSERT_FALSE(vector);
  EXPECT_EQ(vector.error().code(), ErrorCode::Unimplemented) << vector.error().to_string();
}

TEST_F(RuntimeTest, DirGrantMustBeAnExistingDirectory) {
  WasiProfile profile;
  profile.dirs.push_back({"/nonexistent-orivon-dir", "/data", DirAccess::ReadOnly});
  auto outcome = runtime_->run(load(kExitFive), profile, {});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace orivon
