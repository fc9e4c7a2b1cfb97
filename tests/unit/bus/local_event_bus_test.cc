#include "bus/local_event_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/wait.h"

namespace orivon::bus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using orivon::testing::eventually;
using orivon::testing::TempDir;

ModuleId id(std::string_view text) { return *ModuleId::parse(text); }

EventMessage message(std::string topic, std::string data) {
  EventMessage m;
  m.topic = std::move(topic);
  m.data.assign(data.begin(), data.end());
  return m;
}

std::string text(const ReceivedEvent& event) {
  return std::string(event.message.data.begin(), event.message.data.end());
}

// Records every delivery; answers with `answer` (acknowledged by default).
class FakeSink : public EventSink {
 public:
  DeliveryOutcome deliver(const ModuleId& subscriber, const ReceivedEvent& event) override {
    std::function<DeliveryOutcome(const ReceivedEvent&)> answer;
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(subscriber.str() + ":" + text(event) + "#" + std::to_string(event.attempt));
      answer = answer_;
    }
    return answer ? answer(event) : DeliveryOutcome{};
  }
  void answer(std::function<DeliveryOutcome(const ReceivedEvent&)> answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> seen_;
  std::function<DeliveryOutcome(const ReceivedEvent&)> answer_;
};

LocalBusOptions fast_options(const std::filesystem::path& database) {
  LocalBusOptions options;
  options.database = database;
  options.initial_backoff = std::chrono::milliseconds(5);
  options.max_backoff = std::chrono::milliseconds(20);
  options.idle_poll = std::chrono::milliseconds(10);
  options.max_deliveries = 3;
  return options;
}

class EventsBus : public ::testing::Test {
 protected:
  std::unique_ptr<EventBus> open(LocalBusOptions options) {
    auto bus = make_local_event_bus(options, sink_);
    EXPECT_TRUE(bus) << bus.error().to_string();
    return bus ? std::move(*bus) : nullptr;
  }
  std::unique_ptr<EventBus> open() { return open(fast_options(dir_.path() / "events.db")); }

  TempDir dir_;
  FakeSink sink_;
};

TEST_F(EventsBus, AnEphemeralSubscriberReceivesMatchingTopicsInOrder) {
  auto bus = open();
  ASSERT_TRUE(bus->subscribe(id("app.stats.demo"), "visits.*", EventDurability::Ephemeral,
                             SubscriptionSource::Client));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(bus->publish("client", message("visits.eu", std::to_string(i)), 0));
  }
  ASSERT_TRUE(bus->publish("client", message("visits.eu.x", "deeper"), 0));
  ASSERT_TRUE(bus->publish("client", message("other", "other"), 0));
  ASSERT_TRUE(eventually([&] { return sink_.seen().size() >= 20; }));
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.push_back("app.stats.demo:" + std::to_string(i) + "#1");
  bus->shut_down();
  EXPECT_EQ(sink_.seen(), expected);  // FIFO, and nothing that did not match
  EXPECT_EQ(bus->counters("app.stats.demo").delivered, 20u);
  EXPECT_EQ(bus->counters("client").published, 22u);
}

TEST_F(EventsBus, AClientSubscriptionGetsTheEventWithItsMetadata) {
  auto bus = open();
  std::mutex mutex;
  std::vector<ReceivedEvent> got;
  auto subscription = bus->subscribe_client(">", [&](const ReceivedEvent& event) -> Result<void> {
    std::lock_guard lock(mutex);
    got.push_back(event);
    return ok();
  });
  ASSERT_TRUE(subscription);
  EventMessage m = message("a.b", "payload");
  m.content_type = "text/plain";
  m.metadata = {{"trace", "1"}, {"k", "v"}};
  ASSERT_TRUE(bus->publish("app.front.demo", m, 3));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return got.size() == 1;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(got[0].message, m);
  EXPECT_EQ(got[0].publisher, "app.front.demo");
  EXPECT_EQ(got[0].hops, 3u);
  EXPECT_TRUE(bus->unsubscribe_client(*subscription));
  EXPECT_EQ(bus->unsubscribe_client(*subscription).error().code(), ErrorCode::NotFound);
}

