// Calls between modules through the public Runtime API: real components
// built from tests/guests/calls, a real state directory, real threads.
//
// `test.caller.one` (the caller guest) imports orivon:calltest/values; the
// callee guest exports it and is installed under several ids and kinds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <thread>

#include "orivon/runtime.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using orivon::testing::eventually;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

constexpr const char* kCaller = "test.caller.one";
constexpr const char* kCallee = "test.callee.one";
constexpr const char* kValues = "orivon:calltest/values@0.1.0";

class Calls : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(std::optional<std::uint64_t> max_call_bytes = std::nullopt) {
    runtime_.reset();
    RuntimeOptions options;
    options.state_dir = temp_.path();
    if (max_call_bytes) options.max_call_bytes = *max_call_bytes;
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
  }

  void install(const std::string& name, const std::string& guest,
               const std::string& kind = "component", std::optional<Manifest> manifest = {}) {
    AddOptions options;
    options.id = id(name);
    options.manifest = std::move(manifest);
    auto added = runtime_->add_module_file(guest_path(guest, kind), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  void start(const std::string& name) {
    ServiceSettings settings;
    settings.restart.policy = RestartPolicy::Never;
    settings.call_deadline = 3s;
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

  std::string call(const std::string& name, std::string_view expression) {
    auto outcome = runtime_->call(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  // The caller and one callee, both running.
  void caller_and_callee() {
    install(kCaller, "call_caller");
    install(kCallee, "call_callee");
    start(kCallee);
    start(kCaller);
  }

  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(Calls, EveryValueKindCrossesAGrantedCall) {
  caller_and_callee();
  grant(kCaller, kCallee);
  EXPECT_EQ(call(kCaller, "round-trip()"), "ok(\"18 kinds ok\")");
  EXPECT_EQ(call(kCaller, "relay-string(\"d\\u{e9}j\\u{e0} vu\")"), "\"déjà vu\"");
  EXPECT_EQ(call(kCaller, "relay-point({x: -7, y: 8})"), "{x: -7, y: 8}");
  EXPECT_EQ(call(kCaller, "relay-checked(21)"), "ok(42)");
  // The callee's own error is the callee's answer, not a failure of the call.
  EXPECT_EQ(call(kCaller, "relay-checked(0)"), "err(\"zero is not allowed\")");
  // Payloads up to 64 KiB travel whole.
  EXPECT_EQ(call(kCaller, "relay-size(65536)"), "65536");
  // The callee is a running service with its own state: it counted them.
  // round-trip made 20 calls (two each for option and result), then 5 more.
  EXPECT_EQ(call(kCaller, "relay-count()"), "25");
  EXPECT_EQ(call(kCaller, "relay-whoami()"), "\"test.callee.one\"");
}

TEST_F(Calls, NoGrantMeansTheCallIsDeniedAndNeverReachesTheTarget) {
  caller_and_callee();
  const std::string denied = call(kCaller, "relay-checked(5)");
  EXPECT_THAT(denied, StartsWith("err(\""));
  // WAVE escapes the quotes: test.caller.one may not call ...#checked of test.callee.one
  EXPECT_THAT(denied, HasSubstr("test.caller.one\\' may not call " + std::string(kValues) +
                                "#checked of \\'test.callee.one"));
  // The target never saw it.
  EXPECT_EQ(call(kCallee, "count()"), "0");
  // Recorded: counted on the caller and noted in its log.
  EXPECT_EQ(runtime_->service_metrics(id(kCaller)).denied_calls, 1u);
  bool noted = false;
  for (const auto& entry : runtime_->service_logs(id(kCaller), 0, 100)) {
    if (entry.text.find("denied: 'test.caller.one' may not call") != std::string::npos) noted = true;
  }
  EXPECT_TRUE(noted);
  // The caller is still fine.
  EXPECT_EQ(runtime_->service_metrics(id(kCaller)).state, ModuleState::Running);
}

TEST_F(Calls, AFunctionThatCannotCarryAnErrorTrapsTheCallerWithTheReason) {
  caller_and_callee();
  // relay-count returns a plain u32: the denial cannot be an err value.
  auto outcome = runtime_->call(id(kCaller), "relay-count()");
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().to_string(), HasSubstr("may not call " + std::string(kValues) + "#count"));
  EXPECT_EQ(call(kCallee, "count()"), "0");
}

TEST_F(Calls, SelectedFunctionsOnly) {
  caller_and_callee();
  grant(kCaller, kCallee, {"checked"});  // unqualified: normalized to the interface's
  EXPECT_EQ(call(kCaller, "relay-checked(4)"), "ok(8)");
  EXPECT_THAT(call(kCaller, "relay-call-back()"), HasSubstr("may not call " + std::string(kValues) + "#call-back"));
  auto grants = runtime_->call_grants(id(kCaller));
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].functions, std::vector<std::string>{std::string(kValues) + "#checked"});
  // A name the target does not export is refused, with what it does export.
  auto unknown = runtime_->grant_calls(id(kCaller), id(kCallee), {"nope"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(unknown.error().message(), HasSubstr("#checked"));
}

TEST_F(Calls, RevocationTakesEffectOnTheNextCallEvenWhileCallsAreInFlight) {
  caller_and_callee();
  grant(kCaller, kCallee, {"checked"});
  std::atomic<bool> revoked{false};
  std::atomic<int> allowed_after{0}, denied{0}, other{0}, before{0};
  std::thread caller([&] {
    for (int i = 0; i < 4000; ++i) {
      const bool after = revoked.load();
      const std::string result = call(kCaller, "relay-checked(3)");
      if (result == "ok(6)") {
        ++(after ? allowed_after : before);
      } else if (result.find("may not call") != std::string::npos) {
        ++denied;
      } else {
        ++other;
      }
    }
  });
  EXPECT_TRUE(eventually([&] { return before.load() >= 200; }));
  ASSERT_TRUE(runtime_->revoke_calls(id(kCaller), id(kCallee), {"checked"}));
  revoked = true;
  caller.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(allowed_after.load(), 0) << "a call started after the revocation got through";
  EXPECT_GT(denied.load(), 0);
  // Nothing more reached the target after the revocation.
  EXPECT_EQ(call(kCallee, "count()"), std::to_string(before.load()));
  // Revoking what is not granted is an error.
  EXPECT_FALSE(runtime_->revoke_calls(id(kCaller), id(kCallee)));
}

TEST_F(Calls, KindRulesAreEnforcedWhenGranting) {
  install(kCaller, "call_caller");
  install("lib.values.one", "call_callee");
  install("lib.values.two", "call_callee");
  install(kCallee, "call_callee");
  install("group.values.test", "call_values_group");
  // A library may be granted only libraries.
  auto refused = runtime_->grant_calls(id("lib.values.one"), id(kCallee));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::PermissionDenied);
  EXPECT_THAT(refused.error().message(), HasSubstr("may be granted only other libraries"));
  EXPECT_TRUE(runtime_->grant_calls(id("lib.values.one"), id("lib.values.two")));
  // A group only members that export its interface.
  EXPECT_TRUE(runtime_->grant_calls(id("group.values.test"), id(kCallee)));
  auto not_member = runtime_->grant_calls(id("group.values.test"), id(kCaller));
  ASSERT_FALSE(not_member);
  EXPECT_THAT(not_member.error().message(), HasSubstr("does not export " + std::string(kValues)));
  auto library_member = runtime_->grant_calls(id("group.values.test"), id("lib.values.two"));
  ASSERT_FALSE(library_member);
  EXPECT_EQ(library_member.error().code(), ErrorCode::PermissionDenied);
  // A service anything; but not itself, and not what is not installed.
  EXPECT_TRUE(runtime_->grant_calls(id(kCaller), id("group.values.test")));
  EXPECT_TRUE(runtime_->grant_calls(id(kCaller), id("lib.values.one")));
  EXPECT_FALSE(runtime_->grant_calls(id(kCaller), id(kCaller)));
  EXPECT_EQ(runtime_->grant_calls(id(kCaller), id("test.not.there")).error().code(),
            ErrorCode::NotFound);
}

TEST_F(Calls, ALibraryLivesInItsCallersStoreWithTheCallersAccessOnly) {
  install(kCaller, "call_caller");
  install("lib.values.one", "call_callee");
  // Whatever the library itself was granted, it runs with its caller's WASI
  // context (a service's, here: no environment at all).
  ASSERT_TRUE(runtime_->decide_grant(id("lib.values.one"), "env:HOME", GrantDecision::Allow));
  start(kCaller);
  grant(kCaller, "lib.values.one");
  EXPECT_EQ(call(kCaller, "round-trip()"), "ok(\"18 kinds ok\")");
  // State lives in the caller's instance of the library: it counted the
  // caller's 20 calls, and nothing else has an instance of it.
  EXPECT_EQ(call(kCaller, "relay-count()"), "20");
  EXPECT_EQ(call(kCaller, "relay-env-count()"), "0");
  // Libraries cannot run as services.
  auto started = runtime_->start_service(id("lib.values.one"));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), ErrorCode::FailedPrecondition);
  // The library's counters have every call into it, from modules and
  // clients alike.
  const std::uint64_t from_modules = runtime_->service_metrics(id("lib.values.one")).calls;
  EXPECT_GE(from_modules, 20u);
  // A client may call a library directly: a fresh instance each time.
  EXPECT_EQ(call("lib.values.one", "checked(5)"), "ok(10)");
  EXPECT_EQ(call("lib.values.one", "count()"), "0");
  const auto metrics = runtime_->service_metrics(id("lib.values.one"));
  EXPECT_EQ(metrics.calls, from_modules + 2);
  EXPECT_EQ(metrics.call_durations.count(), metrics.calls);
  EXPECT_EQ(metrics.traps, 0u);
}

TEST_F(Calls, AGroupRoutesToTheFirstHealthyMemberAndFailsOver) {
  install(kCaller, "call_caller");
  install("test.member.one", "call_callee");
  install("test.member.two", "call_callee");
  install("group.values.test", "call_values_group");
  grant("group.values.test", "test.member.one");
  grant("group.values.test", "test.member.two");
  grant(kCaller, "group.values.test");
  start("test.member.one");
  start("test.member.two");
  start(kCaller);
  EXPECT_EQ(call(kCaller, "relay-whoami()"), "\"test.member.one\"");
  EXPECT_EQ(call(kCaller, "relay-whoami()"), "\"test.member.one\"");
  ASSERT_TRUE(runtime_->stop_service(id("test.member.one")));
  EXPECT_EQ(call(kCaller, "relay-whoami()"), "\"test.member.two\"");
  EXPECT_EQ(call(kCaller, "relay-checked(2)"), "ok(4)");
  // A client can call the group too.
  EXPECT_EQ(call("group.values.test", "whoami()"), "\"test.member.two\"");
  ASSERT_TRUE(runtime_->stop_service(id("test.member.two")));
  EXPECT_THAT(call(kCaller, "relay-checked(2)"), HasSubstr("no member of group"));
  ASSERT_TRUE(runtime_->start_service(id("test.member.one")));
  EXPECT_EQ(call(kCaller, "relay-whoami()"), "\"test.member.one\"");
}

// A member can stop while a call waits for its store: the call then finds
// it not running (ErrorTag::NotRunning) and goes on to the next member.
TEST_F(Calls, AGroupFailsOverFromAMemberThatStopsWhileTheCallWaitsForIt) {
  install("test.member.one", "call_callee");
  install("test.member.two", "call_callee");
  install("group.values.test", "call_values_group");
  grant("group.values.test", "test.member.one");
  grant("group.values.test", "test.member.two");
  start("test.member.one");
  start("test.member.two");
  // Holds member one's store until the stop interrupts it.
  std::thread spinning([&] { (void)runtime_->call(id("test.member.one"), "spin()"); });
  std::this_thread::sleep_for(200ms);
  std::string served;
  std::thread client([&] { served = call("group.values.test", "whoami()"); });
  std::this_thread::sleep_for(200ms);  // the client waits for member one's store now
  EXPECT_TRUE(runtime_->stop_service(id("test.member.one")));
  client.join();
  spinning.join();
  EXPECT_EQ(served, "\"test.member.two\"");
  EXPECT_EQ(runtime_->service_metrics(id("test.member.one")).state, ModuleState::Stopped);
}

TEST_F(Calls, AGroupCanRouteRoundRobin) {
  Manifest manifest;
  manifest.group["routing"] = "round-robin";
  install(kCaller, "call_caller");
  install("test.member.one", "call_callee");
  install("test.member.two", "call_callee");
  install("group.values.test", "call_values_group", "component", manifest);
  grant("group.values.test", "test.member.one");
  grant("group.values.test", "test.member.two");
  grant(kCaller, "group.values.test");
  start("test.member.one");
  start("test.member.two");
  start(kCaller);
  std::map<std::string, int> served;
  for (int i = 0; i < 10; ++i) ++served[call(kCaller, "relay-whoami()")];
  EXPECT_EQ(served["\"test.member.one\""], 5);
  EXPECT_EQ(served["\"test.member.two\""], 5);
}

TEST_F(Calls, ACycleFailsCleanlyInsteadOfHanging) {
  caller_and_callee();
  grant(kCaller, kCallee);
  grant(kCallee, kCaller);  // the callee's `back` import leads to the caller
  const std::string result = call(kCaller, "relay-call-back()");
  EXPECT_THAT(result, StartsWith("err(\""));
  EXPECT_THAT(result, HasSubstr("call cycle"));
  // Both are still running and answer.
  EXPECT_EQ(call(kCaller, "relay-checked(1)"), "ok(2)");
  EXPECT_EQ(runtime_->service_metrics(id(kCallee)).state, ModuleState::Running);
}

TEST_F(Calls, CallsInOppositeDirectionsOnTwoThreadsNeverDeadlock) {
  // A calls B while B calls A, from two client threads at once: whichever
  // closes the cycle gets an error; nobody waits forever.
  install("test.peer.one", "call_callee");
  install("test.peer.two", "call_callee");
  start("test.peer.one");
  start("test.peer.two");
  grant("test.peer.one", "test.peer.two");
  grant("test.peer.two", "test.peer.one");
  // Each peer's call-back pings the other's `back`... which the callee
  // does not export: so use the caller guest on both sides instead.
  install("test.side.one", "call_caller");
  install("test.side.two", "call_caller");
  grant("test.side.one", "test.peer.one");
  grant("test.side.two", "test.peer.two");
  grant("test.peer.one", "test.side.two");
  grant("test.peer.two", "test.side.one");
  start("test.side.one");
  start("test.side.two");
  std::atomic<int> done{0}, failed_other{0};
  auto drive = [&](const std::string& side) {
    for (int i = 0; i < 300; ++i) {
      const std::string result = call(side, "relay-call-back()");
      if (result != "ok(\"pong\")" && result.find("call cycle") == std::string::npos) ++failed_other;
    }
    ++done;
  };
  std::thread one(drive, "test.side.one");
  std::thread two(drive, "test.side.two");
  one.join();
  two.join();
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(failed_other.load(), 0);
}

TEST_F(Calls, ACoreModuleCallsAnotherModulesCoreExport) {
  install("test.probe.core", "service_probe", "core");
  install("test.core.caller", "core_caller", "core");
  start("test.probe.core");
  start("test.core.caller");
  grant("test.core.caller", "test.probe.core", {"add"});
  EXPECT_EQ(call("test.core.caller", "relay_add(40, 2)"), "42");
  ASSERT_TRUE(runtime_->revoke_calls(id("test.core.caller"), id("test.probe.core")));
  // A core caller cannot be handed an error value: it traps with the reason.
  EXPECT_THAT(call("test.core.caller", "relay_add(1, 2)"),
              HasSubstr("'test.core.caller' may not call add of 'test.probe.core'"));
}

TEST_F(Calls, GrantsSurviveARestartOfTheHost) {
  install(kCaller, "call_caller");
  install(kCallee, "call_callee");
  grant(kCaller, kCallee, {"checked", "echo-string"});
  open();
  auto grants = runtime_->call_grants(std::nullopt);
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].caller.str(), kCaller);
  EXPECT_EQ((*grants)[0].functions.size(), 2u);
  start(kCallee);
  start(kCaller);
  EXPECT_EQ(call(kCaller, "relay-checked(8)"), "ok(16)");
  // Removing the target is refused while the caller holds grants to it,
  // naming them, and leaves it running...
  auto refused = runtime_->remove_module(id(kCallee));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(refused.error().message(),
              HasSubstr(std::string(kCaller) + " may call " + kCallee + " (grant: "));
  EXPECT_EQ(runtime_->call_grants(std::nullopt)->size(), 1u);
  EXPECT_EQ(call(kCaller, "relay-checked(8)"), "ok(16)");
  // ...and forcing it takes the grants to it along, saying which.
  ASSERT_TRUE(runtime_->stop_service(id(kCallee)));
  auto removed = runtime_->remove_module(id(kCallee), RemoveDependents::Remove);
  ASSERT_TRUE(removed) << removed.error().to_string();
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0].caller, id(kCaller));
  EXPECT_EQ((*removed)[0].functions.size(), 2u);
  EXPECT_TRUE(runtime_->call_grants(std::nullopt)->empty());
  EXPECT_THAT(call(kCaller, "relay-checked(8)"), HasSubstr("no installed module exports"));
}

