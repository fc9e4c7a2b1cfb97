// Services through the public Runtime API: real guests built by the build,
// a real state directory, real worker threads. The services' clock is a
// FakeClock: restarts, ticks and grace periods come when a test advances it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
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

class Services : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.state_dir = temp_.path();
    auto runtime = internal::RuntimeTesting::create_for_testing(options, clock_);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
  }

  void install(const std::string& name, const std::string& guest) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module_file(guest_path(guest, "core"), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  void install_text(const std::string& name, std::string_view wat) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module(std::as_bytes(std::span(wat.data(), wat.size())), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  // Waits (bounded) until the service reaches `state`.
  bool wait_for(const std::string& name, ModuleState state) {
    return eventually([&] { return runtime_->service_metrics(id(name)).state == state; });
  }

  // Waits until the supervisor has a restart (or tick) due `delay` from now
  // on the services' clock, then moves the clock there.
  void let_timer_fire(std::chrono::milliseconds delay) {
    ASSERT_TRUE(clock_.wait_for_waiter(clock_.now() + delay))
        << "nothing was scheduled " << delay.count() << " ms from now";
    clock_.advance(delay);
  }

  // The service's log, one "stream: text" line per record.
  std::string log_text(const std::string& name) {
    std::string text;
    for (const auto& entry : runtime_->service_logs(id(name), 0, 1000)) {
      text += entry.stream + ": " + entry.text + "\n";
    }
    return text;
  }

  std::string call(const std::string& name, std::string_view expression) {
    auto outcome = runtime_->call_service(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  void settle(const std::string& name, RestartPolicy policy, int budget = 5,
              std::chrono::milliseconds backoff = 10ms) {
    ServiceSettings settings;
    settings.restart.policy = policy;
    settings.restart.budget = budget;
    settings.restart.initial_backoff = backoff;
    settings.restart.max_backoff = backoff * 4;
    settings.call_deadline = 2s;
    settings.stop_grace = 300ms;
    settings.max_memory_bytes = 32ull << 20;
    runtime_->set_service_settings(id(name), settings);
  }

  FakeClock clock_;  // outlives the runtime, which schedules by it
  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(Services, StartCallStop) {
  install("app.svc.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Running);
  EXPECT_TRUE(runtime_->start_service(id("app.svc.test")));  // already running: fine
  EXPECT_EQ(call("app.svc.test", "ping()"), "42");
  EXPECT_EQ(call("app.svc.test", "add(40, 2)"), "42");
  // State lives across calls: one instance per running service.
  call("app.svc.test", "calls()");
  EXPECT_EQ(call("app.svc.test", "calls()"), "2");
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).calls, 4u);
  EXPECT_GT(runtime_->service_metrics(id("app.svc.test")).memory_bytes, 0u);

  ASSERT_TRUE(runtime_->stop_service(id("app.svc.test")));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Stopped);
  auto refused = runtime_->call_service(id("app.svc.test"), "ping()");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_TRUE(runtime_->stop_service(id("app.svc.test")));  // already stopped: fine
}

TEST_F(Services, EveryCallIsCountedInTheDurationHistogram) {
  install("app.svc.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  for (int i = 0; i < 5; ++i) call("app.svc.test", "ping()");
  const auto durations = runtime_->service_metrics(id("app.svc.test")).call_durations;
  EXPECT_EQ(durations.count(), 5u);
  ASSERT_TRUE(durations.quantile_bucket(0.5));
  ASSERT_TRUE(durations.quantile_bucket(0.99));
  EXPECT_LE(*durations.quantile_bucket(0.5), *durations.quantile_bucket(0.99));
  // No call lasts a minute, so none is in the open-ended last bucket.
  EXPECT_EQ(durations.counts.back(), 0u);
}

TEST(CallDurations, BucketsDoubleAndQuantilesReadTheirBounds) {
  EXPECT_EQ(CallDurations::bucket_for_us(0), 0u);
  EXPECT_EQ(CallDurations::bucket_for_us(1), 0u);
  EXPECT_EQ(CallDurations::bucket_for_us(2), 1u);
  EXPECT_EQ(CallDurations::bucket_for_us(3), 2u);
  EXPECT_EQ(CallDurations::bucket_for_us(4), 2u);
  EXPECT_EQ(CallDurations::bucket_for_us(1000), 10u);  // <= 1024 us
  EXPECT_EQ(CallDurations::bucket_for_us(~std::uint64_t{0}), CallDurations::kBuckets - 1);
  EXPECT_EQ(CallDurations::bucket_bound_us(10), 1024u);
  EXPECT_EQ(CallDurations::bucket_bound_us(CallDurations::kBuckets - 1), 0u);

  CallDurations durations;
  EXPECT_FALSE(durations.quantile_bucket(0.5));
  durations.counts[3] = 98;  // 98 calls of at most 8 us
  durations.counts[12] = 2;  // 2 of at most 4 ms
  EXPECT_EQ(durations.quantile_bucket(0.5), 3u);
  EXPECT_EQ(durations.quantile_bucket(0.98), 3u);
  EXPECT_EQ(durations.quantile_bucket(0.99), 12u);
}

TEST_F(Services, LibrariesAndGroupsDoNotRun) {
  install("lib.math.test", "service_probe");
  auto started = runtime_->start_service(id("lib.math.test"));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(started.error().message(), HasSubstr("library"));
}

TEST_F(Services, BadCallsDoNotCrashTheService) {
  install("app.svc.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_EQ(runtime_->call_service(id("app.svc.test"), "nope()").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(runtime_->call_service(id("app.svc.test"), "add(1)").error().code(),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Running);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).traps, 0u);
}

// Each way a module can fail, while a healthy service beside it keeps
// answering: the failure is the failing module's alone.
TEST_F(Services, HostileServicesCrashAloneWhileAHealthyOneKeepsAnswering) {
  install("app.healthy.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.healthy.test")));
  struct Case {
    const char* call;
    const char* cause;
  };
  for (const Case& c : {Case{"trap()", "unreachable"}, Case{"spin()", "deadline"},
                        Case{"membomb()", "unreachable"}, Case{"recurse()", "call stack exhausted"}}) {
    SCOPED_TRACE(c.call);
    const std::string name = "app.hostile.test";
    install(name, "service_probe");
    settle(name, RestartPolicy::Never);
    ASSERT_TRUE(runtime_->start_service(id(name)));

    std::atomic<bool> done{false};
    std::atomic<int> answered{0};
    std::atomic<int> failed{0};
    std::thread healthy([&] {
      while (!done) {
        (call("app.healthy.test", "ping()") == "42" ? answered : failed)++;
        std::this_thread::sleep_for(1ms);
      }
    });
    auto outcome = runtime_->call_service(id(name), c.call);
    // The healthy service goes on answering after the crash too.
    const int before = answered;
    EXPECT_TRUE(eventually([&] { return answered > before; }));
    done = true;
    healthy.join();

    ASSERT_FALSE(outcome);
    const auto metrics = runtime_->service_metrics(id(name));
    EXPECT_EQ(metrics.state, ModuleState::Crashed);
    EXPECT_THAT(metrics.cause, HasSubstr(c.cause));
    EXPECT_EQ(metrics.traps, 1u);
    EXPECT_GT(answered, 0);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(runtime_->service_metrics(id("app.healthy.test")).state, ModuleState::Running);
    EXPECT_EQ(runtime_->service_metrics(id("app.healthy.test")).traps, 0u);
    ASSERT_TRUE(runtime_->remove_module(id(name)));
  }
}

TEST_F(Services, OnFailureRestartsACrashedService) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::OnFailure);
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Crashed);
  let_timer_fire(10ms);  // the initial backoff
  ASSERT_TRUE(wait_for("app.svc.test", ModuleState::Running));
  EXPECT_EQ(call("app.svc.test", "ping()"), "42");
  const auto metrics = runtime_->service_metrics(id("app.svc.test"));
  EXPECT_EQ(metrics.restarts, 1u);
  EXPECT_EQ(metrics.traps, 1u);
}