TEST_F(EventsBus, AFullEphemeralQueueDropsTheOldestAndCountsIt) {
  auto options = fast_options(dir_.path() / "events.db");
  options.ephemeral_queue_events = 4;
  auto bus = open(options);
  std::atomic<bool> release{false};
  sink_.answer([&](const ReceivedEvent&) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return DeliveryOutcome{};
  });
  ASSERT_TRUE(bus->subscribe(id("app.slow.demo"), "t", EventDurability::Ephemeral,
                             SubscriptionSource::Client));
  ASSERT_TRUE(bus->publish("client", message("t", "0"), 0));
  ASSERT_TRUE(eventually([&] { return sink_.seen().size() == 1; }));  // 0 is in the handler
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(bus->publish("client", message("t", std::to_string(i)), 0));
  release = true;
  ASSERT_TRUE(eventually([&] { return bus->counters("app.slow.demo").delivered == 4; }));
  bus->shut_down();
  // 0 was being handled; of 1..10 the queue (4, 0 included) kept the newest 3.
  EXPECT_THAT(sink_.seen(), ElementsAre("app.slow.demo:0#1", "app.slow.demo:8#1",
                                        "app.slow.demo:9#1", "app.slow.demo:10#1"));
  EXPECT_EQ(bus->counters("app.slow.demo").dropped, 7u);
  auto report = bus->report();
  ASSERT_EQ(report.subscriptions.size(), 1u);
  EXPECT_EQ(report.subscriptions[0].dropped, 7u);
}

