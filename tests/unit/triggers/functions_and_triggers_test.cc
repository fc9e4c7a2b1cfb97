// Function modules and triggers through the public Runtime API: real guests
// built by the build, a real state directory. Timers wait on a FakeClock, and
// the wall clock they schedule by follows it, so a test moves time instead of
// sleeping; guests' deadlines stay on real time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "orivon/runtime.h"
#include "runtime/runtime_testing.h"
#include "support/fake_clock.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using orivon::testing::eventually;
using orivon::testing::FakeClock;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

// 2026-12-03 10:00:00 UTC: where the tests' wall clock starts.
constexpr std::int64_t kStartWallMs = 1'796'292'000'000;

constexpr const char* kFunction = "app.fn.test";
constexpr const char* kService = "app.svc.test";

class Triggers : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    runtime_.reset();
    RuntimeOptions options;
    options.state_dir = temp_.path();
    options.function_pool_slots = function_pool_slots_;
    auto runtime = internal::RuntimeTesting::create_for_testing(options, clock_);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    const auto origin = clock_.now();
    internal::RuntimeTesting::set_wall_clock(*runtime_, [this, origin] {
      return kStartWallMs + wall_offset_ms_.load() +
             std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - origin).count();
    });
  }

  void install(const std::string& name, const std::string& manifest_toml,
               const std::string& guest = "service_probe", const std::string& flavour = "core") {
    auto manifest = parse_manifest(manifest_toml, ManifestFormat::Toml);
    ASSERT_TRUE(manifest) << manifest.error().to_string();
    AddOptions options;
    options.id = id(name);
    options.manifest = *manifest;
    auto added = runtime_->add_module_file(guest_path(guest, flavour), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  std::string call(const std::string& name, std::string_view expression) {
    auto outcome = runtime_->call_service(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  TriggerInfo trigger_of(const std::string& name, std::size_t index = 0) {
    auto infos = runtime_->triggers(id(name));
    EXPECT_TRUE(infos) << infos.error().to_string();
    if (!infos || infos->size() <= index) return TriggerInfo(id(name));
    return (*infos)[index];
  }

  // Waits until the scheduler sleeps until `delay` from now, then moves
  // the clock there.
  void let_timer_fire(std::chrono::milliseconds delay) {
    ASSERT_TRUE(clock_.wait_for_waiter(clock_.now() + delay))
        << "nothing was scheduled " << delay.count() << " ms from now";
    clock_.advance(delay);
  }

  std::string log_text(const std::string& name) {
    std::string text;
    for (const auto& entry : runtime_->service_logs(id(name), 0, 1000)) text += entry.text + "\n";
    return text;
  }

  std::uint32_t function_pool_slots_ = 0;  // 0: the default
  FakeClock clock_;
  std::atomic<std::int64_t> wall_offset_ms_{0};  // a host that was down moves it
  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

// ---------------------------------------------------------------------------
// Function modules.

TEST_F(Triggers, AFunctionGetsAFreshInstanceForEveryCall) {
  install(kFunction, "[function]");
  // The probe counts its calls in a global: a service says 1, 2, 3...
  EXPECT_EQ(call(kFunction, "calls()"), "1");
  EXPECT_EQ(call(kFunction, "calls()"), "1");
  EXPECT_EQ(call(kFunction, "add(40, 2)"), "42");
  EXPECT_EQ(runtime_->service_metrics(id(kFunction)).calls, 3u);

  auto started = runtime_->start_service(id(kFunction));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(started.error().to_string(), HasSubstr("is a function"));
}

TEST_F(Triggers, AHostileInvocationFailsAloneAndTheNextOneRuns) {
  install(kFunction, "[function]\ndeadline = \"300ms\"\nmax-memory = \"16MiB\"");
  EXPECT_THAT(call(kFunction, "trap()"), HasSubstr("error:"));
  auto spun = runtime_->call_service(id(kFunction), "spin()");
  ASSERT_FALSE(spun);
  EXPECT_EQ(spun.error().tag(), ErrorTag::CallDeadline);
  EXPECT_THAT(call(kFunction, "membomb()"), HasSubstr("error:"));
  EXPECT_EQ(call(kFunction, "ping()"), "42");
  const auto metrics = runtime_->service_metrics(id(kFunction));
  EXPECT_EQ(metrics.traps, 3u);
  EXPECT_EQ(metrics.calls, 4u);
  EXPECT_THAT(log_text(kFunction), HasSubstr("an invocation failed: the call ran past its deadline"));
}

TEST_F(Triggers, AFunctionAtItsInstanceCapRefusesMore) {
  install(kFunction, "[function]\nmax-instances = 1\ndeadline = \"5s\"");
  std::thread spinner([&] { (void)runtime_->call_service(id(kFunction), "spin()"); });
  ASSERT_TRUE(eventually([&] { return log_text(kFunction).find("spinning") != std::string::npos; }));
  auto refused = runtime_->call_service(id(kFunction), "ping()");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_THAT(refused.error().to_string(), HasSubstr("max-instances"));
  // Ending the runtime interrupts the invocation still running.
  runtime_.reset();
  spinner.join();
}

TEST_F(Triggers, CallsTakePooledSlotsAndAFullPoolRefusesThemAsBusy) {
  // One slot: one component instance, or two core module instances (a slot
  // has two memories, and the probe's core module has one).
  function_pool_slots_ = 1;
  open();
  install(kFunction, "[function]\nmax-instances = 4\ndeadline = \"5s\"");
  // Above a pooled slot (256 MiB): on the on-demand engine, and said so.
  install("app.big.test", "[function]\nmax-memory = \"1GiB\"");
  EXPECT_EQ(call(kFunction, "ping()"), "42");
  EXPECT_EQ(call("app.big.test", "ping()"), "42");
  EXPECT_THAT(log_text("app.big.test"), HasSubstr("on-demand engine"));
  EXPECT_THAT(log_text(kFunction), Not(HasSubstr("on-demand engine")));
  std::vector<std::thread> spinners;
  for (int i = 0; i < 2; ++i) {
    spinners.emplace_back([&] { (void)runtime_->call_service(id(kFunction), "spin()"); });
  }
  const bool both_spin = eventually([&] {
    const std::string text = log_text(kFunction);
    const auto first = text.find("spinning");
    return first != std::string::npos && text.find("spinning", first + 1) != std::string::npos;
  });
  EXPECT_TRUE(both_spin);
  // Below its max-instances, but the pool's memories are all taken.
  auto refused = runtime_->call_service(id(kFunction), "ping()");
  EXPECT_FALSE(refused);
  if (!refused) {
    EXPECT_EQ(refused.error().code(), ErrorCode::ResourceExhausted);
    EXPECT_THAT(refused.error().to_string(), HasSubstr("capacity"));
  }
  // Not pooled, so not held back by the full pool.
  EXPECT_EQ(call("app.big.test", "ping()"), "42");
  // Ending the runtime interrupts the invocations still running.
  runtime_.reset();
  for (auto& spinner : spinners) spinner.join();
}

// ---------------------------------------------------------------------------
// Timers.

TEST_F(Triggers, ATimerRunsAFunctionEveryPeriod) {
  install(kFunction,
          "[function]\n[[triggers]]\nkind = \"timer\"\nevery = \"10s\"\ncall = \"ping\"");
  ASSERT_TRUE(runtime_->start_triggers());
  EXPECT_EQ(trigger_of(kFunction).next_run_ms, kStartWallMs + 10'000);
  for (int run = 1; run <= 3; ++run) {
    let_timer_fire(10s);
    ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).runs == std::uint64_t(run); }));
  }
  const TriggerInfo info = trigger_of(kFunction);
  EXPECT_EQ(info.last_result, "ok");
  EXPECT_EQ(info.failures, 0u);
  EXPECT_EQ(info.next_run_ms, kStartWallMs + 40'000);
  EXPECT_EQ(info.last_run_ms, kStartWallMs + 30'000);
  EXPECT_TRUE(info.function);
}

TEST_F(Triggers, ATimerCallsARunningServiceAndSkipsAStoppedOne) {
  install(kService, "[[triggers]]\nkind = \"timer\"\nevery = \"1s\"\ncall = \"calls\"");
  ASSERT_TRUE(runtime_->start_service(id(kService)));
  ASSERT_TRUE(runtime_->start_triggers());
  let_timer_fire(1s);
  ASSERT_TRUE(eventually([&] { return trigger_of(kService).runs == 1u; }));
  let_timer_fire(1s);
  ASSERT_TRUE(eventually([&] { return trigger_of(kService).runs == 2u; }));
  // The service kept its state between the timer's calls.
  EXPECT_EQ(call(kService, "calls()"), "3");

  ASSERT_TRUE(runtime_->stop_service(id(kService)));
  let_timer_fire(1s);
  ASSERT_TRUE(eventually([&] { return trigger_of(kService).skipped == 1u; }));
  EXPECT_THAT(trigger_of(kService).last_result, HasSubstr("skipped: "));
  EXPECT_THAT(trigger_of(kService).last_result, HasSubstr("not running"));
  EXPECT_EQ(trigger_of(kService).runs, 2u);
}

TEST_F(Triggers, ACronTimerRunsOnItsSchedule) {
  // Every 15 minutes: 10:15 is the first, 15 minutes of clock away.
  install(kFunction,
          "[function]\n[[triggers]]\nkind = \"timer\"\ncron = \"*/15 * * * *\"\ncall = \"ping\"");
  ASSERT_TRUE(runtime_->start_triggers());
  EXPECT_EQ(trigger_of(kFunction).next_run_ms, kStartWallMs + 15 * 60'000);
  // The scheduler sleeps at most 30 s at a time, so the clock goes in steps.
  for (int step = 0; step < 30; ++step) let_timer_fire(30s);
  ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).runs == 1u; }));
  EXPECT_EQ(trigger_of(kFunction).next_run_ms, kStartWallMs + 30 * 60'000);
}

TEST_F(Triggers, RunsOfOneTimerNeverOverlap) {
  install(kFunction,
          "[function]\ndeadline = \"3s\"\n[[triggers]]\nkind = \"timer\"\nevery = \"1s\"\n"
          "call = \"spin\"");
  ASSERT_TRUE(runtime_->start_triggers());
  let_timer_fire(1s);
  ASSERT_TRUE(eventually([&] { return log_text(kFunction).find("spinning") != std::string::npos; }));
  let_timer_fire(1s);  // due while the first run still spins
  ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).skipped == 1u; }));
  EXPECT_EQ(trigger_of(kFunction).last_result, "skipped: the previous run had not finished");
  // The first run ends at its deadline, as a failure.
  ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).failures == 1u; }));
  EXPECT_THAT(trigger_of(kFunction).last_result, HasSubstr("error: "));
  EXPECT_EQ(trigger_of(kFunction).runs, 1u);
}