TEST_F(Calls, TheEmbeddingApiCallsAnyModuleKindWithTypedValues) {
  install(kCallee, "call_callee");
  install("lib.values.one", "call_callee");
  install("test.probe.core", "service_probe", "core");
  install("group.values.test", "call_values_group");
  grant("group.values.test", kCallee);
  start(kCallee);
  start("test.probe.core");

  const Value point = Value::record({{"x", Value::s32(-1)}, {"y", Value::s32(2)}});
  auto echoed = runtime_->call(id(kCallee), "echo-point", std::vector<Value>{point});
  ASSERT_TRUE(echoed) << echoed.error().to_string();
  ASSERT_EQ(echoed->size(), 1u);
  EXPECT_EQ((*echoed)[0], point);

  auto shape = runtime_->call(id(kCallee), std::string(kValues) + "#echo-shape",
                              std::vector<Value>{Value::variant("circle", Value::u32(9))});
  ASSERT_TRUE(shape) << shape.error().to_string();
  EXPECT_EQ(to_wave((*shape)[0]), "circle(9)");

  auto checked = runtime_->call(id("lib.values.one"), "checked", std::vector<Value>{Value::u32(0)});
  ASSERT_TRUE(checked) << checked.error().to_string();
  EXPECT_EQ((*checked)[0], Value::err(Value::string("zero is not allowed")));

  auto routed = runtime_->call(id("group.values.test"), "whoami", std::vector<Value>{});
  ASSERT_TRUE(routed) << routed.error().to_string();
  EXPECT_EQ((*routed)[0], Value::string(kCallee));

  auto sum = runtime_->call(id("test.probe.core"), "add", std::vector<Value>{Value::s32(40), Value::s32(2)});
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ((*sum)[0].as_s32(), 42);

  // A value of the wrong type is refused before anything runs.
  auto wrong = runtime_->call(id(kCallee), "echo-point", std::vector<Value>{Value::string("p")});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(call(kCallee, "count()"), "2");
}

