// Command services: a core module whose `_start` runs for the service's
// whole life, on a thread of its own, with no call deadline
// (tests/guests/command_probe.c, its behaviour picked by env:MODE=...). A
// stop is asked first (the guest sees it through orivon:lifecycle), then
// the grace period runs (on the services' FakeClock), then the guest is
// interrupted. Exits and traps follow the restart policy like any service.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

class CommandServices : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.state_dir = temp_.path();
    auto runtime = internal::RuntimeTesting::create_for_testing(options, clock_);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
  }

  // Installs command_probe as `name`, running in `mode`.
  void install_command(const std::string& name, const std::string& mode,
                       RestartPolicy policy = RestartPolicy::OnFailure, int budget = 5) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module_file(guest_path("command_probe", "core"), options);
    ASSERT_TRUE(added) << added.error().to_string();
    auto allowed = runtime_->allow_grant(id(name), "env:MODE=" + mode);
    ASSERT_TRUE(allowed) << allowed.error().to_string();
    ServiceSettings settings;
    settings.restart.policy = policy;
    settings.restart.budget = budget;
    settings.restart.initial_backoff = 10ms;
    settings.restart.max_backoff = 40ms;
    settings.call_deadline = 2s;  // a command's _start is not bound by it
    settings.stop_grace = 300ms;
    runtime_->set_service_settings(id(name), settings);
  }

  ModuleState state(const std::string& name) { return runtime_->service_metrics(id(name)).state; }

  bool wait_for(const std::string& name, ModuleState wanted) {
    return eventually([&] { return state(name) == wanted; });
  }

  std::string log_text(const std::string& name) {
    std::string text;
    for (const auto& entry : runtime_->service_logs(id(name), 0, 1000)) {
      text += entry.stream + ": " + entry.text + "\n";
    }
    return text;
  }

  bool log_has(const std::string& name, const std::string& text) {
    return eventually([&] { return log_text(name).find(text) != std::string::npos; });
  }

  // Stops a service that ignores the request: the stop waits for the grace
  // period on the services' clock, which the test moves on.
  Result<void> stop_past_grace(const std::string& name) {
    Result<void> stopped = ok();
    std::thread stopper([&] { stopped = runtime_->stop_service(id(name)); });
    EXPECT_TRUE(clock_.wait_for_waiter(clock_.now() + 300ms));
    clock_.advance(300ms);
    stopper.join();
    return stopped;
  }

  FakeClock clock_;  // outlives the runtime, which schedules by it
  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(CommandServices, RunsUntilAskedToStopAndSeesTheRequest) {
  install_command("app.cmd.test", "wait");
  ASSERT_TRUE(runtime_->start_service(id("app.cmd.test")));
  EXPECT_EQ(state("app.cmd.test"), ModuleState::Running);
  EXPECT_TRUE(log_has("app.cmd.test", "out: started wait"));
  // Its store belongs to _start: a call is refused at once, not queued.
  auto refused = runtime_->call_service(id("app.cmd.test"), "_start()");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(refused.error().message(), HasSubstr("command service"));
  // A graceful stop: the guest sees the request and returns, without the
  // clock ever reaching the end of the grace period.
  auto stopped = runtime_->stop_service(id("app.cmd.test"));
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  EXPECT_EQ(state("app.cmd.test"), ModuleState::Stopped);
  EXPECT_THAT(log_text("app.cmd.test"), HasSubstr("out: stop seen"));
  EXPECT_EQ(runtime_->service_metrics(id("app.cmd.test")).traps, 0u);
  // And it starts again, a fresh _start.
  ASSERT_TRUE(runtime_->start_service(id("app.cmd.test")));
  EXPECT_TRUE(eventually([&] {
    const auto text = log_text("app.cmd.test");
    return text.find("started wait") != text.rfind("started wait");
  }));
  ASSERT_TRUE(runtime_->stop_service(id("app.cmd.test")));
}

