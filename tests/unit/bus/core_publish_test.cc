// orivon:events publish, the event bus for core modules (a Go node cannot
// import wasi:messaging): a core module publishes through it under the same
// topic grants as a component, and every misuse is an errno, never a trap
// and never a delivery. The module is WebAssembly text, its topics and
// payload in a data segment.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "orivon/runtime.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon {
namespace {

using orivon::testing::eventually;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

// Memory: "core.ok" at 0 (7 bytes), "core.other" at 16 (10), "a..b" at 32
// (4), "hello" at 48 (5).
constexpr std::string_view kPublisher = R"((module
  (import "orivon:events" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "core.ok")
  (data (i32.const 16) "core.other")
  (data (i32.const 32) "a..b")
  (data (i32.const 48) "hello")
  (func (export "granted") (result i32)
    (call $publish (i32.const 0) (i32.const 7) (i32.const 48) (i32.const 5)))
  (func (export "ungranted") (result i32)
    (call $publish (i32.const 16) (i32.const 10) (i32.const 48) (i32.const 5)))
  (func (export "bad_topic") (result i32)
    (call $publish (i32.const 32) (i32.const 4) (i32.const 48) (i32.const 5)))
  (func (export "topic_past_memory") (result i32)
    (call $publish (i32.const 65530) (i32.const 7) (i32.const 48) (i32.const 5)))
  (func (export "data_wrapping") (result i32)
    (call $publish (i32.const 0) (i32.const 7) (i32.const -16) (i32.const 64)))
  (func (export "huge_data") (result i32)
    (call $publish (i32.const 0) (i32.const 7) (i32.const 0) (i32.const 0x7fffffff)))
  (func (export "huge_topic") (result i32)
    (call $publish (i32.const 0) (i32.const -1) (i32.const 48) (i32.const 5))))
)";

TEST(CorePublish, PublishesUnderTopicGrantsAndRefusesEveryMisuse) {
  TempDir temp;
  RuntimeOptions options;
  options.state_dir = temp.path();
  auto runtime = Runtime::create(options);
  ASSERT_TRUE(runtime) << runtime.error().to_string();
  Runtime& rt = **runtime;

  std::mutex mutex;
  std::vector<ReceivedEvent> seen;
  auto subscription = rt.subscribe_events("core.>", [&](const ReceivedEvent& event) -> Result<void> {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(event);
    return ok();
  });
  ASSERT_TRUE(subscription) << subscription.error().to_string();
  const auto seen_count = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return seen.size();
  };

  AddOptions add;
  add.id = id("app.corepub.test");
  auto added = rt.add_module(std::as_bytes(std::span(kPublisher.data(), kPublisher.size())), add);
  ASSERT_TRUE(added) << added.error().to_string();
  ASSERT_TRUE(rt.allow_grant(id("app.corepub.test"), "topic:core.ok:publish"));
  ASSERT_TRUE(rt.start_service(id("app.corepub.test")));
  const auto call = [&](const std::string& function) {
    auto outcome = rt.call(id("app.corepub.test"), function + "()");
    EXPECT_TRUE(outcome) << function << ": " << outcome.error().to_string();
    return outcome ? outcome->results : std::string("error");
  };

  EXPECT_EQ(call("ungranted"), "-2");          // no grant for core.other
  EXPECT_EQ(call("bad_topic"), "-28");         // empty token
  EXPECT_EQ(call("topic_past_memory"), "-21");
  EXPECT_EQ(call("data_wrapping"), "-21");
  EXPECT_EQ(call("huge_data"), "-28");         // past the payload limit, before any copy
  EXPECT_EQ(call("huge_topic"), "-28");
  EXPECT_EQ(call("granted"), "0");
  ASSERT_TRUE(eventually([&] { return seen_count() >= 1; }));
  // Only the granted publish was delivered, as the module.
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].message.topic, "core.ok");
    EXPECT_EQ(std::string(seen[0].message.data.begin(), seen[0].message.data.end()), "hello");
    EXPECT_EQ(seen[0].publisher, "app.corepub.test");
  }
  EXPECT_EQ(rt.service_metrics(id("app.corepub.test")).state, ModuleState::Running);
  EXPECT_EQ(rt.service_metrics(id("app.corepub.test")).traps, 0u);
}

}  // namespace
}  // namespace orivon