// The calls tests run twice: as they are (strings and list<u8>s on the typed
// path) and with ORIVON_CALL_PATH=generic (tests/CMakeLists.txt).
bool generic_path() {
  const char* path = std::getenv("ORIVON_CALL_PATH");
  return path != nullptr && std::string_view(path) == "generic";
}

TEST_F(Calls, SixteenMebibytesCrossBetweenModulesBothWays) {
  if (generic_path()) GTEST_SKIP() << "the generic path copies one 32-byte value per byte";
  caller_and_callee();
  grant(kCaller, kCallee);
  // Sent, echoed through result<list<u8>, string> and checked byte by byte
  // by the caller.
  EXPECT_EQ(call(kCaller, "relay-bytes(16777216)"), "ok(16777216)");
  // Made by the callee, checked by the caller.
  EXPECT_EQ(call(kCaller, "relay-make(16777216)"), "16777216");
  EXPECT_EQ(call(kCaller, "relay-size(16777216)"), "16777216");
  // The callee's own error still comes back as its answer.
  EXPECT_EQ(call(kCaller, "relay-bytes(0)"), "err(\"empty\")");
}

TEST_F(Calls, ValuesPastThePerCallLimitFailWithAClearError) {
  open(1 << 20);
  caller_and_callee();
  grant(kCaller, kCallee);
  EXPECT_EQ(call(kCaller, "relay-bytes(1048576)"), "ok(1048576)");
  // An argument past the limit never reaches the callee: an err value here.
  const std::string refused = call(kCaller, "relay-bytes(1048577)");
  EXPECT_THAT(refused, StartsWith("err("));
  EXPECT_THAT(refused, HasSubstr("1048577 bytes, more than the per-call limit of 1048576 bytes"));
  EXPECT_EQ(call(kCallee, "count()"), "1");
  // A result past the limit: make-bytes returns a plain list<u8>, so the
  // caller traps with the reason.
  auto made = runtime_->call(id(kCaller), "relay-make(1048577)");
  ASSERT_FALSE(made);
  EXPECT_THAT(made.error().to_string(), HasSubstr("more than the per-call limit of 1048576 bytes"));
}