TEST_F(Services, NeverLeavesItCrashed) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::Never);
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  // The crash was handled before the call returned: no restart was scheduled
  // (that would have been noted), so none follows, however long we wait.
  EXPECT_THAT(log_text("app.svc.test"), Not(HasSubstr("restarting in")));
  clock_.advance(1h);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Crashed);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).restarts, 0u);
}

TEST_F(Services, TheManifestSetsTheRestartPolicyUnlessTheClientDoes) {
  AddOptions options;
  options.id = id("app.svc.test");
  options.manifest = *parse_manifest("[service]\nrestart = \"never\"\n", ManifestFormat::Toml);
  ASSERT_TRUE(runtime_->add_module_file(guest_path("service_probe", "core"), options));
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  EXPECT_THAT(log_text("app.svc.test"), Not(HasSubstr("restarting in")));
  clock_.advance(1h);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Crashed);

  settle("app.svc.test", RestartPolicy::OnFailure);  // the client's choice wins
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  let_timer_fire(10ms);
  EXPECT_TRUE(wait_for("app.svc.test", ModuleState::Running));
}

TEST_F(Services, ACrashLoopStopsAtItsBudget) {
  // Traps in its start function: every restart crashes again at once.
  install_text("app.loop.test", "(module (func $boom unreachable) (start $boom))");
  settle("app.loop.test", RestartPolicy::OnFailure, /*budget=*/3, /*backoff=*/5ms);
  EXPECT_FALSE(runtime_->start_service(id("app.loop.test")));
  // Each restart crashes again; the backoff doubles up to its maximum.
  let_timer_fire(5ms);
  let_timer_fire(10ms);
  let_timer_fire(20ms);
  EXPECT_TRUE(eventually([&] {
    return runtime_->service_metrics(id("app.loop.test")).cause.find("budget") != std::string::npos;
  }));
  // The last crash scheduled nothing (three restarts noted, then the refusal),
  // so no further restart may follow.
  const std::string log = log_text("app.loop.test");
  std::size_t restarts_noted = 0;
  for (auto at = log.find("restarting in"); at != std::string::npos;
       at = log.find("restarting in", at + 1)) {
    ++restarts_noted;
  }
  EXPECT_EQ(restarts_noted, 3u) << log;
  EXPECT_THAT(log, HasSubstr("not restarting"));
  clock_.advance(1h);
  const auto metrics = runtime_->service_metrics(id("app.loop.test"));
  EXPECT_EQ(metrics.state, ModuleState::Crashed);
  EXPECT_THAT(metrics.cause, HasSubstr("restart budget exhausted"));
  EXPECT_EQ(metrics.restarts, 3u);
  EXPECT_EQ(metrics.traps, 4u);
}

