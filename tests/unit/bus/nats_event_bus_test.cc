// The bus of a host on NATS when its server is away (the multi-host
// behaviour with a real server is tests/cluster/cluster_test.py): the host's
// own events keep flowing, what it cannot send waits in a bounded outbox,
// and past the bound a publish is refused and published nowhere.

#include "bus/nats_event_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "bus/local_event_bus.h"
#include "support/loopback.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon::bus {
namespace {

using ::testing::HasSubstr;

class NoModules : public EventSink {
 public:
  DeliveryOutcome deliver(const ModuleId&, const ReceivedEvent&) override { return {}; }
};

EventMessage message(std::string topic, std::string data) {
  EventMessage m;
  m.topic = std::move(topic);
  m.data.assign(data.begin(), data.end());
  return m;
}

TEST(NatsEventBus, WithoutItsServerAHostKeepsItsOwnEventsAndAnOutboxWithABound) {
  ClusterOptions cluster;
  // Nothing listens there: the link waits for a server in the background.
  cluster.nats_url = "nats://127.0.0.1:" + std::to_string(orivon::testing::free_port());
  auto link = cluster::NatsLink::open(cluster, "lonely");
  ASSERT_TRUE(link) << link.error().to_string();
  EXPECT_EQ((*link)->state(), cluster::NatsLink::State::Down);

  NoModules sink;
  auto local = make_local_event_bus(LocalBusOptions{}, sink);
  ASSERT_TRUE(local) << local.error().to_string();
  NatsBusOptions options;
  options.outbox_events = 3;
  auto bus = make_nats_event_bus(std::move(*local), std::move(*link), options);
  ASSERT_TRUE(bus) << bus.error().to_string();

  std::atomic<int> handled{0};
  ASSERT_TRUE((*bus)->subscribe_client("orders.>", [&](const ReceivedEvent&) -> Result<void> {
    handled.fetch_add(1);
    return ok();
  }));
  for (int i = 0; i < 3; ++i) {
    auto published = (*bus)->publish("client", message("orders.eu", std::to_string(i)), 0);
    ASSERT_TRUE(published) << published.error().to_string();
  }
  auto refused = (*bus)->publish("client", message("orders.eu", "one too many"), 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_THAT(refused.error().message(), HasSubstr("outbox is full (3 events"));

  // A bad event is refused before the outbox is looked at.
  auto wildcard = (*bus)->publish("client", message("orders.*", "x"), 0);
  ASSERT_FALSE(wildcard);
  EXPECT_EQ(wildcard.error().code(), ErrorCode::InvalidArgument);

  const EventsReport report = (*bus)->report();
  ASSERT_TRUE(report.cluster.has_value());
  EXPECT_EQ(report.cluster->state, "down");
  EXPECT_EQ(report.cluster->host, "lonely");
  EXPECT_EQ(report.cluster->outbox, 3u);
  EXPECT_EQ(report.cluster->sent, 0u);
  // The three accepted events reached this host's own subscriber; the
  // refused one reached nobody.
  EXPECT_TRUE(orivon::testing::eventually([&] { return handled.load() == 3; }));
  (*bus)->shut_down();
  EXPECT_EQ(handled.load(), 3);
}

TEST(NatsEventBus, TheOutboxOnDiskOutlivesTheHost) {
  orivon::testing::TempDir dir;
  ClusterOptions cluster;
  cluster.nats_url = "nats://127.0.0.1:" + std::to_string(orivon::testing::free_port());
  NatsBusOptions options;
  options.outbox_database = dir.path() / "cluster-outbox.db";
  NoModules sink;
  auto open_bus = [&]() -> std::unique_ptr<EventBus> {
    auto link = cluster::NatsLink::open(cluster, "crashy");
    auto local = make_local_event_bus(LocalBusOptions{}, sink);
    if (!link || !local) return nullptr;
    auto bus = make_nats_event_bus(std::move(*local), std::move(*link), options);
    EXPECT_TRUE(bus) << bus.error().to_string();
    return bus ? std::move(*bus) : nullptr;
  };
  {
    auto bus = open_bus();
    ASSERT_NE(bus, nullptr);
    ASSERT_TRUE(bus->publish("client", message("orders.eu", "one"), 0));
    ASSERT_TRUE(bus->publish("client", message("orders.eu", "two"), 0));
    EXPECT_EQ(bus->report().cluster->outbox, 2u);
  }
  auto again = open_bus();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->report().cluster->outbox, 2u);

  // A file that is not an outbox is a clear error, not a crash.
  orivon::testing::write_text(dir.path() / "garbage.db", std::string(4096, 'x'));
  options.outbox_database = dir.path() / "garbage.db";
  auto link = cluster::NatsLink::open(cluster, "crashy");
  auto local = make_local_event_bus(LocalBusOptions{}, sink);
  ASSERT_TRUE(link && local);
  auto refused = make_nats_event_bus(std::move(*local), std::move(*link), options);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("cluster outbox"));
}

}  // namespace
}  // namespace orivon::bus
