// LiveInstance's typed fast path: a function looked up once and called with
// public Values, on core modules and components.

#include "instance/live_instance.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "engine/program_loader.h"
#include "support/process.h"

namespace orivon::instance {
namespace {

constexpr std::string_view kCore = R"(
  (module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (global $initialized (mut i32) (i32.const 0))
    (func (export "_initialize") (global.set $initialized (i32.const 1)))
    (func (export "initialized") (result i32) (global.get $initialized))
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))
    (func (export "wide") (param i64 f64) (result i64 f64)
      (local.get 0) (local.get 1))
    (func (export "halve") (param f32) (result f32)
      (f32.div (local.get 0) (f32.const 2)))
    (func (export "nothing"))
    (func (export "boom") (unreachable))
    (func (export "quit") (call $exit (i32.const 3))))
)";

class LiveInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::Engine::create(RuntimeOptions{});
    ASSERT_TRUE(engine) << engine.error().to_string();
    engine_ = std::move(*engine);
  }

  std::unique_ptr<LiveInstance> core() {
    auto program = engine::load_program(
        engine_->wasmtime_engine(),
        std::as_bytes(std::span<const char>(kCore.data(), kCore.size())), "core.wat");
    EXPECT_TRUE(program) << program.error().to_string();
    if (!program) return nullptr;
    return create(*program);
  }

  std::unique_ptr<LiveInstance> component(const std::string& name) {
    auto program = engine::load_program_file(engine_->wasmtime_engine(),
                                             testing::guest_path(name, "component"));
    EXPECT_TRUE(program) << program.error().to_string();
    if (!program) return nullptr;
    return create(*program);
  }

  std::unique_ptr<LiveInstance> create(const Program& program) {
    auto live = LiveInstance::create(*engine_, program.shared_data(), {}, {});
    EXPECT_TRUE(live) << live.error().to_string();
    if (!live) return nullptr;
    return std::make_unique<LiveInstance>(std::move(*live));
  }

  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(LiveInstanceTest, CoreCallsThroughAHandleReusingTheResults) {
  auto live = core();
  ASSERT_TRUE(live);
  auto add = live->lookup("add");
  ASSERT_TRUE(add) << add.error().to_string();
  std::vector<Value> results;
  for (int i = 0; i < 3; ++i) {
    const std::vector<Value> args{Value::s32(40), Value::s32(i)};
    auto called = live->call(*add, args, results);
    ASSERT_TRUE(called) << called.error().to_string();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0], Value::s32(40 + i));
  }
  // The reactor initialised itself before the first export ran.
  auto initialized = call_by_name(*live, "initialized", {});
  ASSERT_TRUE(initialized) << initialized.error().to_string();
  EXPECT_EQ(initialized->values[0], Value::s32(1));
}

TEST_F(LiveInstanceTest, CoreNumbersCrossByKind) {
  auto live = core();
  ASSERT_TRUE(live);
  // Unsigned and narrower integers pass by bit pattern; an f32 widens to f64.
  const std::vector<Value> wide_args{Value::u64(~std::uint64_t{0}), Value::f32(1.5f)};
  auto wide = call_by_name(*live, "wide", wide_args);
  ASSERT_TRUE(wide) << wide.error().to_string();
  ASSERT_EQ(wide->values.size(), 2u);
  EXPECT_EQ(wide->values[0], Value::s64(-1));
  EXPECT_EQ(wide->values[1], Value::f64(1.5));
  const std::vector<Value> add_args{Value::u32(0xFFFFFFFF), Value::boolean(true)};
  auto add = call_by_name(*live, "add", add_args);
  ASSERT_TRUE(add) << add.error().to_string();
  EXPECT_EQ(add->values[0], Value::s32(0));
  const std::vector<Value> halve_args{Value::f32(3.0f)};
  auto halve = call_by_name(*live, "halve", halve_args);
  ASSERT_TRUE(halve) << halve.error().to_string();
  EXPECT_EQ(halve->values[0], Value::f32(1.5f));
  auto nothing = call_by_name(*live, "nothing", {});
  ASSERT_TRUE(nothing) << nothing.error().to_string();
  EXPECT_TRUE(nothing->values.empty());
}