TEST_F(Services, TheRestartBudgetCountsOnlyRestartsWithinItsWindow) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::OnFailure, /*budget=*/1);  // per 60 s window
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  let_timer_fire(10ms);
  ASSERT_TRUE(wait_for("app.svc.test", ModuleState::Running));
  // A minute later that restart no longer counts, and the backoff starts
  // over from its initial 10 ms.
  clock_.advance(61s);
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  let_timer_fire(10ms);
  ASSERT_TRUE(wait_for("app.svc.test", ModuleState::Running));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).restarts, 2u);
  // A second crash within the window is one too many.
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  const auto metrics = runtime_->service_metrics(id("app.svc.test"));
  EXPECT_EQ(metrics.state, ModuleState::Crashed);
  EXPECT_THAT(metrics.cause, HasSubstr("restart budget exhausted"));
}

TEST_F(Services, UptimeFollowsTheServicesClock) {
  install("app.svc.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).uptime_ms, 0);
  clock_.advance(90s);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).uptime_ms, 90'000);
  ASSERT_TRUE(runtime_->stop_service(id("app.svc.test")));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).uptime_ms, 0);
}

TEST_F(Services, StateChangesReachListeners) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::OnFailure);
  std::mutex mutex;
  std::vector<std::pair<ModuleState, ModuleState>> seen;
  runtime_->subscribe([&](const StateChange& change) {
    std::lock_guard lock(mutex);
    if (change.id.str() == "app.svc.test") seen.emplace_back(change.from, change.to);
  });
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_FALSE(runtime_->call_service(id("app.svc.test"), "trap()"));
  let_timer_fire(10ms);
  ASSERT_TRUE(wait_for("app.svc.test", ModuleState::Running));
  ASSERT_TRUE(runtime_->stop_service(id("app.svc.test")));
  // Listeners run on the thread that made the change: wait for the last.
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return seen.size() >= 7;
  }));
  std::lock_guard lock(mutex);
  const std::vector<std::pair<ModuleState, ModuleState>> expected = {
      {ModuleState::Installed, ModuleState::Starting}, {ModuleState::Starting, ModuleState::Running},
      {ModuleState::Running, ModuleState::Crashed},    {ModuleState::Crashed, ModuleState::Starting},
      {ModuleState::Starting, ModuleState::Running},   {ModuleState::Running, ModuleState::Stopping},
      {ModuleState::Stopping, ModuleState::Stopped}};
  // Each change is told on the thread that made it, so two made on
  // different threads (the restart timer's, then a worker's) may arrive in
  // either order: every one exactly once is what is promised.
  EXPECT_THAT(seen, ::testing::UnorderedElementsAreArray(expected));
}