TEST_F(EventsBus, ADurableFailureIsRetriedWithBackoffThenDeadLettered) {
  auto bus = open();
  sink_.answer([](const ReceivedEvent& event) {
    if (text(event) == "poison") return DeliveryOutcome{DeliveryOutcome::Kind::Failed, "trap: boom"};
    return DeliveryOutcome{};
  });
  ASSERT_TRUE(bus->subscribe(id("app.orders.demo"), "orders.>", EventDurability::Durable,
                             SubscriptionSource::Client));
  ASSERT_TRUE(bus->publish("client", message("orders.new", "poison"), 0));
  ASSERT_TRUE(bus->publish("client", message("orders.new", "fine"), 0));
  ASSERT_TRUE(eventually([&] { return bus->counters("app.orders.demo").delivered == 1; }));
  // FIFO: "fine" waited until "poison" was dead-lettered after 3 deliveries.
  EXPECT_THAT(sink_.seen(), ElementsAre("app.orders.demo:poison#1", "app.orders.demo:poison#2",
                                        "app.orders.demo:poison#3", "app.orders.demo:fine#1"));
  auto dead = bus->dead_letters(10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(text((*dead)[0].event), "poison");
  EXPECT_EQ((*dead)[0].attempts, 3u);
  EXPECT_THAT((*dead)[0].reason, HasSubstr("trap: boom"));
  EXPECT_EQ((*dead)[0].subscriber, "app.orders.demo");
  EXPECT_EQ(bus->counters("app.orders.demo").failed, 3u);
  EXPECT_EQ(bus->report().dead_letters, 1u);

  // Requeued, it is delivered again (now acknowledged) and leaves the dead letters.
  sink_.answer({});
  auto requeued = bus->requeue_dead_letters();
  ASSERT_TRUE(requeued);
  EXPECT_EQ(*requeued, 1u);
  ASSERT_TRUE(eventually([&] { return bus->counters("app.orders.demo").delivered == 2; }));
  EXPECT_EQ(bus->report().dead_letters, 0u);
}

TEST_F(EventsBus, PurgedDeadLettersAreGone) {
  auto bus = open();
  sink_.answer([](const ReceivedEvent&) {
    return DeliveryOutcome{DeliveryOutcome::Kind::Failed, "err(no)"};
  });
  ASSERT_TRUE(bus->subscribe(id("app.orders.demo"), "o", EventDurability::Durable,
                             SubscriptionSource::Client));
  ASSERT_TRUE(bus->publish("client", message("o", "x"), 0));
  ASSERT_TRUE(eventually([&] { return bus->report().dead_letters == 1; }));
  auto purged = bus->purge_dead_letters();
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(bus->report().dead_letters, 0u);
  EXPECT_TRUE(bus->dead_letters(10)->empty());
}

TEST_F(EventsBus, DurableEventsWaitForAStoppedSubscriberAndSurviveARestart) {
  std::atomic<bool> running{false};
  sink_.answer([&](const ReceivedEvent&) {
    return running ? DeliveryOutcome{} : DeliveryOutcome{DeliveryOutcome::Kind::NotRunning, ""};
  });
  {
    auto bus = open();
    ASSERT_TRUE(bus->subscribe(id("app.stats.demo"), "visits", EventDurability::Durable,
                               SubscriptionSource::Client));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(bus->publish("client", message("visits", std::to_string(i)), 0));
    ASSERT_TRUE(eventually([&] { return !sink_.seen().empty(); }));
    EXPECT_EQ(bus->report().subscriptions.at(0).pending, 3u);
  }
  // A new bus on the same database: subscription and events are back.
  running = true;
  auto bus = open();
  ASSERT_TRUE(eventually([&] { return bus->counters("app.stats.demo").delivered == 3; }));
  auto seen = sink_.seen();
  std::vector<std::string> acknowledged(seen.end() - 3, seen.end());
  EXPECT_THAT(acknowledged, ElementsAre("app.stats.demo:0#1", "app.stats.demo:1#1",
                                        "app.stats.demo:2#1"));
  bus->shut_down();
  // Acknowledged events are gone for good.
  auto again = open();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(again->report().subscriptions.at(0).pending, 0u);
}

// A subscriber that starts takes its waiting events at once: wake() makes
// its lanes ready and wakes a delivery thread, instead of leaving them to
// the next poll (an hour here). Waking another module delivers nothing.
TEST_F(EventsBus, WakingAStartedSubscriberDeliversItsWaitingEventsAtOnce) {
  std::atomic<bool> running{false};
  sink_.answer([&](const ReceivedEvent&) {
    return running ? DeliveryOutcome{} : DeliveryOutcome{DeliveryOutcome::Kind::NotRunning, ""};
  });
  auto options = fast_options(dir_.path() / "events.db");
  options.idle_poll = std::chrono::hours(1);
  auto bus = open(options);
  for (const char* module : {"app.stats.demo", "app.other.demo"}) {
    ASSERT_TRUE(bus->subscribe(id(module), "visits", EventDurability::Durable,
                               SubscriptionSource::Client));
  }
  ASSERT_TRUE(bus->publish("client", message("visits", "1"), 0));
  ASSERT_TRUE(eventually([&] { return sink_.seen().size() == 2; }));  // both not running
  running = true;
  // Twice, so that the second finds a delivery thread asleep, not polling.
  for (int round = 0; round < 2; ++round) {
    const char* module = round == 0 ? "app.stats.demo" : "app.other.demo";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bus->wake(id("app.unrelated.demo"));
    bus->wake(id(module));
    ASSERT_TRUE(eventually([&] { return bus->counters(module).delivered == 1; }))
        << module << " was not woken";
  }
  EXPECT_EQ(sink_.seen().size(), 4u);
}

TEST_F(EventsBus, AFullDurableQueueRefusesThePublisher) {
  auto options = fast_options(dir_.path() / "events.db");
  options.durable_queue_events = 2;
  auto bus = open(options);
  sink_.answer([](const ReceivedEvent&) {
    return DeliveryOutcome{DeliveryOutcome::Kind::NotRunning, ""};
  });
  ASSERT_TRUE(bus->subscribe(id("app.stats.demo"), "v", EventDurability::Durable,
                             SubscriptionSource::Client));
  ASSERT_TRUE(bus->publish("client", message("v", "1"), 0));
  ASSERT_TRUE(bus->publish("client", message("v", "2"), 0));
  auto third = bus->publish("client", message("v", "3"), 0);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_THAT(third.error().message(), HasSubstr("'app.stats.demo' to 'v' is full"));
  EXPECT_EQ(bus->counters("client").published, 2u);
}

TEST_F(EventsBus, TheHopLimitCutsLoops) {
  auto bus = open();
  EXPECT_TRUE(bus->publish("app.a.demo", message("t", "x"), limits::kEventHopLimit - 1));
  auto looped = bus->publish("app.a.demo", message("t", "x"), limits::kEventHopLimit);
  ASSERT_FALSE(looped);
  EXPECT_EQ(looped.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_THAT(looped.error().message(), HasSubstr("hop limit"));
}

TEST_F(EventsBus, BadMessagesAreRefusedWithTheReason) {
  auto bus = open();
  auto wildcard = bus->publish("client", message("orders.*", "x"), 0);
  ASSERT_FALSE(wildcard);
  EXPECT_EQ(wildcard.error().code(), ErrorCode::InvalidArgument);
  auto empty_token = bus->publish("client", message("orders..x", "x"), 0);
  ASSERT_FALSE(empty_token);
  EXPECT_THAT(empty_token.error().message(), HasSubstr("token 2 is empty"));
  auto big = bus->publish("client", message("t", std::string(limits::kMaxEventBytes + 1, 'x')), 0);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(big.error().message(), HasSubstr("over the limit"));
  EXPECT_EQ(bus->counters("client").published, 0u);
  EXPECT_FALSE(bus->subscribe(id("app.a.demo"), "a.>.b", EventDurability::Durable,
                              SubscriptionSource::Client));
}

TEST_F(EventsBus, ARefusedDeliveryIsDroppedNotRetried) {
  auto bus = open();
  sink_.answer([](const ReceivedEvent&) {
    return DeliveryOutcome{DeliveryOutcome::Kind::Refused, "no grant"};
  });
  ASSERT_TRUE(bus->subscribe(id("app.a.demo"), "t", EventDurability::Durable,
                             SubscriptionSource::Client));
  ASSERT_TRUE(bus->publish("client", message("t", "x"), 0));
  ASSERT_TRUE(eventually([&] { return bus->counters("app.a.demo").dropped == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sink_.seen().size(), 1u);
  EXPECT_EQ(bus->report().dead_letters, 0u);
}

TEST_F(EventsBus, UnsubscribingStopsDeliveryAndForgetsTheSubscription) {
  auto bus = open();
  ASSERT_TRUE(bus->subscribe(id("app.a.demo"), "t", EventDurability::Durable,
                             SubscriptionSource::Client));
  EXPECT_EQ(bus->subscriptions(id("app.a.demo")).size(), 1u);
  ASSERT_TRUE(bus->unsubscribe(id("app.a.demo"), "t"));
  EXPECT_EQ(bus->unsubscribe(id("app.a.demo"), "t").error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(bus->publish("client", message("t", "x"), 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(sink_.seen().empty());
  bus->shut_down();
  EXPECT_TRUE(open()->report().subscriptions.empty());
}

TEST_F(EventsBus, WithoutADatabaseOnlyClientSubscriptionsExist) {
  LocalBusOptions options;
  auto bus = open(options);
  auto refused = bus->subscribe(id("app.a.demo"), "t", EventDurability::Ephemeral,
                                SubscriptionSource::Client);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_TRUE(bus->publish("client", message("t", "x"), 0));
}


// A flood publisher (1,000,000 events) beside a healthy subscriber: the slow
// subscriber's queue stays bounded (the rest is dropped and counted) and the
// healthy one keeps receiving its own topic while the flood goes on.
// Delivery threads poll for a moment before they sleep, and a publisher
// wakes none while one polls. Publishers on many threads, pausing now and
// then so the bus goes idle and busy again, must never leave an event
// waiting with every thread asleep.
TEST_F(EventsBus, ConcurrentPublishersWithPausesLoseNoWakeUp) {
  auto bus = open();
  constexpr int kLanes = 24;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 1'500;
  for (int lane = 0; lane < kLanes; ++lane) {
    ASSERT_TRUE(bus->subscribe(id("app.lane" + std::to_string(lane) + ".demo"),
                               "wake." + std::to_string(lane), EventDurability::Ephemeral,
                               SubscriptionSource::Client));
  }
  std::vector<std::thread> publishers;
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int lane = (t * 7 + i) % kLanes;
        if (!bus->publish("client", message("wake." + std::to_string(lane), "x"), 0)) ++refused;
        // Longer than the delivery threads poll, now and then.
        if (i % 40 == t) std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
  }
  for (auto& publisher : publishers) publisher.join();
  EXPECT_EQ(refused.load(), 0);
  // Fewer than the ephemeral bound per lane: nothing may be dropped.
  ASSERT_TRUE(eventually([&] { return sink_.seen().size() == kThreads * kPerThread; }))
      << sink_.seen().size() << " of " << kThreads * kPerThread << " delivered";
  std::uint64_t dropped = 0;
  for (const auto& s : bus->report().subscriptions) dropped += s.dropped;
  EXPECT_EQ(dropped, 0u);
}

TEST_F(EventsBus, AFloodIsBoundedAndAHealthySubscriberKeepsReceiving) {
  auto bus = open();
  std::atomic<bool> release{false};
  sink_.answer([&](const ReceivedEvent& event) {
    if (event.message.topic == "flood") {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return DeliveryOutcome{};
  });
  ASSERT_TRUE(bus->subscribe(id("app.slow.demo"), "flood", EventDurability::Ephemeral,
                             SubscriptionSource::Client));
  ASSERT_TRUE(bus->subscribe(id("app.healthy.demo"), "health", EventDurability::Ephemeral,
                             SubscriptionSource::Client));
  constexpr std::uint64_t kFlood = 1'000'000;
  std::uint64_t healthy_sent = 0;
  for (std::uint64_t i = 0; i < kFlood; ++i) {
    ASSERT_TRUE(bus->publish("app.flood.demo", message("flood", "x"), 0));
    if (i % 100'000 == 0) {
      ASSERT_TRUE(bus->publish("client", message("health", std::to_string(i)), 0));
      ++healthy_sent;
      // Delivered while the flood is still going on.
      ASSERT_TRUE(eventually([&] { return bus->counters("app.healthy.demo").delivered == healthy_sent; }));
    }
  }
  auto report = bus->report();
  for (const auto& s : report.subscriptions) {
    if (s.subscriber == "app.slow.demo") {
      EXPECT_LE(s.pending, limits::kEphemeralQueueEvents);
      EXPECT_GE(s.dropped, kFlood - limits::kEphemeralQueueEvents - 1);
    }
  }
  EXPECT_EQ(bus->counters("app.flood.demo").published, kFlood);
  release = true;
  ASSERT_TRUE(eventually([&] {
    const auto counters = bus->counters("app.slow.demo");
    return counters.delivered + counters.dropped == kFlood;
  }));
}

}  // namespace
}  // namespace orivon::bus
