// The example application of examples/app, wired as scripts/demo.sh wires
// it, through the public API: a library, a group with failover, a service
// calling another through a per-function grant, a denied call, and a Go
// module.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orivon/runtime.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

TEST(ExampleApp, ShowsEveryMechanism) {
  TempDir temp;
  RuntimeOptions options;
  options.state_dir = temp.path();
  auto created = Runtime::create(options);
  ASSERT_TRUE(created) << created.error().to_string();
  Runtime& runtime = **created;
  const std::vector<std::pair<std::string, std::filesystem::path>> modules = {
      {"lib.text.demo", guest_path("app_text", "component")},
      {"group.greeter.demo", guest_path("app_greeter_group", "component")},
      {"app.greeter.en", guest_path("app_greeter_en", "component")},
      {"app.greeter.fr", guest_path("app_greeter_fr", "component")},
      {"app.stats.go", guest_path("stats_go", "core")},
      {"app.front.demo", guest_path("app_front", "component")},
      {"app.visits.demo", guest_path("app_visits", "component")},
  };
  for (const auto& [name, path] : modules) {
    AddOptions add;
    add.id = id(name);
    auto added = runtime.add_module_file(path, add);
    ASSERT_TRUE(added) << name << ": " << added.error().to_string();
  }
  auto grant = [&](const std::string& caller, const std::string& target,
                   std::vector<std::string> functions = {}) {
    auto granted = runtime.grant_calls(id(caller), id(target), functions);
    ASSERT_TRUE(granted) << granted.error().to_string();
  };
  grant("app.greeter.en", "lib.text.demo");
  grant("app.greeter.fr", "lib.text.demo");
  grant("group.greeter.demo", "app.greeter.en");
  grant("group.greeter.demo", "app.greeter.fr");
  grant("app.front.demo", "group.greeter.demo", {"greet"});
  grant("app.front.demo", "app.stats.go", {"record", "count"});
  // The greeters count their greetings in one bucket, through atomics.
  ASSERT_TRUE(runtime.kv_create_bucket("visits"));
  for (const char* greeter : {"app.greeter.en", "app.greeter.fr"}) {
    ASSERT_TRUE(runtime.allow_grant(id(greeter), "kv:visits:rw"));
  }
  // front publishes each visit; app.visits.demo receives them.
  ASSERT_TRUE(runtime.allow_grant(id("app.front.demo"), "topic:visits.*:publish"));
  ASSERT_TRUE(runtime.allow_grant(id("app.visits.demo"), "topic:visits.*:subscribe"));
  ASSERT_TRUE(runtime.subscribe_module(id("app.visits.demo"), "visits.*", EventDurability::Ephemeral));
  for (const char* service : {"app.stats.go", "app.greeter.en", "app.greeter.fr", "app.visits.demo",
                              "app.front.demo"}) {
    auto started = runtime.start_service(id(service));
    ASSERT_TRUE(started) << service << ": " << started.error().to_string();
  }
  auto call = [&](const std::string& name, std::string_view expression) {
    auto outcome = runtime.call(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  };
  EXPECT_EQ(call("app.front.demo", "hello(\"Ada\")"), "ok(\"Hello, ADA! (visit 1)\")");
  // Failover: the first member stops, the second answers.
  ASSERT_TRUE(runtime.stop_service(id("app.greeter.en")));
  EXPECT_EQ(call("app.front.demo", "hello(\"Grace\")"), "ok(\"Bonjour, GRACE ! (visit 2)\")");
  EXPECT_EQ(call("app.front.demo", "visitors()"), "2");
  EXPECT_EQ(call("app.stats.go", "total()"), "8");
  auto counted = [&](const char* key) -> std::string {
    auto entry = runtime.kv_get("visits", key);
    if (!entry || !*entry) return "absent";
    return std::string(reinterpret_cast<const char*>((*entry)->value.data()), (*entry)->value.size());
  };
  EXPECT_EQ(counted("greetings"), "2");
  EXPECT_EQ(counted("greetings-en"), "1");
  EXPECT_EQ(counted("greetings-fr"), "1");
  // The two visit events reached the counter (delivered asynchronously).
  EXPECT_TRUE(orivon::testing::eventually([&] { return call("app.visits.demo", "seen()") == "2"; }))
      << call("app.visits.demo", "seen()");
  EXPECT_EQ(call("app.visits.demo", "last()"), "\"Grace\"");
  // Denied: the greet grant taken back; the group's members never see it.
  ASSERT_TRUE(runtime.revoke_calls(id("app.front.demo"), id("group.greeter.demo"), {"greet"}));
  const std::string denied = call("app.front.demo", "hello(\"Eve\")");
  EXPECT_THAT(denied, StartsWith("err("));
  EXPECT_THAT(denied, HasSubstr("may not call app:demo/greeter@1.0.0#greet"));
  EXPECT_EQ(call("app.stats.go", "count()"), "2");
  // Every refusal is counted on the caller.
  EXPECT_THAT(call("app.front.demo", "hello(\"x\")"), HasSubstr("no grant"));
  EXPECT_EQ(runtime.service_metrics(id("app.front.demo")).denied_calls, 2u);
}

}  // namespace
}  // namespace orivon

namespace orivon {
namespace {

// The guest SDK's template (examples/template): a daemon from the
// orivon:service WIT package, with a counter interface.
TEST(Template, CounterRunsAsADaemonAndAnswersCalls) {
  orivon::testing::TempDir temp;
  RuntimeOptions options;
  options.state_dir = temp.path();
  auto created = Runtime::create(options);
  ASSERT_TRUE(created) << created.error().to_string();
  Runtime& runtime = **created;
  AddOptions add;
  add.id = *ModuleId::parse("example.counter.demo");
  auto added = runtime.add_module_file(orivon::testing::guest_path("template_counter", "component"), add);
  ASSERT_TRUE(added) << added.error().to_string();
  ASSERT_TRUE(runtime.start_service(*add.id));
  auto call = [&](std::string_view expression) {
    auto outcome = runtime.call(*add.id, expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  };
  EXPECT_EQ(call("add(5)"), "5");
  EXPECT_EQ(call("add(2)"), "7");
  EXPECT_EQ(call("take(9)"), "err(\"not enough\")");
  EXPECT_EQ(call("take(3)"), "ok(4)");
  EXPECT_TRUE(orivon::testing::eventually([&] {
    for (const auto& entry : runtime.service_logs(*add.id, 0, 100)) {
      if (entry.text.find("counter running") != std::string::npos) return true;
    }
    return false;
  }));
  ASSERT_TRUE(runtime.stop_service(*add.id));
  bool stopped = false;
  for (const auto& entry : runtime.service_logs(*add.id, 0, 100)) {
    if (entry.text.find("counter stopping at 4") != std::string::npos) stopped = true;
  }
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace orivon