TEST_F(Services, TheHostStopsServicesNewestStartFirst) {
  for (const char* name : {"app.a.test", "app.b.test", "app.c.test", "app.d.test"}) {
    install(name, "service_probe");
    ASSERT_TRUE(runtime_->start_service(id(name)));
  }
  // A restart makes A the newest; removing B takes it out of the order.
  ASSERT_TRUE(runtime_->restart_service(id("app.a.test")));
  ASSERT_TRUE(runtime_->stop_service(id("app.b.test")));
  ASSERT_TRUE(runtime_->remove_module(id("app.b.test")));
  // A stopped service keeps its place: stopping it again is harmless.
  ASSERT_TRUE(runtime_->stop_service(id("app.c.test")));
  std::mutex mutex;
  std::vector<std::string> stopping;
  runtime_->subscribe([&](const StateChange& change) {
    std::lock_guard lock(mutex);
    if (change.to == ModuleState::Stopping) stopping.push_back(change.id.str());
  });
  runtime_.reset();  // stops every service
  std::lock_guard lock(mutex);
  EXPECT_EQ(stopping, (std::vector<std::string>{"app.a.test", "app.d.test"}));
}

// Shutting down a host with many services whose `stop` never returns takes
// one grace period for all of them (by the services' clock), not one per
// service or per worker's turn: the test advances that clock once.
TEST_F(Services, AHostWithManyServicesStopsWithinOneGracePeriod) {
  constexpr std::string_view kStuckInStop =
      "(module (memory 1) (func (export \"ping\") (result i32) (i32.const 1))"
      " (func (export \"stop\") (loop $forever (br $forever))))";
  constexpr int kServices = 120;
  std::vector<ModuleSource> sources;
  for (int i = 0; i < kServices; ++i) {
    ModuleSource source;
    source.code = std::as_bytes(std::span(kStuckInStop.data(), kStuckInStop.size()));
    source.options.id = id("app.stuck.s" + std::to_string(i));
    sources.push_back(source);
  }
  auto added = runtime_->add_modules(sources);
  ASSERT_TRUE(added) << added.error().to_string();
  ServiceSettings settings;
  settings.stop_grace = 2s;
  for (const auto& source : sources) {
    runtime_->set_service_settings(*source.options.id, settings);
    ASSERT_TRUE(runtime_->start_service(*source.options.id));
  }
  std::atomic<int> stopped{0};
  runtime_->subscribe([&](const StateChange& change) {
    if (change.to == ModuleState::Stopped) ++stopped;
  });
  std::atomic<bool> done{false};
  std::thread shutdown([&] {
    runtime_.reset();  // stops every service
    done = true;
  });
  // Every service is asked at once and all wait for the same moment.
  EXPECT_TRUE(clock_.wait_for_waiter(clock_.now() + 2s));
  clock_.advance(2s);
  // Real time from here: the interrupts land within a tick each. Checked,
  // not asserted: the thread must be joined.
  EXPECT_TRUE(orivon::testing::eventually([&] { return done.load(); }, 20s))
      << stopped.load() << " of " << kServices << " stopped";
  shutdown.join();
  EXPECT_EQ(stopped.load(), kServices);
}