TEST_F(Triggers, ARestartedHostNeitherRunsATimerTwiceNorForgetsIt) {
  install(kFunction,
          "[function]\n[[triggers]]\nkind = \"timer\"\nevery = \"1h\"\ncall = \"ping\"");
  ASSERT_TRUE(runtime_->start_triggers());
  const auto first_due = trigger_of(kFunction).next_run_ms;
  ASSERT_EQ(first_due, kStartWallMs + 3'600'000);

  // A new host ten minutes later keeps the stored time: no early run.
  wall_offset_ms_ = 10 * 60'000;
  open();
  ASSERT_TRUE(runtime_->start_triggers());
  EXPECT_EQ(trigger_of(kFunction).next_run_ms, first_due);
  EXPECT_EQ(trigger_of(kFunction).runs, 0u);

  // Without a host, the stored record is what `orivon triggers` shows.
  runtime_.reset();
  open();
  EXPECT_EQ(trigger_of(kFunction).next_run_ms, first_due);

  // Down for three hours: the runs missed are counted, not made.
  wall_offset_ms_ = 3 * 3'600'000 + 10 * 60'000;
  open();
  ASSERT_TRUE(runtime_->start_triggers());
  const TriggerInfo info = trigger_of(kFunction);
  EXPECT_EQ(info.runs, 0u);
  EXPECT_EQ(info.skipped, 3u);
  EXPECT_THAT(info.last_result, HasSubstr("3 run(s) fell due while no host was running"));
  EXPECT_GT(*info.next_run_ms, kStartWallMs + wall_offset_ms_.load());
}

