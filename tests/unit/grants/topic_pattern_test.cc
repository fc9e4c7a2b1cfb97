#include "grants/topic_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "orivon/grants.h"

namespace orivon::grants {
namespace {

using ::testing::HasSubstr;

std::string topic_error(std::string_view text) {
  auto checked = check_topic(text);
  EXPECT_FALSE(checked) << text << " was accepted as a topic";
  if (checked) return {};
  EXPECT_EQ(checked.error().code(), ErrorCode::InvalidArgument);
  return checked.error().message();
}

TEST(EventsTopic, TopicsAreDotSeparatedTokens) {
  EXPECT_TRUE(check_topic("orders"));
  EXPECT_TRUE(check_topic("orders.eu.created"));
  EXPECT_TRUE(check_topic("A-b_9.x"));
  EXPECT_THAT(topic_error(""), HasSubstr("empty"));
  EXPECT_THAT(topic_error("orders..created"), HasSubstr("token 2 is empty"));
  EXPECT_THAT(topic_error(".orders"), HasSubstr("token 1 is empty"));
  EXPECT_THAT(topic_error("orders."), HasSubstr("token 2 is empty"));
  EXPECT_THAT(topic_error("orders eu"), HasSubstr("' '"));
  EXPECT_THAT(topic_error("orders.$sys"), HasSubstr("'$'"));
  EXPECT_THAT(topic_error(std::string("a\0b", 3)), HasSubstr("byte 0"));
  EXPECT_THAT(topic_error("caf\xc3\xa9"), HasSubstr("byte 195"));
  EXPECT_THAT(topic_error(std::string(256, 'a')), HasSubstr("longer than 255"));
  std::string many = "a";
  for (int i = 0; i < 32; ++i) many += ".a";
  EXPECT_THAT(topic_error(many), HasSubstr("more than 32 tokens"));
}

TEST(EventsTopic, WildcardsAreRefusedInTopicsToPublish) {
  EXPECT_THAT(topic_error("orders.*"), HasSubstr("may only be used in grants and subscriptions"));
  EXPECT_THAT(topic_error("orders.>"), HasSubstr("wildcard '>'"));
  EXPECT_THAT(topic_error("orders.a*"), HasSubstr("'*'"));
}

TEST(EventsTopic, PatternsTakeStarAnywhereAndGreaterLast) {
  EXPECT_TRUE(check_topic_pattern("orders.*.created"));
  EXPECT_TRUE(check_topic_pattern("*"));
  EXPECT_TRUE(check_topic_pattern(">"));
  EXPECT_TRUE(check_topic_pattern("audit.>"));
  EXPECT_FALSE(check_topic_pattern("audit.>.x"));
  EXPECT_FALSE(check_topic_pattern("audit.x>"));
  EXPECT_FALSE(check_topic_pattern("audit..*"));
  EXPECT_THAT(check_topic_pattern("a.>.b").error().message(), HasSubstr("'>' must be the last"));
}

TEST(EventsTopic, StarMatchesExactlyOneToken) {
  EXPECT_TRUE(topic_matches("orders.*.created", "orders.eu.created"));
  EXPECT_FALSE(topic_matches("orders.*.created", "orders.created"));
  EXPECT_FALSE(topic_matches("orders.*.created", "orders.eu.west.created"));
  EXPECT_TRUE(topic_matches("*", "orders"));
  EXPECT_FALSE(topic_matches("*", "orders.eu"));
  EXPECT_TRUE(topic_matches("orders", "orders"));
  EXPECT_FALSE(topic_matches("orders", "orders.eu"));
  EXPECT_FALSE(topic_matches("orders.eu", "orders"));
  // Tokens compare whole: a prefix is no match.
  EXPECT_FALSE(topic_matches("order", "orders"));
}

TEST(EventsTopic, GreaterMatchesOneOrMoreRemainingTokens) {
  EXPECT_TRUE(topic_matches("audit.>", "audit.login"));
  EXPECT_TRUE(topic_matches("audit.>", "audit.login.failed.twice"));
  EXPECT_FALSE(topic_matches("audit.>", "audit"));
  EXPECT_FALSE(topic_matches("audit.>", "auditing.x"));
  EXPECT_TRUE(topic_matches(">", "anything.at.all"));
  EXPECT_TRUE(topic_matches("*.>", "a.b"));
  EXPECT_FALSE(topic_matches("*.>", "a"));
}

TEST(EventsTopic, ACoveringPatternMatchesEverythingTheInnerOneDoes) {
  EXPECT_TRUE(pattern_covers("orders.*", "orders.eu"));
  EXPECT_TRUE(pattern_covers("orders.*", "orders.*"));
  EXPECT_TRUE(pattern_covers("orders.>", "orders.*.x"));
  EXPECT_TRUE(pattern_covers("orders.>", "orders.>"));
  EXPECT_TRUE(pattern_covers(">", "a.>"));
  EXPECT_FALSE(pattern_covers("orders.*", "orders.>"));
  EXPECT_FALSE(pattern_covers("orders.eu", "orders.*"));
  EXPECT_FALSE(pattern_covers("orders.*", "orders"));
  EXPECT_FALSE(pattern_covers("orders.>", "orders"));
}

TEST(EventsGrant, TopicGrantsParseWithTheirAccess) {
  auto publish = parse_grant("topic:orders.*:publish");
  ASSERT_TRUE(publish) << publish.error().to_string();
  EXPECT_EQ(*publish, Grant(TopicGrant{"orders.*", TopicAccess::Publish}));
  auto subscribe = parse_grant("topic:audit.>:subscribe");
  ASSERT_TRUE(subscribe) << subscribe.error().to_string();
  EXPECT_EQ(*subscribe, Grant(TopicGrant{"audit.>", TopicAccess::Subscribe}));
  EXPECT_EQ(describe_grant(*publish), "publish on topics orders.*");
  EXPECT_EQ(describe_grant(*subscribe), "receive events on topics audit.>");
}

TEST(EventsGrant, MalformedTopicGrantsSayWhatWasExpected) {
  for (std::string_view text : {"topic:orders", "topic:orders:read", "topic::publish",
                                "topic:orders..x:publish", "topic:a.>.b:subscribe", "topic:"}) {
    auto grant = parse_grant(text);
    ASSERT_FALSE(grant) << text;
    EXPECT_EQ(grant.error().code(), ErrorCode::InvalidArgument) << text;
    EXPECT_THAT(grant.error().message(), HasSubstr("topic:PATTERN:publish")) << text;
  }
}

}  // namespace
}  // namespace orivon::grants