// A host's shutdown writes a service's log only when its `stop` export ran
// (or failed): two notes per service cost more than the rest of its stop.
// The summary counts every service.
TEST_F(Services, ShutdownNotesOnlyServicesWhoseStopRanAndCountsThemAll) {
  install_text("app.plain.test", "(module (memory 1) (func (export \"ping\") (result i32) (i32.const 1)))");
  install_text("app.stops.test", "(module (memory 1) (func (export \"stop\")))");
  install_text("app.fails.test", "(module (memory 1) (func (export \"stop\") unreachable))");
  for (const char* name : {"app.plain.test", "app.stops.test", "app.fails.test"}) {
    ASSERT_TRUE(runtime_->start_service(id(name)));
  }
  std::atomic<int> stopped{0};
  runtime_->subscribe([&](const StateChange& change) {
    if (change.to == ModuleState::Stopped) ++stopped;
  });
  const ShutdownSummary summary = runtime_->shut_down();
  EXPECT_EQ(summary.services, 3u);
  EXPECT_EQ(summary.stop_exports, 1u);
  EXPECT_EQ(summary.stop_failures, 1u);
  EXPECT_EQ(summary.interrupted, 0u);
  EXPECT_EQ(stopped.load(), 3);  // listeners still hear every change
  // Nothing runs after it, and a second shutdown has nothing to stop.
  EXPECT_FALSE(runtime_->start_service(id("app.plain.test")));
  EXPECT_EQ(runtime_->shut_down().services, 0u);

  auto file_text = [&](const std::string& name) {
    std::ifstream file(temp_.path() / "logs" / (name + ".log"));
    return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  };
  const std::string plain = file_text("app.plain.test");
  EXPECT_THAT(plain, HasSubstr("starting -> running"));  // the file is there, and written
  EXPECT_THAT(plain, Not(HasSubstr("stopp")));
  const std::string stops = file_text("app.stops.test");
  EXPECT_THAT(stops, HasSubstr("the host is shutting down: calling stop"));
  EXPECT_THAT(stops, HasSubstr("stopping -> stopped"));
  EXPECT_THAT(stops, Not(HasSubstr("stop failed")));
  const std::string fails = file_text("app.fails.test");
  EXPECT_THAT(fails, HasSubstr("stop failed: "));
  EXPECT_THAT(fails, HasSubstr("unreachable"));
  EXPECT_THAT(fails, HasSubstr("stopping -> stopped"));
}

TEST_F(Services, ADaemonAnswersQueriesWhileItsLoopRuns) {
  install("app.daemon.test", "daemon_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.daemon.test")));
  // The first tick runs at once and asks for the next in 5 ms.
  let_timer_fire(5ms);
  const int first = std::stoi(call("app.daemon.test", "ticks()"));
  EXPECT_GE(first, 1);
  // The loop keeps running between the queries: each tick sets up the next.
  let_timer_fire(5ms);
  int later = first;
  EXPECT_TRUE(eventually([&] {
    later = std::stoi(call("app.daemon.test", "ticks()"));
    return later > first;
  }));
  EXPECT_GT(later, first);
  ASSERT_TRUE(runtime_->stop_service(id("app.daemon.test")));
  const std::string text = log_text("app.daemon.test");
  EXPECT_THAT(text, HasSubstr("out: daemon running"));
  EXPECT_THAT(text, HasSubstr("out: daemon stopping after"));  // its stop export ran
}

