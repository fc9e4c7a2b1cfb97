// The HOST:PORT[-PORT] text form of network rules (orivon/net_rules.h).

#include "orivon/net_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orivon {
namespace {

using ::testing::HasSubstr;
using Kind = NetRule::Kind;

NetRule parsed(Kind kind, const char* text) {
  auto rule = parse_net_rule(kind, text);
  EXPECT_TRUE(rule) << text << ": " << (rule ? "" : rule.error().to_string());
  return rule ? *rule : NetRule{};
}

TEST(NetRuleText, ParsesHostsAndPorts) {
  EXPECT_EQ(parsed(Kind::Connect, "127.0.0.1:8080"),
            (NetRule{Kind::Connect, "127.0.0.1", 8080, 8080}));
  EXPECT_EQ(parsed(Kind::Listen, "*:1000-2000"), (NetRule{Kind::Listen, "*", 1000, 2000}));
  EXPECT_EQ(parsed(Kind::Connect, "10.0.0.0/8:443"),
            (NetRule{Kind::Connect, "10.0.0.0/8", 443, 443}));
  EXPECT_EQ(parsed(Kind::Connect, "[::1]:80"), (NetRule{Kind::Connect, "::1", 80, 80}));
  EXPECT_EQ(parsed(Kind::Connect, "[fd00::/8]:1-65535"),
            (NetRule{Kind::Connect, "fd00::/8", 1, 65535}));
  EXPECT_EQ(parsed(Kind::Connect, "api.example.com:443"),
            (NetRule{Kind::Connect, "api.example.com", 443, 443}));
  EXPECT_EQ(parsed(Kind::Listen, "0.0.0.0:0"), (NetRule{Kind::Listen, "0.0.0.0", 0, 0}));
}

TEST(NetRuleText, RoundTrips) {
  for (const char* text : {"127.0.0.1:8080", "*:1000-2000", "[::1]:80", "[fd00::/8]:1-65535",
                           "10.0.0.0/8:443", "localhost:5432"}) {
    EXPECT_EQ(to_string(parsed(Kind::Connect, text)), text);
  }
}

TEST(NetRuleText, SaysWhatIsExpected) {
  for (const char* text : {"", "8080", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536",
                           "127.0.0.1:-1", "127.0.0.1:80-", "127.0.0.1:90-80", "127.0.0.1:http",
                           "::1:80", "[::1]80", "[::1", "[127.0.0.1]:80", "10.0.0.0/40:80",
                           "bad_host:80", "127.1:80", "*:80x"}) {
    auto rule = parse_net_rule(Kind::Connect, text);
    ASSERT_FALSE(rule) << text;
    EXPECT_EQ(rule.error().code(), ErrorCode::InvalidArgument) << text;
    EXPECT_THAT(rule.error().to_string(), HasSubstr("expected HOST:PORT")) << text;
  }
}

}  // namespace
}  // namespace orivon