TEST_F(CommandServices, AGuestIgnoringTheStopIsInterruptedAfterTheGracePeriod) {
  install_command("app.cmd.test", "spin");
  ASSERT_TRUE(runtime_->start_service(id("app.cmd.test")));
  EXPECT_TRUE(log_has("app.cmd.test", "out: started spin"));
  auto stopped = stop_past_grace("app.cmd.test");
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  EXPECT_EQ(state("app.cmd.test"), ModuleState::Stopped);
  EXPECT_EQ(runtime_->service_metrics(id("app.cmd.test")).traps, 0u);  // a stop is no crash
  EXPECT_THAT(log_text("app.cmd.test"), Not(HasSubstr("stop seen")));
}

TEST_F(CommandServices, EachRunsOnAThreadOfItsOwnNotAWorker) {
  // More spinning commands than the pool has workers (two), and a reactor
  // service that still answers: no command holds a worker.
  const std::vector<std::string> names = {"app.cmd-a.test", "app.cmd-b.test", "app.cmd-c.test"};
  for (const auto& name : names) {
    install_command(name, "spin");
    ASSERT_TRUE(runtime_->start_service(id(name)));
    EXPECT_TRUE(log_has(name, "out: started spin"));
  }
  AddOptions options;
  options.id = id("app.svc.test");
  ASSERT_TRUE(runtime_->add_module_file(guest_path("service_probe", "core"), options));
  ASSERT_TRUE(runtime_->start_service(id("app.svc.test")));
  auto answered = runtime_->call_service(id("app.svc.test"), "add(40, 2)");
  ASSERT_TRUE(answered) << answered.error().to_string();
  EXPECT_EQ(answered->results, "42");
  for (const auto& name : names) {
    EXPECT_EQ(state(name), ModuleState::Running);
    auto stopped = stop_past_grace(name);
    EXPECT_TRUE(stopped) << stopped.error().to_string();
  }
}

TEST_F(CommandServices, ANonZeroExitCrashesAndFollowsTheRestartPolicy) {
  install_command("app.cmd.test", "exit-3", RestartPolicy::OnFailure, /*budget=*/1);
  (void)runtime_->start_service(id("app.cmd.test"));  // it may already have exited
  ASSERT_TRUE(wait_for("app.cmd.test", ModuleState::Crashed));
  EXPECT_THAT(runtime_->service_metrics(id("app.cmd.test")).cause,
              HasSubstr("exited with status 3"));
  ASSERT_TRUE(clock_.wait_for_waiter(clock_.now() + 10ms));
  clock_.advance(10ms);  // the backoff: one restart
  EXPECT_TRUE(eventually([&] { return runtime_->service_metrics(id("app.cmd.test")).restarts == 1; }));
  EXPECT_TRUE(eventually([&] {
    return runtime_->service_metrics(id("app.cmd.test")).cause.find("restart budget exhausted") !=
           std::string::npos;
  }));
  EXPECT_EQ(state("app.cmd.test"), ModuleState::Crashed);
}

TEST_F(CommandServices, ATrapCrashesWithItsCauseAndAZeroExitStops) {
  install_command("app.trap.test", "trap", RestartPolicy::Never);
  (void)runtime_->start_service(id("app.trap.test"));
  ASSERT_TRUE(wait_for("app.trap.test", ModuleState::Crashed));
  EXPECT_THAT(runtime_->service_metrics(id("app.trap.test")).cause, HasSubstr("unreachable"));
  EXPECT_EQ(runtime_->service_metrics(id("app.trap.test")).traps, 1u);

  install_command("app.done.test", "exit-0", RestartPolicy::OnFailure);
  (void)runtime_->start_service(id("app.done.test"));
  ASSERT_TRUE(wait_for("app.done.test", ModuleState::Stopped));
  EXPECT_THAT(runtime_->service_metrics(id("app.done.test")).cause, HasSubstr("status 0"));
  EXPECT_EQ(runtime_->service_metrics(id("app.done.test")).restarts, 0u);
}

}  // namespace
}  // namespace orivon