TEST_F(Services, StopInterruptsAServiceStuckInALoopAfterTheGracePeriod) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::OnFailure);
  ServiceSettings settings;
  settings.call_deadline = 60s;  // only the stop may end this call
  settings.stop_grace = 300ms;
  runtime_->set_service_settings(id("app.svc.test"), settings);
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  Result<InvokeOutcome> spun = InvokeOutcome{};
  std::thread stuck([&] { spun = runtime_->call_service(id("app.svc.test"), "spin()"); });
  // Checked, not asserted, from here on: the threads must be joined.
  EXPECT_TRUE(eventually(
      [&] { return log_text("app.svc.test").find("out: spinning") != std::string::npos; }));
  Result<void> stopped = ok();
  std::thread stopper([&] { stopped = runtime_->stop_service(id("app.svc.test")); });
  // The stop asks the service, then gives it its grace period; only when
  // that has passed does it interrupt the loop.
  EXPECT_TRUE(clock_.wait_for_waiter(clock_.now() + 300ms));
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Stopping);
  const auto start = std::chrono::steady_clock::now();
  clock_.advance(300ms);
  stopper.join();
  const auto took = std::chrono::steady_clock::now() - start;
  stuck.join();
  // The stop fails if the loop is still running 5 s after the interrupt.
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  ASSERT_FALSE(spun);
  EXPECT_EQ(spun.error().tag(), ErrorTag::InterruptedToStop);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Stopped);
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).traps, 0u);  // a stop is no crash
  std::printf("a looping service stopped %lld ms after its grace period (one 10 ms tick)\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

TEST_F(Services, ADeadlineIsTaggedAndNamedAsTheCrashCause) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::Never);
  ServiceSettings settings;
  settings.restart.policy = RestartPolicy::Never;
  settings.call_deadline = 100ms;
  runtime_->set_service_settings(id("app.svc.test"), settings);
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  auto spun = runtime_->call_service(id("app.svc.test"), "spin()");
  ASSERT_FALSE(spun);
  EXPECT_EQ(spun.error().tag(), ErrorTag::CallDeadline);
  const auto metrics = runtime_->service_metrics(id("app.svc.test"));
  EXPECT_EQ(metrics.state, ModuleState::Crashed);
  EXPECT_EQ(metrics.cause, "the call ran past its deadline");
  EXPECT_EQ(metrics.traps, 1u);
}

// The texts the tick check stops a guest with can reach an error from
// elsewhere: here Wasmtime's message names an unknown import. What happened
// is read from the error's tag, so such a failure is still a crash with its
// own cause, never a stop or a deadline.
TEST_F(Services, AFailureThatQuotesTheStopOrDeadlineTextIsStillACrash) {
  for (const char* text :
       {"orivon: interrupted to stop the service", "orivon: the call ran past its deadline"}) {
    SCOPED_TRACE(text);
    const std::string name = "app.quoting.test";
    install_text(name, std::string("(module (import \"") + text + "\" \"f\" (func)))");
    settle(name, RestartPolicy::Never);
    auto started = runtime_->start_service(id(name));
    ASSERT_FALSE(started);
    const auto metrics = runtime_->service_metrics(id(name));
    EXPECT_EQ(metrics.state, ModuleState::Crashed);
    EXPECT_EQ(metrics.traps, 1u);
    EXPECT_NE(metrics.cause, "the call ran past its deadline");
    EXPECT_THAT(metrics.cause, HasSubstr("unknown import"));
    ASSERT_TRUE(runtime_->remove_module(id(name)));
  }
}

TEST_F(Services, CallsToAServiceThatDoesNotRunAreTaggedNotRunning) {
  install("app.svc.test", "service_probe");
  auto never_started = runtime_->call_service(id("app.svc.test"), "ping()");
  ASSERT_FALSE(never_started);
  EXPECT_EQ(never_started.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_EQ(never_started.error().tag(), ErrorTag::NotRunning);
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  ASSERT_TRUE(runtime_->stop_service(id("app.svc.test")));
  auto stopped = runtime_->call_service(id("app.svc.test"), "ping()");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().tag(), ErrorTag::NotRunning);
  auto typed = runtime_->call(id("app.svc.test"), "ping", std::vector<Value>{});
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().tag(), ErrorTag::NotRunning);
}