TEST_F(LiveInstanceTest, CoreRefusesWhatDoesNotFitBeforeRunning) {
  auto live = core();
  ASSERT_TRUE(live);
  auto missing = live->lookup("absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
  auto memory = live->lookup("memory");
  ASSERT_FALSE(memory);
  EXPECT_EQ(memory.error().code(), ErrorCode::InvalidArgument);

  auto add = live->lookup("add");
  ASSERT_TRUE(add);
  std::vector<Value> results{Value::s32(7)};
  const std::vector<Value> one{Value::s32(1)};
  auto short_call = live->call(*add, one, results);
  ASSERT_FALSE(short_call);
  EXPECT_EQ(short_call.error().code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(results.empty());
  const std::vector<Value> text{Value::string("1"), Value::s32(2)};
  auto wrong_kind = live->call(*add, text, results);
  ASSERT_FALSE(wrong_kind);
  EXPECT_EQ(wrong_kind.error().code(), ErrorCode::InvalidArgument);
  const std::vector<Value> float_for_int{Value::f64(1), Value::s32(2)};
  EXPECT_FALSE(live->call(*add, float_for_int, results));

  // A handle from another instance is refused, not misused.
  auto other = core();
  ASSERT_TRUE(other);
  const std::vector<Value> two{Value::s32(1), Value::s32(2)};
  auto foreign = other->call(*add, two, results);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), ErrorCode::InvalidArgument);
}

TEST_F(LiveInstanceTest, CoreTrapsAndExitsThroughTheHandle) {
  auto live = core();
  ASSERT_TRUE(live);
  auto boom = live->lookup("boom");
  ASSERT_TRUE(boom);
  std::vector<Value> results;
  auto trapped = live->call(*boom, {}, results);
  ASSERT_FALSE(trapped);
  EXPECT_EQ(trapped.error().code(), ErrorCode::Trapped);
  // The instance survives a trap.
  const std::vector<Value> two{Value::s32(1), Value::s32(2)};
  auto add = live->lookup("add");
  ASSERT_TRUE(add);
  ASSERT_TRUE(live->call(*add, two, results));
  EXPECT_EQ(results[0], Value::s32(3));

  auto quit = live->lookup("quit");
  ASSERT_TRUE(quit);
  auto exited = live->call(*quit, {}, results);
  ASSERT_FALSE(exited);
  EXPECT_EQ(exited.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_EQ(exited.error().tag(), ErrorTag::GuestExited);
  EXPECT_EQ(live->exit_code(), 3);
  auto after = live->call(*add, two, results);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_EQ(after.error().tag(), ErrorTag::GuestExited);
}

TEST_F(LiveInstanceTest, ComponentCallsThroughAHandle) {
  auto live = component("typed");
  ASSERT_TRUE(live);
  auto greet = live->lookup("greet");
  ASSERT_TRUE(greet) << greet.error().to_string();
  std::vector<Value> results;
  for (const char* name : {"ada", "grace"}) {
    const std::vector<Value> args{Value::string(name)};
    auto called = live->call(*greet, args, results);
    ASSERT_TRUE(called) << called.error().to_string();
    ASSERT_EQ(results.size(), 1u);
    ASSERT_NE(results[0].if_string(), nullptr);
    EXPECT_NE(results[0].if_string()->find(name), std::string::npos);
  }
  // The same handle for the same name.
  auto again = live->lookup("greet");
  ASSERT_TRUE(again);
  const std::vector<Value> ada{Value::string("ada")};
  ASSERT_TRUE(live->call(*again, ada, results));

  auto next = live->lookup("next-color");
  ASSERT_TRUE(next);
  const std::vector<Value> red{Value::enumeration("red")};
  ASSERT_TRUE(live->call(*next, red, results));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], Value::enumeration("green"));

  const std::vector<Value> wrong{Value::s32(1)};
  auto refused = live->call(*greet, wrong, results);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(refused.error().to_string().find("argument 1 of 'greet'"), std::string::npos);
  auto counted = live->call(*greet, {}, results);
  ASSERT_FALSE(counted);
  EXPECT_EQ(counted.error().code(), ErrorCode::InvalidArgument);
  auto missing = live->lookup("absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

TEST_F(LiveInstanceTest, ComponentCompoundValuesRoundTrip) {
  auto live = component("typed");
  ASSERT_TRUE(live);
  auto translate = live->lookup("translate");
  ASSERT_TRUE(translate) << translate.error().to_string();
  std::vector<Value> results;
  const std::vector<Value> args{Value::record({{"x", Value::s32(1)}, {"y", Value::s32(2)}}),
                                Value::s32(10), Value::s32(20)};
  auto called = live->call(*translate, args, results);
  ASSERT_TRUE(called) << called.error().to_string();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], Value::record({{"x", Value::s32(11)}, {"y", Value::s32(22)}}));
}

}  // namespace
}  // namespace orivon::instance