TEST_F(Triggers, CatchUpOnceMakesOneRunForTheMissedOnes) {
  install(kFunction,
          "[function]\n[[triggers]]\nkind = \"timer\"\nevery = \"1h\"\ncall = \"ping\"\n"
          "catch-up = \"once\"");
  ASSERT_TRUE(runtime_->start_triggers());
  wall_offset_ms_ = 5 * 3'600'000;
  open();
  ASSERT_TRUE(runtime_->start_triggers());
  ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).runs == 1u; }));
  EXPECT_EQ(trigger_of(kFunction).skipped, 4u);  // five fell due (the fifth just now); one made up
  EXPECT_EQ(trigger_of(kFunction).last_result, "ok");
}

TEST_F(Triggers, StartUpTriggersRunOncePerHostStart) {
  install(kService, "[[triggers]]\nkind = \"startup\"\ncall = \"calls\"");
  ASSERT_TRUE(runtime_->start_service(id(kService)));
  ASSERT_TRUE(runtime_->start_triggers());
  ASSERT_TRUE(eventually([&] { return trigger_of(kService).runs == 1u; }));
  ASSERT_TRUE(runtime_->start_triggers());  // a second call does nothing
  EXPECT_EQ(call(kService, "calls()"), "2");
  EXPECT_EQ(trigger_of(kService).runs, 1u);
}