TEST_F(Services, OutputIsCapturedInTheLogs) {
  install("app.svc.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  EXPECT_EQ(call("app.svc.test", "say(5)"), "5");
  auto logs = runtime_->service_logs(id("app.svc.test"), 0, 100);
  std::string text;
  for (const auto& entry : logs) text += entry.stream + ": " + entry.text + "\n";
  EXPECT_THAT(text, HasSubstr("out: hello 5\n"));
  EXPECT_THAT(text, HasSubstr("err: warning 5\n"));
  EXPECT_TRUE(std::filesystem::exists(temp_.path() / "logs" / "app.svc.test.log"));
}

TEST_F(Services, AnExitStopsTheService) {
  install("app.svc.test", "service_probe");
  settle("app.svc.test", RestartPolicy::Never);
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  auto outcome = runtime_->call_service(id("app.svc.test"), "quit()");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->exit_code, 3);
  const auto metrics = runtime_->service_metrics(id("app.svc.test"));
  EXPECT_EQ(metrics.state, ModuleState::Crashed);
  EXPECT_THAT(metrics.cause, HasSubstr("exited with status 3"));
}

TEST_F(Services, UpdateRestartsARunningServiceOnItsNewCode) {
  install("app.svc.test", "service_probe");
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  auto updated = runtime_->update_module_file(id("app.svc.test"), guest_path("daemon_probe", "core"));
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(runtime_->service_metrics(id("app.svc.test")).state, ModuleState::Running);
  EXPECT_THAT(call("app.svc.test", "ticks()"), ::testing::Not(HasSubstr("error")));
}

std::size_t count_entries(const char* path) {
  std::size_t count = 0;
  if (DIR* dir = opendir(path)) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
  }
  return count;
}

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

// A module trapping as fast as it can (and being restarted each time) for a
// while, beside a healthy one that is called throughout; afterwards the
// host's threads and descriptors are back where they were and its memory has
// not grown with the number of traps.
TEST_F(Services, TrapStormLeavesTheHostAsItWas) {
  const char* configured = std::getenv("ORIVON_TRAP_STORM_SECONDS");
  const auto duration = std::chrono::seconds(configured ? std::atoi(configured) : 60);
  install("app.healthy.test", "service_probe");
  install("app.storm.test", "service_probe");
  ServiceSettings storm;
  storm.restart.policy = RestartPolicy::OnFailure;
  storm.restart.budget = 1'000'000;
  storm.restart.initial_backoff = 0ms;
  storm.restart.max_backoff = 0ms;
  runtime_->set_service_settings(id("app.storm.test"), storm);
  ASSERT_TRUE(runtime_->start_service(id("app.healthy.test")));
  ASSERT_TRUE(runtime_->start_service(id("app.storm.test")));
  // Warm up, then take the baseline once the last restart is done.
  for (int i = 0; i < 50; ++i) (void)runtime_->call_service(id("app.storm.test"), "trap()");
  ASSERT_TRUE(wait_for("app.storm.test", ModuleState::Running));
  const std::size_t threads = count_entries("/proc/self/task");
  const std::size_t fds = count_entries("/proc/self/fd");
  const std::size_t rss = resident_kib();

  std::atomic<bool> done{false};
  std::atomic<long> healthy_ok{0}, healthy_failed{0};
  std::thread healthy([&] {
    while (!done) (call("app.healthy.test", "ping()") == "42" ? healthy_ok : healthy_failed)++;
  });
  long traps = 0;
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    if (!runtime_->call_service(id("app.storm.test"), "trap()")) ++traps;
  }
  done = true;
  healthy.join();
  EXPECT_TRUE(wait_for("app.storm.test", ModuleState::Running));

  std::printf("trap storm: %ld traps in %lld s, healthy calls %ld ok / %ld failed, "
              "rss %zu -> %zu KiB, threads %zu -> %zu, fds %zu -> %zu\n",
              traps, static_cast<long long>(duration.count()), healthy_ok.load(),
              healthy_failed.load(), rss, resident_kib(), threads, count_entries("/proc/self/task"),
              fds, count_entries("/proc/self/fd"));
  EXPECT_GT(traps, 100);
  EXPECT_GT(healthy_ok, 100);
  EXPECT_EQ(healthy_failed, 0);
  EXPECT_EQ(count_entries("/proc/self/task"), threads);
  EXPECT_EQ(count_entries("/proc/self/fd"), fds);
  // Memory may move by allocator noise, not by the number of traps. (Under
  // AddressSanitizer freed memory sits in its quarantine, so RSS says nothing.)
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(resident_kib(), rss + 64 * 1024);
#endif
}

}  // namespace
}  // namespace orivon