TEST_F(Calls, AHostileCalleesImpossibleLengthIsAnErrorNotACrash) {
  caller_and_callee();
  grant(kCaller, kCallee);
  for (const char* length : {"16", "2147483647", "4294967295"}) {
    const std::string lied = call(kCaller, std::string("relay-lie(") + length + ")");
    EXPECT_THAT(lied, StartsWith("err(")) << length;
    // The callee broke the canonical ABI: it crashed; start it again.
    start(kCallee);
  }
  // The caller and the host carry on.
  EXPECT_EQ(call(kCaller, "relay-bytes(100)"), "ok(100)");
  EXPECT_EQ(runtime_->service_metrics(id(kCaller)).state, ModuleState::Running);
}

TEST_F(Calls, TheEmbeddingApiPassesBytesAndStrings) {
  install(kCallee, "call_callee");
  start(kCallee);
  std::vector<std::uint8_t> data(100'000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  auto echoed = runtime_->call(id(kCallee), "echo-bytes", std::vector<Value>{Value::bytes(data)});
  ASSERT_TRUE(echoed) << echoed.error().to_string();
  ASSERT_EQ(echoed->size(), 1u);
  ASSERT_NE((*echoed)[0].if_bytes(), nullptr);  // list<u8> comes back as Bytes on both paths
  EXPECT_EQ(*(*echoed)[0].if_bytes(), data);
  // A List of U8 values is a list<u8> too, and equals the same Bytes.
  auto listed = runtime_->call(id(kCallee), "echo-bytes",
                               std::vector<Value>{Value::list({Value::u8(1), Value::u8(255)})});
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ((*listed)[0], Value::bytes({1, 255}));
  EXPECT_EQ((*listed)[0], Value::list({Value::u8(1), Value::u8(255)}));
  auto checked = runtime_->call(id(kCallee), "checked-bytes", std::vector<Value>{Value::bytes({})});
  ASSERT_TRUE(checked) << checked.error().to_string();
  EXPECT_EQ((*checked)[0], Value::err(Value::string("empty")));
  auto text = runtime_->call(id(kCallee), "echo-string", std::vector<Value>{Value::string("h\u00e9")});
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ((*text)[0], Value::string("h\u00e9"));
  // Wrong kinds and invalid UTF-8 are refused before anything runs, on both paths.
  auto wrong = runtime_->call(id(kCallee), "echo-bytes", std::vector<Value>{Value::string("x")});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::InvalidArgument);
  auto bad = runtime_->call(id(kCallee), "echo-string", std::vector<Value>{Value::string("\xff")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::InvalidArgument);
  auto not_bytes = runtime_->call(id(kCallee), "echo-bytes",
                                  std::vector<Value>{Value::list({Value::u32(1)})});
  ASSERT_FALSE(not_bytes);
  EXPECT_EQ(not_bytes.error().code(), ErrorCode::InvalidArgument);
  // Text calls with WAVE lists take the same way, long ones too.
  EXPECT_EQ(call(kCallee, "echo-bytes([0, 1, 255])"), "[0, 1, 255]");
  std::string long_list = "[";
  for (int i = 0; i < 100'000; ++i) long_list += (i == 0 ? "" : ", ") + std::to_string(i % 256);
  long_list += "]";
  EXPECT_EQ(call(kCallee, "echo-bytes(" + long_list + ")"), long_list);
  EXPECT_EQ(call(kCallee, "count()"), "6");
}

// Lists of numbers other than u8, as the tests below send them: values with
// high bits set, signs and fractions, so a forwarder that truncated, swapped
// bytes, reordered or dropped elements would show.
struct NumberLists {
  explicit NumberLists(std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
      const auto n = static_cast<std::uint64_t>(i);
      const int sign = i % 2 == 1 ? -1 : 1;
      u32s.push_back(Value::u32(static_cast<std::uint32_t>(0x80000001u * (n + 1))));
      u64s.push_back(Value::u64(0xfedcba9876543210ull ^ (n * 0x9e3779b97f4a7c15ull)));
      s32s.push_back(Value::s32(i == 1 ? std::numeric_limits<std::int32_t>::min()
                                       : static_cast<std::int32_t>(n * 7) * sign));
      s64s.push_back(Value::s64(i == 1 ? std::numeric_limits<std::int64_t>::min()
                                       : static_cast<std::int64_t>(n << 33) * sign));
      f32s.push_back(Value::f32(i == 2 ? -std::numeric_limits<float>::infinity()
                                       : static_cast<float>(n) * -0.375f + 0.25f));
      f64s.push_back(Value::f64(i == 2 ? 5e-324 : static_cast<double>(n) * 1.0e300 / 3.0 - 1.5));
    }
  }
  std::vector<Value> u32s, u64s, s32s, s64s, f32s, f64s;
};

TEST_F(Calls, ListsOfNumbersCrossBetweenModulesExactly) {
  caller_and_callee();
  grant(kCaller, kCallee);
  for (std::size_t length : {0u, 1u, 3u, 70'000u}) {
    const NumberLists lists(length);
    const std::pair<const char*, const std::vector<Value>*> relays[] = {
        {"relay-u32s", &lists.u32s}, {"relay-u64s", &lists.u64s}, {"relay-s32s", &lists.s32s},
        {"relay-s64s", &lists.s64s}, {"relay-f32s", &lists.f32s}, {"relay-f64s", &lists.f64s}};
    for (const auto& [function, list] : relays) {
      auto echoed = runtime_->call(id(kCaller), function, std::vector<Value>{Value::list(*list)});
      ASSERT_TRUE(echoed) << function << ": " << echoed.error().to_string();
      ASSERT_EQ(echoed->size(), 1u);
      ASSERT_NE((*echoed)[0].if_list(), nullptr) << function;
      EXPECT_EQ((*echoed)[0].if_list()->size(), length) << function;
      EXPECT_TRUE((*echoed)[0] == Value::list(*list)) << function << " of " << length;
    }
    // Computed by the callee from every element and its place.
    std::uint64_t weight = 0;
    for (std::size_t i = 0; i < length; ++i) {
      weight += std::uint64_t{*lists.u32s[i].as_u32()} * (i + 1);
    }
    auto weighed = runtime_->call(id(kCaller), "relay-weigh-u32s",
                                  std::vector<Value>{Value::list(lists.u32s)});
    ASSERT_TRUE(weighed) << weighed.error().to_string();
    EXPECT_EQ((*weighed)[0].as_u64(), weight) << length;
    // Made by the callee, a number in and a list out.
    auto made = runtime_->call(id(kCaller), "relay-make-u64s",
                               std::vector<Value>{Value::u32(static_cast<std::uint32_t>(length))});
    ASSERT_TRUE(made) << made.error().to_string();
    ASSERT_NE((*made)[0].if_list(), nullptr);
    ASSERT_EQ((*made)[0].if_list()->size(), length);
    for (std::size_t i = 0; i < length; ++i) {
      ASSERT_EQ((*made)[0].if_list()->at(i).as_u64(), i * 0x9e3779b97f4a7c15ull) << i;
    }
  }
  EXPECT_EQ(call(kCaller, "relay-s32s([-1, 2, -2147483648])"), "[-1, 2, -2147483648]");
  EXPECT_EQ(call(kCaller, "relay-f64s([0.5, -2.25])"), "[0.5, -2.25]");
}

TEST_F(Calls, TheEmbeddingApiPassesListsOfNumbers) {
  install(kCallee, "call_callee");
  start(kCallee);
  const NumberLists lists(1000);
  auto echoed =
      runtime_->call(id(kCallee), "echo-f32s", std::vector<Value>{Value::list(lists.f32s)});
  ASSERT_TRUE(echoed) << echoed.error().to_string();
  EXPECT_EQ((*echoed)[0], Value::list(lists.f32s));
  auto weighed = runtime_->call(id(kCallee), "weigh-u32s",
                                std::vector<Value>{Value::list({Value::u32(5), Value::u32(7)})});
  ASSERT_TRUE(weighed) << weighed.error().to_string();
  EXPECT_EQ((*weighed)[0].as_u64(), 5u + 2u * 7u);
  // Elements of another kind (or a mix) are refused before anything runs,
  // on both paths.
  for (const Value& wrong : {Value::list({Value::u64(1)}),
                             Value::list({Value::u32(1), Value::s32(2)}), Value::bytes({1})}) {
    auto refused = runtime_->call(id(kCallee), "echo-u32s", std::vector<Value>{wrong});
    ASSERT_FALSE(refused) << to_wave(wrong);
    EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument) << to_wave(wrong);
  }
  EXPECT_EQ(call(kCallee, "echo-u64s([18446744073709551615, 0])"), "[18446744073709551615, 0]");
  EXPECT_EQ(call(kCallee, "count()"), "3");
}

TEST_F(Calls, ListsOfNumbersCountTheirBytesAgainstThePerCallLimit) {
  open(1 << 20);
  caller_and_callee();
  grant(kCaller, kCallee);
  // 262144 u32s are exactly 1 MiB; one more is 4 bytes too many.
  std::vector<Value> numbers(262'144, Value::u32(3));
  auto fits = runtime_->call(id(kCaller), "relay-weigh-u32s",
                             std::vector<Value>{Value::list(numbers)});
  ASSERT_TRUE(fits) << fits.error().to_string();
  EXPECT_EQ((*fits)[0].as_u64(), 3ull * 262'144 * 262'145 / 2);
  numbers.push_back(Value::u32(3));
  auto refused = runtime_->call(id(kCaller), "relay-weigh-u32s",
                                std::vector<Value>{Value::list(numbers)});
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().to_string(),
              HasSubstr("1048580 bytes, more than the per-call limit of 1048576 bytes"));
  EXPECT_EQ(call(kCallee, "count()"), "1");
}

// option<list<u8>>, option<string> and result<_/u32/u64, string> results
// beside a string or list: every case, exactly, on both paths.
TEST_F(Calls, OptionsAndResultsCrossBetweenModulesExactly) {
  caller_and_callee();
  grant(kCaller, kCallee);
  EXPECT_EQ(call(kCaller, "relay-find-bytes(\"abc\")"), "some([99, 98, 97])");
  EXPECT_EQ(call(kCaller, "relay-find-bytes(\"\")"), "none");
  EXPECT_EQ(call(kCaller, "relay-find-string([104, 195, 169])"), "some(\"h\u00e9\")");
  EXPECT_EQ(call(kCaller, "relay-find-string([])"), "none");
  EXPECT_EQ(call(kCaller, "relay-submit([1])"), "ok");
  EXPECT_EQ(call(kCaller, "relay-submit([])"), "err(\"empty\")");
  EXPECT_EQ(call(kCaller, "relay-checksum([200, 100, 255])"), "ok(555)");
  EXPECT_EQ(call(kCaller, "relay-checksum([])"), "err(\"empty\")");
  EXPECT_EQ(call(kCaller, "relay-measure(\"abc\")"), "ok(25769803776)");  // 3 << 33
  EXPECT_EQ(call(kCaller, "relay-measure(\"\")"), "err(\"empty\")");
  // Large ones whole and in order, through the embedding API.
  std::string key(100'000, 'x');
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>('a' + i % 26);
  auto found =
      runtime_->call(id(kCaller), "relay-find-bytes", std::vector<Value>{Value::string(key)});
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE((*found)[0].is_some());
  const std::vector<std::uint8_t> reversed(key.rbegin(), key.rend());
  EXPECT_EQ(*(*found)[0].payload(), Value::bytes(reversed));
  auto text = runtime_->call(id(kCaller), "relay-find-string",
                             std::vector<Value>{Value::bytes({key.begin(), key.end()})});
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ((*text)[0], Value::some(Value::string(key)));
  EXPECT_EQ(call(kCallee, "count()"), "12");
}

TEST_F(Calls, ARefusedCallIsTheErrOfEveryResultShape) {
  caller_and_callee();
  grant(kCaller, kCallee, {"checked"});  // none of the functions below
  for (const char* expression : {"relay-submit([1])", "relay-checksum([1])",
                                 "relay-measure(\"a\")", "relay-bytes(3)"}) {
    const std::string refused = call(kCaller, expression);
    EXPECT_THAT(refused, StartsWith("err(\"")) << expression;
    EXPECT_THAT(refused, HasSubstr("may not call")) << expression;
  }
  // An option cannot carry the reason: the caller traps with it.
  auto trapped = runtime_->call(id(kCaller), "relay-find-bytes(\"a\")");
  ASSERT_FALSE(trapped);
  EXPECT_THAT(trapped.error().to_string(), HasSubstr("may not call"));
  EXPECT_EQ(call(kCallee, "count()"), "0");
}

// The typed forwarders are really used (and only where they should be):
// each call a module makes through one is counted in its metrics.
TEST_F(Calls, TypedShapesTakeTheFastPath) {
  caller_and_callee();
  grant(kCaller, kCallee);
  const std::uint64_t typed = generic_path() ? 0 : 1;
  auto typed_calls = [&] { return runtime_->service_metrics(id(kCaller)).typed_calls; };
  EXPECT_EQ(typed_calls(), 0u);
  const std::pair<const char*, std::uint64_t> calls[] = {
      {"relay-string(\"a\")", typed},       // string -> string
      {"relay-bytes(10)", typed},              // list<u8> -> result<list<u8>, string>
      {"relay-make(10)", typed},               // u32 -> list<u8>
      {"relay-u32s([1])", typed},              // list<u32> -> list<u32>
      {"relay-u64s([1])", typed},
      {"relay-s32s([1])", typed},
      {"relay-s64s([1])", typed},
      {"relay-f32s([1.5])", typed},
      {"relay-f64s([1.5])", typed},
      {"relay-weigh-u32s([1])", typed},        // list<u32> -> u64
      {"relay-make-u64s(2)", typed},           // u32 -> list<u64>
      {"relay-find-bytes(\"a\")", typed},      // string -> option<list<u8>>
      {"relay-find-string([97])", typed},      // list<u8> -> option<string>
      {"relay-submit([1])", typed},            // list<u8> -> result<_, string>
      {"relay-checksum([1])", typed},          // list<u8> -> result<u32, string>
      {"relay-measure(\"a\")", typed},         // string -> result<u64, string>
      {"relay-count()", typed},                // none -> u32
      {"bench-add(3)", 3 * typed},             // (s64, s64) -> s64, three calls
      {"relay-checked(2)", 0},                 // u32 -> result<u32, string>: generic
      {"relay-point({x: 1, y: 2})", 0},        // a record: generic
  };
  for (const auto& [expression, counted] : calls) {
    const std::uint64_t before = typed_calls();
    const std::string result = call(kCaller, expression);
    EXPECT_THAT(result, ::testing::Not(StartsWith("error"))) << expression;
    EXPECT_EQ(typed_calls() - before, counted) << expression;
  }
}

}  // namespace
}  // namespace orivon
