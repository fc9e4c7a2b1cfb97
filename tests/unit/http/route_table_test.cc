#include "http/route_table.h"

#include <string>

#include <gtest/gtest.h>

namespace orivon::http {
namespace {

ModuleId id(const char* text) { return ModuleId::parse(text).value(); }

TEST(RouteText, ParsesAndNormalizes) {
  auto root = parse_route("/");
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->host, "");
  EXPECT_EQ(root->prefix, "/");
  auto api = parse_route("API.Example.com./v1/");
  ASSERT_TRUE(api) << api.error().message();
  EXPECT_EQ(api->host, "api.example.com");
  EXPECT_EQ(api->prefix, "/v1");
  EXPECT_EQ(parse_route("/a/%20b:c@d")->prefix, "/a/%20b:c@d");
}

TEST(RouteText, RefusesWhatIsNotARoute) {
  for (const std::string& bad :
       {std::string(""), std::string("api"), std::string("/a b"), std::string("/a?q=1"),
        std::string("/a#x"), std::string("http://h/a"), std::string("/a//b"),
        std::string("/a/../b"), std::string("/./a"), std::string("/a/.."), std::string("h:80/a"),
        std::string("bad_host/a"), std::string(".h/a"), std::string("a..b/a"),
        std::string("/") + std::string(2000, 'a'), std::string(300, 'h') + "/",
        std::string("/\xff"), std::string("/a\n")}) {
    auto parsed = parse_route(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(parsed.error().message().find("bad route"), std::string::npos);
  }
}

TEST(RequestHost, DropsThePortAndCase) {
  EXPECT_EQ(request_host("Example.COM:8080").value(), "example.com");
  EXPECT_EQ(request_host("example.com.").value(), "example.com");
  EXPECT_EQ(request_host("127.0.0.1:1").value(), "127.0.0.1");
  EXPECT_EQ(request_host("[::1]:8080").value(), "[::1]");
  for (const char* bad : {"", ":80", "a b", "a:", "a:x", "a:123456", "[::1", "[::1]x", "[zz]",
                          "a..b", ".a", "a/b"}) {
    EXPECT_FALSE(request_host(bad)) << bad;
  }
  EXPECT_FALSE(request_host(std::string(1000, 'a')));
}

TEST(RouteTable, LongestPrefixForTheHostWins) {
  RouteTable table;
  EXPECT_FALSE(table.match("any", "/"));
  table.replace({HttpRoute{"", "/", id("root.app.example")},
                 HttpRoute{"", "/api", id("api.app.example")},
                 HttpRoute{"", "/api/v2", id("v2.app.example")},
                 HttpRoute{"example.com", "/", id("site.app.example")}});
  EXPECT_EQ(table.match("x", "/")->str(), "root.app.example");
  EXPECT_EQ(table.match("x", "/apix")->str(), "root.app.example");
  EXPECT_EQ(table.match("x", "/api")->str(), "api.app.example");
  EXPECT_EQ(table.match("x", "/api/v1/y")->str(), "api.app.example");
  EXPECT_EQ(table.match("x", "/api/v2")->str(), "v2.app.example");
  EXPECT_EQ(table.match("x", "/api/v2/z")->str(), "v2.app.example");
  // A route for the request's host beats a longer host-less prefix.
  EXPECT_EQ(table.match("example.com", "/api/v2")->str(), "site.app.example");
  table.replace({HttpRoute{"", "/api", id("api.app.example")}});
  EXPECT_FALSE(table.match("x", "/"));
}

TEST(RouteTable, PrefixMatchesWholeSegments) {
  EXPECT_TRUE(prefix_matches("/", "/anything"));
  EXPECT_TRUE(prefix_matches("/a", "/a"));
  EXPECT_TRUE(prefix_matches("/a", "/a/b"));
  EXPECT_FALSE(prefix_matches("/a", "/ab"));
  EXPECT_FALSE(prefix_matches("/a/b", "/a"));
}

}  // namespace
}  // namespace orivon::http
