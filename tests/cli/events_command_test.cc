// `orivon publish`, `subscribe`, `unsubscribe`, `events` and `events dead`
// over a real host, with the events probe (tests/guests/events) as the
// subscribing module.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"
#include "support/wait.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kSubscriber = "app.stats.events";

class EventsCli : public StateDirTest {
 protected:
  void SetUp() override {
    auto added = cli({"add", guest_path("events_probe", "component").string(), "--id", kSubscriber});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  void ok(std::vector<std::string> args) {
    auto result = cli(args);
    ASSERT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
  }

  std::string call(const std::string& expression) {
    auto result = cli({"call", kSubscriber, expression});
    return result.exit_code == 0 ? result.out : "error: " + result.err;
  }

  nlohmann::json events_json() {
    auto result = cli({"events", "--json"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }
};

TEST_F(EventsCli, SubscribeNeedsAGrantAndPublishNeedsAHost) {
  auto refused = cli({"subscribe", kSubscriber, "visits.*"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("orivon allow app.stats.events topic:visits.*:subscribe"));
  ok({"allow", kSubscriber, "topic:visits.*:subscribe"});
  ok({"subscribe", kSubscriber, "visits.*", "--durable"});
  auto listed = events_json();
  ASSERT_EQ(listed["subscriptions"].size(), 1u);
  EXPECT_EQ(listed["subscriptions"][0]["durability"], "durable");
  EXPECT_EQ(listed["subscriptions"][0]["subscriber"], kSubscriber);

  auto no_host = cli({"publish", "visits.home", "hi"});
  EXPECT_EQ(no_host.exit_code, 1);
  EXPECT_THAT(no_host.err, HasSubstr("needs a running host"));

  auto bad_pattern = cli({"subscribe", kSubscriber, "visits.>.x"});
  EXPECT_EQ(bad_pattern.exit_code, 1);
  EXPECT_THAT(bad_pattern.err, HasSubstr("'>' must be the last token"));
  auto bad_id = cli({"subscribe", "Not An Id", "x"});
  EXPECT_EQ(bad_id.exit_code, 2);
  ok({"unsubscribe", kSubscriber, "visits.*"});
  auto again = cli({"unsubscribe", kSubscriber, "visits.*"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("has no subscription"));
}

TEST_F(EventsCli, APublishedEventReachesTheRunningSubscriber) {
  ok({"allow", kSubscriber, "topic:visits.*:subscribe"});
  ok({"subscribe", kSubscriber, "visits.*"});
  auto host = start_host();
  ok({"start", kSubscriber});
  auto published = cli({"publish", "visits.home", "hello", "--content-type", "text/plain",
                        "--meta", "a=b", "--json"});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  auto reply = nlohmann::json::parse(published.out, nullptr, false);
  EXPECT_EQ(reply["bytes"], 5);
  ASSERT_TRUE(eventually([&] { return call("received()") == "1\n"; }));
  EXPECT_THAT(call("last()"), HasSubstr("visits.home|hello|text/plain|a=b,orivon-publisher=client"));

  auto report = events_json();
  EXPECT_EQ(report["subscriptions"][0]["delivered"], 1);
  EXPECT_EQ(report["topics"][0]["topic"], "visits.home");
  auto listed = cli({"list", "--json"});
  auto modules = nlohmann::json::parse(listed.out, nullptr, false);
  EXPECT_EQ(modules[0]["events"]["delivered"], 1);
  auto inspected = cli({"inspect", kSubscriber});
  EXPECT_THAT(inspected.out, HasSubstr("events:      0 published, 1 delivered"));

  // Hostile input: wildcards, empty tokens, oversize files, malformed metadata.
  auto wildcard = cli({"publish", "visits.*", "x"});
  EXPECT_EQ(wildcard.exit_code, 1);
  EXPECT_THAT(wildcard.err, HasSubstr("may only be used in grants and subscriptions"));
  auto empty = cli({"publish", "visits..home", "x"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("token 2 is empty"));
  const auto big = temp_.path() / "big";
  write_text(big, std::string((1 << 20) + 1, 'x'));
  auto oversize = cli({"publish", "visits.home", "--file", big.string()});
  EXPECT_EQ(oversize.exit_code, 1);
  EXPECT_THAT(oversize.err, HasSubstr("over the limit of 1048576"));
  auto meta = cli({"publish", "visits.home", "--meta", "novalue"});
  EXPECT_EQ(meta.exit_code, 2);
  EXPECT_EQ(call("received()"), "1\n");
}

TEST_F(EventsCli, DeadLettersAreListedRequeuedAndPurged) {
  ok({"allow", kSubscriber, "topic:jobs:subscribe"});
  ok({"subscribe", kSubscriber, "jobs", "--durable"});
  auto host = start_host();
  ok({"start", kSubscriber});
  ASSERT_EQ(call("set-mode(2)"), "");  // every delivery returns err
  ok({"publish", "jobs", "work"});
  // Five deliveries a second apart, doubling: about 15 s to the dead letters.
  ASSERT_TRUE(eventually([&] { return events_json()["dead_letters"] == 1; }, 60s));
  auto dead = cli({"events", "dead"});
  EXPECT_EQ(dead.exit_code, 0);
  EXPECT_THAT(dead.out, HasSubstr("app.stats.events on jobs from client, 5 attempts"));
  EXPECT_THAT(dead.out, HasSubstr("refused on purpose"));
  EXPECT_THAT(dead.out, HasSubstr("data: work"));
  ASSERT_EQ(call("set-mode(0)"), "");
  auto requeued = cli({"events", "dead", "--requeue", "--json"});
  EXPECT_EQ(nlohmann::json::parse(requeued.out, nullptr, false)["requeued"], 1);
  ASSERT_TRUE(eventually([&] { return call("received()") == "1\n"; }));
  EXPECT_EQ(events_json()["dead_letters"], 0);
  auto both = cli({"events", "dead", "--requeue", "--purge"});
  EXPECT_EQ(both.exit_code, 2);
  auto purged = cli({"events", "dead", "--purge"});
  EXPECT_EQ(purged.exit_code, 0);
  EXPECT_THAT(purged.out, HasSubstr("purged 0 dead letters"));
}

// No acknowledged publish is lost and no acknowledged event comes back when
// the host is killed.
TEST_F(EventsCli, DurableEventsSurviveASigkillOfTheHost) {
  ok({"allow", kSubscriber, "topic:jobs:subscribe"});
  ok({"subscribe", kSubscriber, "jobs", "--durable"});
  {
    auto host = start_host();
    for (int i = 0; i < 5; ++i) ok({"publish", "jobs", std::to_string(i)});
    host->send_signal(SIGKILL);
    host->wait(10s);
  }
  {
    auto host = start_host();
    EXPECT_EQ(events_json()["subscriptions"][0]["pending"], 5);
    ok({"start", kSubscriber});
    ASSERT_TRUE(eventually([&] { return call("received()") == "5\n"; }));
    EXPECT_THAT(call("last()"), HasSubstr("jobs|4|"));
    host->send_signal(SIGKILL);
    host->wait(10s);
  }
  auto host = start_host();  // starts the subscriber (autostart): nothing comes again
  ASSERT_TRUE(eventually([&] { return call("received()") == "0\n"; }));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(call("received()"), "0\n");
  EXPECT_EQ(events_json()["subscriptions"][0]["pending"], 0);
}

TEST_F(EventsCli, EveryCommandHasHelp) {
  for (const char* command : {"publish", "subscribe", "unsubscribe", "events"}) {
    auto help = cli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("Usage")) << command;
  }
  auto dead_help = cli({"events", "dead", "--help"});
  EXPECT_THAT(dead_help.out, HasSubstr("--requeue"));
  auto allow_help = cli({"allow", "--help"});
  EXPECT_THAT(allow_help.out, HasSubstr("topic:PATTERN:publish|subscribe"));
}

}  // namespace
}  // namespace orivon::testing
