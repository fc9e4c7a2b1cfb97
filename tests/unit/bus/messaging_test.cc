// Events between real modules through the public Runtime API: the events
// probe (tests/guests/events) installed as a publisher and a subscriber,
// publishing through wasi:messaging/producer and receiving through its
// incoming-handler, under topic grants.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

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

constexpr const char* kPublisher = "test.events.publisher";
constexpr const char* kSubscriber = "test.events.subscriber";

class EventsModules : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    runtime_.reset();
    RuntimeOptions options;
    options.state_dir = temp_.path();
    options.event_max_deliveries = 3;
    options.event_retry_backoff = 10ms;
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
  }

  void install(const std::string& name) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module_file(guest_path("events_probe", "component"), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  void start(const std::string& name, RestartPolicy policy = RestartPolicy::Never) {
    ServiceSettings settings;
    settings.restart.policy = policy;
    settings.restart.initial_backoff = 10ms;
    settings.restart.budget = 100;
    settings.call_deadline = 2s;
    settings.stop_grace = 200ms;
    runtime_->set_service_settings(id(name), settings);
    auto started = runtime_->start_service(id(name));
    ASSERT_TRUE(started) << started.error().to_string();
  }

  void allow(const std::string& name, const std::string& grant) {
    auto allowed = runtime_->allow_grant(id(name), grant);
    ASSERT_TRUE(allowed) << allowed.error().to_string();
  }

  void subscribe(const std::string& name, const std::string& pattern,
                 EventDurability durability = EventDurability::Ephemeral) {
    auto subscribed = runtime_->subscribe_module(id(name), pattern, durability);
    ASSERT_TRUE(subscribed) << subscribed.error().to_string();
  }

  std::string call(const std::string& name, std::string_view expression) {
    auto outcome = runtime_->call(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  // Both probes installed and running; the subscriber subscribed to
  // `pattern` under a grant for it.
  void publisher_and_subscriber(const std::string& pattern = "visits.>",
                                EventDurability durability = EventDurability::Ephemeral,
                                RestartPolicy policy = RestartPolicy::Never) {
    install(kPublisher);
    install(kSubscriber);
    allow(kSubscriber, "topic:" + pattern + ":subscribe");
    subscribe(kSubscriber, pattern, durability);
    start(kPublisher);
    start(kSubscriber, policy);
  }

  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(EventsModules, AGrantedPublishReachesTheSubscribersHandler) {
  publisher_and_subscriber();
  allow(kPublisher, "topic:visits.*:publish");
  EXPECT_EQ(call(kPublisher, R"(publish("visits.home", [104, 105]))"), "ok");
  ASSERT_TRUE(eventually([&] { return call(kSubscriber, "received()") == "1"; }));
  const std::string last = call(kSubscriber, "last()");
  EXPECT_THAT(last, StartsWith("\"visits.home|hi|text/plain|k=v,orivon-publisher=" +
                               std::string(kPublisher)));
  EXPECT_THAT(last, HasSubstr("orivon-delivery=1"));
  EXPECT_EQ(runtime_->event_counters(id(kPublisher)).published, 1u);
  // The bus counts a delivery once the handler has returned, a moment after
  // the handler's own count is visible.
  EXPECT_TRUE(eventually([&] { return runtime_->event_counters(id(kSubscriber)).delivered == 1; }));
}

TEST_F(EventsModules, APublishWithoutAGrantIsAnErrorValueAndNeverDelivered) {
  publisher_and_subscriber();
  allow(kPublisher, "topic:other.*:publish");
  EXPECT_THAT(call(kPublisher, R"(publish("visits.home", [1]))"),
              HasSubstr("permission-denied: \\'test.events.publisher\\' may not publish on "
                        "\\'visits.home\\'"));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(call(kSubscriber, "attempts()"), "0");
  EXPECT_EQ(runtime_->event_counters(id(kPublisher)).published, 0u);
  // The refusal is in the publisher's log.
  bool noted = false;
  for (const auto& entry : runtime_->service_logs(id(kPublisher), 0, 100)) {
    if (entry.text.find("may not publish on 'visits.home'") != std::string::npos) noted = true;
  }
  EXPECT_TRUE(noted);
}

TEST_F(EventsModules, WildcardsAndEmptyTokensCannotBePublished) {
  publisher_and_subscriber();
  allow(kPublisher, "topic:>:publish");
  EXPECT_THAT(call(kPublisher, R"(publish("visits.*", [1]))"), HasSubstr("other: topic \\'visits.*\\'"));
  EXPECT_THAT(call(kPublisher, R"(publish("visits..x", [1]))"), HasSubstr("token 2 is empty"));
  EXPECT_THAT(call(kPublisher, R"(publish("", [1]))"), HasSubstr("empty"));
  EXPECT_EQ(runtime_->event_counters(id(kPublisher)).published, 0u);
}

TEST_F(EventsModules, AnOversizePayloadIsAClearError) {
  publisher_and_subscriber();
  allow(kPublisher, "topic:>:publish");
  EXPECT_THAT(call(kPublisher, R"(publish-size("visits.big", 1048577))"),
              HasSubstr("the payload is 1048577 bytes, over the limit of 1048576"));
  EXPECT_EQ(call(kPublisher, R"(publish-size("visits.big", 1048576))"), "ok");
  // More than a store's messages may hold traps the guest, not the host.
  EXPECT_THAT(call(kPublisher, R"(publish-size("visits.big", 9000000))"), StartsWith("error:"));
  ASSERT_TRUE(eventually([&] { return runtime_->event_counters(id(kSubscriber)).delivered == 1; }));
}

TEST_F(EventsModules, SubscribingWithoutAGrantIsRefused) {
  install(kSubscriber);
  auto refused = runtime_->subscribe_module(id(kSubscriber), "visits.>", EventDurability::Durable);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::PermissionDenied);
  EXPECT_THAT(refused.error().message(), HasSubstr("topic:visits.>:subscribe"));
  // A grant for part of the pattern does not cover it.
  allow(kSubscriber, "topic:visits.*:subscribe");
  EXPECT_FALSE(runtime_->subscribe_module(id(kSubscriber), "visits.>", EventDurability::Durable));
  EXPECT_TRUE(runtime_->subscribe_module(id(kSubscriber), "visits.eu", EventDurability::Durable));
  auto missing = runtime_->subscribe_module(id("test.events.nobody"), "x", EventDurability::Durable);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

TEST_F(EventsModules, ADenyAppliesToTheNextDeliveryWithoutARestart) {
  publisher_and_subscriber();
  ASSERT_TRUE(runtime_->publish(EventMessage{"visits.a", {1}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] { return call(kSubscriber, "received()") == "1"; }));
  ASSERT_TRUE(runtime_->deny_grant(id(kSubscriber), "topic:visits.>:subscribe"));
  ASSERT_TRUE(runtime_->publish(EventMessage{"visits.b", {2}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] { return runtime_->event_counters(id(kSubscriber)).dropped == 1; }));
  EXPECT_EQ(call(kSubscriber, "attempts()"), "1");
}

TEST_F(EventsModules, AHandlerThatTrapsEveryTimeIsDeadLetteredAndTheHostCarriesOn) {
  publisher_and_subscriber("jobs", EventDurability::Durable, RestartPolicy::OnFailure);
  // A poison event: the probe traps on it even after a restart.
  ASSERT_TRUE(runtime_->publish(EventMessage{"jobs", {'t', 'r', 'a', 'p'}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] {
    auto dead = runtime_->dead_letters(10);
    return dead && dead->size() == 1;
  }, 20s)) << "failed " << runtime_->event_counters(id(kSubscriber)).failed << ", logs:\n" << [&] {
    std::string text;
    auto report = runtime_->events();
    for (const auto& s : report->subscriptions) {
      text += s.subscriber + " pending " + std::to_string(s.pending) + " delivered " +
              std::to_string(s.delivered) + " dropped " + std::to_string(s.dropped) + "\n";
    }
    text += "delivered " + std::to_string(runtime_->event_counters(id(kSubscriber)).delivered) + " attempts " + call(kSubscriber, "attempts()") + "\n";
    for (const auto& entry : runtime_->service_logs(id(kSubscriber), 0, 100)) text += entry.text + "\n";
    return text;
  }();
  auto dead = runtime_->dead_letters(10);
  EXPECT_EQ((*dead)[0].attempts, 3u);
  EXPECT_THAT((*dead)[0].reason, HasSubstr("trap"));
  // Counted once the bus has settled the third delivery (just after the store).
  EXPECT_TRUE(eventually([&] { return runtime_->event_counters(id(kSubscriber)).failed == 3; }));
  // The subscriber was restarted (its mode is back to 0); the next event is fine.
  ASSERT_TRUE(eventually([&] { return runtime_->service_metrics(id(kSubscriber)).state == ModuleState::Running; }));
  ASSERT_TRUE(runtime_->publish(EventMessage{"jobs", {'y'}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] { return call(kSubscriber, "received()") == "1"; }));
  // Requeued, the dead letter fails its deliveries again and comes back.
  auto requeued = runtime_->requeue_dead_letters();
  ASSERT_TRUE(requeued);
  EXPECT_EQ(*requeued, 1u);
  ASSERT_TRUE(eventually([&] { return runtime_->event_counters(id(kSubscriber)).failed == 6; }, 20s));
  ASSERT_TRUE(eventually([&] { return runtime_->dead_letters(10)->size() == 1; }));
}

TEST_F(EventsModules, AHandlerErrorIsRetriedThenDeadLettered) {
  publisher_and_subscriber("jobs", EventDurability::Durable);
  ASSERT_EQ(call(kSubscriber, "set-mode(2)"), "");
  ASSERT_TRUE(runtime_->publish(EventMessage{"jobs", {'x'}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] { return runtime_->dead_letters(10)->size() == 1; }));
  EXPECT_EQ(call(kSubscriber, "attempts()"), "3");
  EXPECT_THAT(runtime_->dead_letters(10)->at(0).reason,
              HasSubstr("err(other(\"refused on purpose\"))"));
  auto purged = runtime_->purge_dead_letters();
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
}

TEST_F(EventsModules, AHandlerThatLoopsHitsItsDeadlineAndIsRetried) {
  publisher_and_subscriber("jobs", EventDurability::Durable, RestartPolicy::OnFailure);
  ASSERT_EQ(call(kSubscriber, "set-mode(3)"), "");
  ASSERT_TRUE(runtime_->publish(EventMessage{"jobs", {'x'}, std::nullopt, {}}));
  // The deadline (2 s) interrupts it; the restarted service acknowledges the retry.
  ASSERT_TRUE(eventually([&] { return runtime_->event_counters(id(kSubscriber)).delivered == 1; },
                         20s));
  EXPECT_EQ(runtime_->event_counters(id(kSubscriber)).failed, 1u);
  EXPECT_THAT(call(kSubscriber, "last()"), HasSubstr("orivon-delivery=2"));
}

TEST_F(EventsModules, TheHopLimitCutsALoopBetweenModules) {
  install(kSubscriber);
  allow(kSubscriber, "topic:loop:subscribe");
  allow(kSubscriber, "topic:loop:publish");
  subscribe(kSubscriber, "loop");
  start(kSubscriber);
  ASSERT_EQ(call(kSubscriber, "set-mode(4)"), "");
  ASSERT_TRUE(runtime_->publish(EventMessage{"loop", {'x'}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] { return call(kSubscriber, "received()") == "16"; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(call(kSubscriber, "received()"), "16");
  EXPECT_THAT(call(kSubscriber, "last()"), HasSubstr("loop stopped: other:"));
  EXPECT_THAT(call(kSubscriber, "last()"), HasSubstr("hop limit"));
}

TEST_F(EventsModules, DurableEventsWaitForAStoppedSubscriberAndARestartOfTheHost) {
  publisher_and_subscriber("jobs", EventDurability::Durable);
  ASSERT_TRUE(runtime_->stop_service(id(kSubscriber)));
  for (std::uint8_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(runtime_->publish(EventMessage{"jobs", {static_cast<std::uint8_t>('0' + i)},
                                               std::nullopt, {}}));
  }
  // A new runtime on the same state: the subscription and its events are there.
  open();
  auto report = runtime_->events();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->subscriptions.size(), 1u);
  EXPECT_EQ(report->subscriptions[0].pending, 3u);
  start(kSubscriber);
  ASSERT_TRUE(eventually([&] { return call(kSubscriber, "received()") == "3"; }));
  EXPECT_THAT(call(kSubscriber, "last()"), StartsWith("\"jobs|2|"));
}

TEST_F(EventsModules, AClientSubscriptionSeesModulesEvents) {
  install(kPublisher);
  allow(kPublisher, "topic:visits.*:publish");
  start(kPublisher);
  std::mutex mutex;
  std::vector<ReceivedEvent> got;
  auto subscription = runtime_->subscribe_events("visits.*", [&](const ReceivedEvent& event) -> Result<void> {
    std::lock_guard lock(mutex);
    got.push_back(event);
    return ok();
  });
  ASSERT_TRUE(subscription);
  EXPECT_EQ(call(kPublisher, R"(publish("visits.x", [65]))"), "ok");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return got.size() == 1;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(got[0].publisher, kPublisher);
  EXPECT_EQ(got[0].message.content_type, "text/plain");
  EXPECT_EQ(got[0].message.data, std::vector<std::uint8_t>{65});
}


TEST_F(EventsModules, AManifestEventTriggerSubscribesAtStartOnlyUnderAGrant) {
  Manifest manifest;
  manifest.id = id(kSubscriber);
  Trigger trigger;
  trigger.kind = Trigger::Kind::Event;
  trigger.call = "wasi:messaging/incoming-handler@0.2.0-draft#handle";
  trigger.topic = "visits.*";
  manifest.triggers.push_back(trigger);
  AddOptions options;
  options.id = id(kSubscriber);
  options.manifest = manifest;
  ASSERT_TRUE(runtime_->add_module_file(guest_path("events_probe", "component"), options));
  start(kSubscriber);
  // No grant: not subscribed, and the log says why.
  EXPECT_TRUE(runtime_->events()->subscriptions.empty());
  bool noted = false;
  for (const auto& entry : runtime_->service_logs(id(kSubscriber), 0, 100)) {
    if (entry.text.find("event trigger on 'visits.*' not subscribed") != std::string::npos) {
      noted = true;
    }
  }
  EXPECT_TRUE(noted);
  allow(kSubscriber, "topic:visits.*:subscribe");
  ASSERT_TRUE(runtime_->restart_service(id(kSubscriber)));
  ASSERT_TRUE(runtime_->stop_service(id(kSubscriber)));
  start(kSubscriber);
  auto report = runtime_->events();
  ASSERT_EQ(report->subscriptions.size(), 1u);
  EXPECT_EQ(report->subscriptions[0].source, "manifest");
  ASSERT_TRUE(runtime_->publish(EventMessage{"visits.x", {'v'}, std::nullopt, {}}));
  ASSERT_TRUE(eventually([&] { return call(kSubscriber, "received()") == "1"; }));
}

}  // namespace
}  // namespace orivon
