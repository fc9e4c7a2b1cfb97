// The function engine: Wasmtime's pooling allocator beside the on-demand
// engine, fed with the same compiled code (moved, never recompiled), its
// exhaustion a clean ResourceExhausted, and its failure to reserve the pool
// an error rather than an abort.

#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compiled_code.h"
#include "engine/engine.h"
#include "engine/program_loader.h"
#include "instance/live_instance.h"
#include "instance/pool_placement.h"
#include "instance/proxy_template.h"
#include "support/process.h"

namespace orivon::instance {
namespace {

constexpr std::string_view kCore = R"(
  (module
    (memory (export "memory") 1)
    (data (i32.const 16) "\2a")
    (func (export "answer") (result i32) (i32.load8_u (i32.const 16))))
)";

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

std::unique_ptr<engine::Engine> make_engine(std::uint32_t slots = 0) {
  RuntimeOptions options;
  options.function_pool_slots = slots;
  auto engine = engine::Engine::create(options);
  EXPECT_TRUE(engine) << engine.error().to_string();
  return engine ? std::move(*engine) : nullptr;
}

TEST(FunctionPool, IsMadeOnceOnFirstUseAndIsPooled) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  EXPECT_FALSE(engine->is_pooled());
  auto first = engine->ensure_function_engine();
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = engine->ensure_function_engine();
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
  EXPECT_NE(*first, engine.get());
  EXPECT_TRUE((*first)->is_pooled());
  // A function engine is its own function engine.
  auto again = (*first)->ensure_function_engine();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
}

TEST(FunctionPool, CompiledCodeMovesToThePoolAndRuns) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  auto program = engine::load_program(engine->wasmtime_engine(), bytes_of(kCore), "core.wat");
  ASSERT_TRUE(program) << program.error().to_string();
  auto placed = place_on_function_engine(*engine, program->shared_data(), 64 << 20);
  ASSERT_TRUE(placed) << placed.error().to_string();
  EXPECT_TRUE(placed->first->is_pooled());
  // Its data segment was copied into a pooled memory slot.
  auto live = LiveInstance::create(*placed->first, placed->second, {}, {});
  ASSERT_TRUE(live) << live.error().to_string();
  auto outcome = call_by_name(*live, "answer", {}, LiveInstance::Match::Exact);
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  ASSERT_EQ(outcome->values.size(), 1u);
  EXPECT_EQ(outcome->values[0], Value::s32(42));
}

TEST(FunctionPool, CodeFromAnEngineWithOtherSettingsIsRefusedNotRecompiled) {
  // Moving is deserializing: Wasmtime checks that the code was compiled
  // with the same memory settings, which a differently configured engine's
  // code is not.
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  wasmtime::Config config = engine::Engine::make_config(FuelMetering::Off);
  config.memory_reservation(std::uint64_t{1} << 32);
  wasmtime::Engine other(std::move(config));
  auto program = engine::load_program(other, bytes_of(kCore), "core.wat");
  ASSERT_TRUE(program) << program.error().to_string();
  auto placed = place_on_function_engine(*engine, program->shared_data(), 64 << 20);
  ASSERT_FALSE(placed);
  EXPECT_EQ(placed.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_NE(placed.error().message().find("memory reservation"), std::string::npos)
      << placed.error().message();
}

TEST(FunctionPool, AMaxMemoryAboveASlotStaysOnDemand) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  auto program = engine::load_program(engine->wasmtime_engine(), bytes_of(kCore), "core.wat");
  ASSERT_TRUE(program);
  auto placed = place_on_function_engine(*engine, program->shared_data(),
                                         engine::Engine::pool_max_memory_bytes() + 1);
  ASSERT_FALSE(placed);
  EXPECT_NE(placed.error().message().find("max-memory"), std::string::npos)
      << placed.error().message();
}

TEST(FunctionPool, AFullPoolRefusesAnHttpInstanceAsBusy) {
  auto engine = make_engine(/*slots=*/1);
  ASSERT_TRUE(engine);
  auto program = engine::load_program_file(engine->wasmtime_engine(),
                                           testing::guest_path("http_hello", "component"));
  ASSERT_TRUE(program) << program.error().to_string();
  auto proxy = ProxyTemplate::create(*engine, program->shared_data(), {}, nullptr, std::nullopt,
                                     ProxyTemplate::Placement::Pooled, 64 << 20);
  ASSERT_TRUE(proxy) << proxy.error().to_string();
  ASSERT_TRUE((*proxy)->is_pooled()) << (*proxy)->on_demand_reason();
  EXPECT_TRUE((*proxy)->instantiate_once({}, {}));
  // Another component instance takes the only slot...
  auto pooled = engine->ensure_function_engine();
  ASSERT_TRUE(pooled);
  auto moved = engine::program_for_engine((*pooled)->wasmtime_engine(), *program->shared_data());
  ASSERT_TRUE(moved) << moved.error().to_string();
  auto holder = LiveInstance::create(**pooled, moved->shared_data(), {}, {});
  ASSERT_TRUE(holder) << holder.error().to_string();
  // ...so the next is refused as busy, and the host carries on.
  auto refused = (*proxy)->instantiate_once({}, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_NE(refused.error().message().find("capacity"), std::string::npos)
      << refused.error().message();
  // Once the slot is free again, instances are made as before.
  { LiveInstance released = std::move(*holder); }
  EXPECT_TRUE((*proxy)->instantiate_once({}, {}));
}

TEST(FunctionPoolDeathTest, APoolThatCannotBeReservedIsAnErrorNotAnAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto engine = make_engine();
        if (!engine) std::_Exit(3);
        // Room for the process as it is and 64 GiB more, not for a pool of
        // 2,048 memory slots of 288 MiB of address space each.
        std::uint64_t pages = 0;
        if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
          if (std::fscanf(statm, "%lu", &pages) != 1) pages = 0;
          std::fclose(statm);
        }
        if (pages == 0) std::_Exit(5);
        rlimit limit{};
        getrlimit(RLIMIT_AS, &limit);
        limit.rlim_cur = pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) +
                         (std::uint64_t{64} << 30);
        if (setrlimit(RLIMIT_AS, &limit) != 0) std::_Exit(4);
        auto pooled = engine->ensure_function_engine();
        if (pooled) std::_Exit(1);
        const bool named = pooled.error().code() == ErrorCode::ResourceExhausted &&
                           pooled.error().message().find("function instances") != std::string::npos;
        std::_Exit(named ? 0 : 2);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace orivon::instance