TEST_F(Triggers, AFailingTimerRunIsCountedAndLogged) {
  install(kFunction, "[function]\n[[triggers]]\nkind = \"timer\"\nevery = \"1s\"\ncall = \"trap\"");
  ASSERT_TRUE(runtime_->start_triggers());
  let_timer_fire(1s);
  ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).failures == 1u; }));
  EXPECT_THAT(trigger_of(kFunction).last_result, HasSubstr("error: "));
  EXPECT_THAT(log_text(kFunction), HasSubstr("timer trigger (every 1s) calling 'trap'"));
}

TEST_F(Triggers, AModuleAddedOrRemovedWhileTriggersRunIsScheduledOrDropped) {
  ASSERT_TRUE(runtime_->start_triggers());
  install(kFunction, "[function]\n[[triggers]]\nkind = \"timer\"\nevery = \"2s\"\ncall = \"ping\"");
  EXPECT_EQ(trigger_of(kFunction).next_run_ms, kStartWallMs + 2'000);
  let_timer_fire(2s);
  ASSERT_TRUE(eventually([&] { return trigger_of(kFunction).runs == 1u; }));
  ASSERT_TRUE(runtime_->remove_module(id(kFunction)));
  auto gone = runtime_->triggers(id(kFunction));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
  auto all = runtime_->triggers();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

// ---------------------------------------------------------------------------
// Event triggers on a function.

TEST_F(Triggers, AFunctionHandlesEachEventInAFreshInstance) {
  install("app.fn.events",
          "[function]\n[[triggers]]\nkind = \"event\"\ntopic = \"orders.*\"\ncall = \"handle\"",
          "events_probe", "component");
  ASSERT_TRUE(runtime_->allow_grant(id("app.fn.events"), "topic:orders.*:subscribe"));
  ASSERT_TRUE(runtime_->start_triggers());
  for (int i = 0; i < 3; ++i) {
    EventMessage message;
    message.topic = "orders.new";
    message.data = {1, 2, 3};
    ASSERT_TRUE(runtime_->publish(message));
  }
  ASSERT_TRUE(eventually([&] { return runtime_->event_counters(id("app.fn.events")).delivered == 3u; }));
  // Each delivery made its own instance: the probe's own count never passes 1.
  EXPECT_EQ(call("app.fn.events", "received()"), "0");
  EXPECT_EQ(runtime_->service_metrics(id("app.fn.events")).calls, 4u);  // 3 events, 1 call
}

TEST_F(Triggers, AFunctionsEventTriggerNeedsASubscribeGrant) {
  install("app.fn.events",
          "[function]\n[[triggers]]\nkind = \"event\"\ntopic = \"orders.*\"\ncall = \"handle\"",
          "events_probe", "component");
  ASSERT_TRUE(runtime_->start_triggers());
  EXPECT_THAT(log_text("app.fn.events"), HasSubstr("no grant topic:PATTERN:subscribe covers it"));
  auto report = runtime_->events();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->subscriptions.empty());
}

}  // namespace
}  // namespace orivon
