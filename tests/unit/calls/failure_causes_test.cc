// How failures travel up a chain of calls, and how a module's imports show
// where they lead before any call is made: real guests from
// tests/guests/chain, a real state directory, real services.
//
// The chain: the test calls `test.chain.top` (front), which calls
// `test.chain.middle` (upper), which calls `test.chain.bottom` (lower, a core
// module). The bottom traps on a division by zero, or calls functions of a
// module that is not installed, one under a name of over 4 KiB.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "orivon/runtime.h"
#include "support/process.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

constexpr const char* kTop = "test.chain.top";
constexpr const char* kMiddle = "test.chain.middle";
constexpr const char* kBottom = "test.chain.bottom";
constexpr const char* kUpper = "orivon:chain/upper@0.1.0";
constexpr const char* kLower = "orivon:chain/lower@0.1.0";

// The per-hop cap (limits::kMaxFailureTextBytes) with room for the words
// each hop adds around it; the hostile name alone is over 4 KiB.
constexpr std::size_t kBoundedText = 1024;

class FailureCauses : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.state_dir = temp_.path();
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    install(kBottom, "chain_bottom", "core");
    install(kMiddle, "chain_middle", "component");
    install(kTop, "chain_top", "component");
  }

  void install(const std::string& name, const std::string& guest, const std::string& kind) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module_file(guest_path(guest, kind), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  void start(const std::string& name) {
    ServiceSettings settings;
    settings.restart.policy = RestartPolicy::Never;  // a crash stays visible
    settings.call_deadline = 5s;
    settings.stop_grace = 200ms;
    runtime_->set_service_settings(id(name), settings);
    auto started = runtime_->start_service(id(name));
    ASSERT_TRUE(started) << started.error().to_string();
  }

  void grant(const std::string& caller, const std::string& target,
             std::vector<std::string> functions = {}) {
    auto granted = runtime_->grant_calls(id(caller), id(target), functions);
    ASSERT_TRUE(granted) << granted.error().to_string();
  }

  // The whole chain granted and running.
  void chain() {
    grant(kMiddle, kBottom);
    grant(kTop, kMiddle);
    start(kBottom);
    start(kMiddle);
    start(kTop);
  }

  std::string call(const std::string& name, std::string_view expression) {
    auto outcome = runtime_->call(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  std::vector<std::string> log_lines(const std::string& name) {
    std::vector<std::string> lines;
    for (const auto& entry : runtime_->service_logs(id(name), 0, 1000)) lines.push_back(entry.text);
    return lines;
  }

  // The log line that recorded the crash, or empty.
  std::string crash_line(const std::string& name) {
    for (const auto& line : log_lines(name)) {
      if (line.starts_with("state running -> crashed")) return line;
    }
    return {};
  }

  int lines_containing(const std::string& name, const std::string& text) {
    int count = 0;
    for (const auto& line : log_lines(name)) count += line.find(text) != std::string::npos;
    return count;
  }

  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(FailureCauses, ACallersErrCarriesTheTrapTwoHopsBelow) {
  chain();
  EXPECT_EQ(call(kTop, "checked-divide(84, 2)"), "ok(42)");
  const std::string result = call(kTop, "checked-divide(7, 0)");
  // WAVE escapes the quotes: 'test.chain.middle' failed in ...: 'test.chain.bottom' ...
  EXPECT_THAT(result, StartsWith("err(\"\\'test.chain.middle\\' failed in " +
                                 std::string(kUpper) + "#checked-divide: "));
  EXPECT_THAT(result, EndsWith("\\'test.chain.bottom\\' failed in divide: "
                               "wasm trap: integer divide by zero\")"));
  // The top got a value and runs on; the two below it crashed, and each log's
  // crash line says why, down to the root cause.
  EXPECT_EQ(runtime_->service_metrics(id(kTop)).state, ModuleState::Running);
  EXPECT_EQ(crash_line(kBottom), "state running -> crashed: wasm trap: integer divide by zero");
  EXPECT_EQ(crash_line(kMiddle),
            "state running -> crashed: 'test.chain.bottom' failed in divide: "
            "wasm trap: integer divide by zero");
}

TEST_F(FailureCauses, ATrapThatCannotBeAnErrKeepsItsCauseAtEveryHop) {
  chain();
  auto outcome = runtime_->call(id(kTop), "divide(7, 0)");
  ASSERT_FALSE(outcome);
  // What the client sees names every hop and the root cause.
  const std::string chain_cause = "'test.chain.middle' failed in " + std::string(kUpper) +
                                  "#divide: 'test.chain.bottom' failed in divide: "
                                  "wasm trap: integer divide by zero";
  EXPECT_THAT(outcome.error().to_string(), HasSubstr(chain_cause));
  // All three crashed, and no crash line says only "guest trapped".
  EXPECT_EQ(crash_line(kTop), "state running -> crashed: " + chain_cause);
  EXPECT_EQ(crash_line(kMiddle),
            "state running -> crashed: 'test.chain.bottom' failed in divide: "
            "wasm trap: integer divide by zero");
  EXPECT_EQ(crash_line(kBottom), "state running -> crashed: wasm trap: integer divide by zero");
}

TEST_F(FailureCauses, AHostileCalleesLongReasonIsCutAtEveryHopKeepingItsEnd) {
  chain();
  const std::string result = call(kTop, "checked-long-trap()");
  EXPECT_THAT(result, StartsWith("err(\"\\'test.chain.middle\\' failed in"));
  EXPECT_THAT(result, HasSubstr("bytes left out"));
  // The end of the root cause survives the cut.
  EXPECT_THAT(result, EndsWith("from \\'test.nobody.here\\', which is not installed\")"));
  EXPECT_LT(result.size(), kBoundedText);

  // Again where nothing can carry an error: the middle and the bottom run
  // again first (the call above crashed them).
  ASSERT_TRUE(runtime_->restart_service(id(kBottom)));
  ASSERT_TRUE(runtime_->restart_service(id(kMiddle)));
  auto outcome = runtime_->call(id(kTop), "long-trap()");
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().to_string(), HasSubstr("which is not installed"));
  EXPECT_LT(outcome.error().to_string().size(), 4 * kBoundedText);
  // Every log line of every hop stays bounded too, the bottom's note of the
  // missing module included.
  for (const char* name : {kTop, kMiddle, kBottom}) {
    EXPECT_THAT(crash_line(name), HasSubstr("which is not installed")) << name;
    for (const auto& line : log_lines(name)) {
      EXPECT_LT(line.size(), kBoundedText) << name << ": " << line.substr(0, 300);
    }
  }
}

TEST_F(FailureCauses, ACallToAModuleThatIsNotInstalledIsNotedInTheCallersLog) {
  start(kBottom);
  auto outcome = runtime_->call(id(kBottom), "missing()");
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().to_string(),
              HasSubstr("'test.chain.bottom' imports gone from 'test.nobody.here', which is not "
                        "installed"));
  EXPECT_EQ(lines_containing(kBottom, "call failed: 'test.chain.bottom' imports gone from "
                                      "'test.nobody.here', which is not installed"),
            1);
}

TEST_F(FailureCauses, ImportRoutesShowAMissingGrantBeforeAnyCall) {
  auto routes = runtime_->import_routes(id(kTop));
  ASSERT_TRUE(routes) << routes.error().to_string();
  ASSERT_EQ(routes->size(), 4u);
  // With no grant, the provider named is the first installed module found
  // to serve the function: for `divide`, the bottom serves it by name too.
  const ImportRoute& divide = (*routes)[0];
  EXPECT_EQ(divide.import, kUpper);
  EXPECT_EQ(divide.function, "divide");
  EXPECT_EQ(divide.status, ImportRoute::Status::Denied);
  EXPECT_FALSE(divide.carries_error);
  EXPECT_THAT(import_route_text(id(kTop), divide),
              StartsWith("NO GRANT: a call will trap (orivon grant test.chain.top "));
  const ImportRoute& checked = (*routes)[1];
  EXPECT_EQ(checked.function, "checked-divide");
  EXPECT_EQ(checked.status, ImportRoute::Status::Denied);
  EXPECT_EQ(checked.target, kMiddle);
  EXPECT_EQ(checked.target_function, std::string(kUpper) + "#checked-divide");
  EXPECT_TRUE(checked.carries_error);
  EXPECT_EQ(import_route_text(id(kTop), checked),
            "NO GRANT: a call returns an error (orivon grant test.chain.top test.chain.middle " +
                std::string(kUpper) + "#checked-divide)");

  grant(kTop, kMiddle, {"divide"});
  routes = runtime_->import_routes(id(kTop));
  ASSERT_TRUE(routes) << routes.error().to_string();
  EXPECT_EQ((*routes)[0].status, ImportRoute::Status::Granted);
  EXPECT_EQ(import_route_text(id(kTop), (*routes)[0]), "-> test.chain.middle (granted)");
  EXPECT_EQ((*routes)[1].status, ImportRoute::Status::Denied);

  // A core module's import of a module that is not installed.
  auto bottom = runtime_->import_routes(id(kBottom));
  ASSERT_TRUE(bottom) << bottom.error().to_string();
  ASSERT_EQ(bottom->size(), 2u);
  for (const auto& route : *bottom) {
    EXPECT_EQ(route.import, "test.nobody.here");
    EXPECT_EQ(route.status, ImportRoute::Status::Unavailable);
    EXPECT_EQ(import_route_text(id(kBottom), route),
              "NOT INSTALLED: no module provides it; a call will trap");
  }
  // The middle imports the bottom's core exports by name (the two it uses:
  // a component imports only the functions its code calls).
  auto middle = runtime_->import_routes(id(kMiddle));
  ASSERT_TRUE(middle) << middle.error().to_string();
  ASSERT_EQ(middle->size(), 2u);
  EXPECT_EQ((*middle)[0].import, kLower);
  EXPECT_EQ((*middle)[0].status, ImportRoute::Status::Denied);
  EXPECT_EQ((*middle)[0].target, kBottom);
  EXPECT_EQ((*middle)[0].target_function, "divide");

  EXPECT_EQ(runtime_->import_routes(id("test.not.installed")).error().code(), ErrorCode::NotFound);
}

TEST_F(FailureCauses, AStartWarnsOncePerImportNoCallCanPass) {
  grant(kTop, kMiddle, {"divide", "long-trap"});
  start(kTop);
  // The two imports still without a grant are noted, once each; the granted
  // ones are not.
  EXPECT_EQ(lines_containing(kTop, "NO GRANT"), 2);
  EXPECT_EQ(lines_containing(kTop, "import " + std::string(kUpper) +
                                       "#checked-divide: NO GRANT: a call returns an error "
                                       "(orivon grant test.chain.top test.chain.middle " +
                                       std::string(kUpper) + "#checked-divide)"),
            1);
  EXPECT_EQ(lines_containing(kTop, "#checked-long-trap: NO GRANT"), 1);
  EXPECT_EQ(lines_containing(kTop, "#divide: NO GRANT"), 0);
  start(kBottom);
  EXPECT_EQ(lines_containing(kBottom, "import test.nobody.here#gone: NOT INSTALLED: no module "
                                      "provides it; a call will trap"),
            1);
  // A fully granted service starts without a word about its imports.
  grant(kMiddle, kBottom);
  start(kMiddle);
  EXPECT_EQ(lines_containing(kMiddle, "NO GRANT"), 0);
  EXPECT_THAT(log_lines(kMiddle), Not(::testing::Contains(HasSubstr("NOT INSTALLED"))));
}

}  // namespace
}  // namespace orivon
