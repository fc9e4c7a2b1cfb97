// HttpPolicy decides which outbound wasi:http requests leave the host. These
// cases are the rules alone; tests/unit/grants/hostile_network_test.cc sends
// real requests from a guest to servers on loopback.

#include "wasi/http_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orivon::wasi {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const HttpPolicy> policy(const std::vector<std::string>& origins) {
  auto compiled = HttpPolicy::compile(origins);
  EXPECT_TRUE(compiled) << compiled.error().to_string();
  return compiled ? *compiled : HttpPolicy::deny_all();
}

TEST(HttpPolicy, AllowsExactlyTheGrantedOrigins) {
  auto http = policy({"https://api.example.com", "http://127.0.0.1:8080"});
  EXPECT_TRUE(http->allows("https", "api.example.com"));
  EXPECT_TRUE(http->allows("http", "127.0.0.1:8080"));
  EXPECT_FALSE(http->allows("https", "other.example.com"));
  EXPECT_FALSE(http->allows("http", "127.0.0.1:8081"));
  EXPECT_FALSE(http->allows("http", "127.0.0.2:8080"));
  EXPECT_FALSE(http->allows("https", "sub.api.example.com"));
  EXPECT_FALSE(http->allows("https", "api.example.com.evil.net"));
}

TEST(HttpPolicy, SchemeIsPartOfTheOrigin) {
  auto http = policy({"https://api.example.com"});
  EXPECT_FALSE(http->allows("http", "api.example.com"));
  EXPECT_FALSE(http->allows("http", "api.example.com:443"));
  EXPECT_FALSE(http->allows("ftp", "api.example.com"));
  EXPECT_FALSE(http->allows("", "api.example.com"));
}

TEST(HttpPolicy, DefaultPortsAndCaseAreNormalizedOnBothSides) {
  auto http = policy({"HTTPS://API.Example.com:443/", "http://localhost"});
  EXPECT_TRUE(http->allows("https", "api.example.com"));
  EXPECT_TRUE(http->allows("https", "API.EXAMPLE.COM:443"));
  EXPECT_TRUE(http->allows("HTTPS", "api.example.com"));
  EXPECT_TRUE(http->allows("http", "localhost:80"));
  EXPECT_FALSE(http->allows("https", "api.example.com:8443"));
}

TEST(HttpPolicy, AuthoritiesThatAreNotAPlainHostArePlainlyRefused) {
  auto http = policy({"http://127.0.0.1:8080", "http://[::1]:8080"});
  EXPECT_TRUE(http->allows("http", "[::1]:8080"));
  for (const char* authority :
       {"user@127.0.0.1:8080", "127.0.0.1:8080@evil.net", "127.0.0.1:8080/path", "127.0.0.1:8080?q",
        "127.0.0.1:8080#f", "127.0.0.1:8080:1", "", "127.0.0.1:0", "127.0.0.1:99999",
        "127.0.0.1 :8080", "[::1", "::1:8080", "127.0.0.1:8080\r\nHost: x"}) {
    EXPECT_FALSE(http->allows("http", authority)) << authority;
  }
}

TEST(HttpPolicy, WithoutGrantsNothingIsAllowed) {
  auto none = HttpPolicy::deny_all();
  EXPECT_TRUE(none->denies_all());
  EXPECT_FALSE(none->allows("https", "api.example.com"));
  auto empty = policy({});
  EXPECT_TRUE(empty->denies_all());
  EXPECT_FALSE(empty->allows("http", "127.0.0.1:8080"));
}

TEST(HttpPolicy, AMalformedOriginIsAnErrorNamingIt) {
  for (const char* origin : {"api.example.com", "https://api.example.com/path", "ftp://x",
                             "https://user@api.example.com", "https://"}) {
    auto compiled = HttpPolicy::compile({origin});
    ASSERT_FALSE(compiled) << origin;
    EXPECT_EQ(compiled.error().code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(compiled.error().to_string(), HasSubstr(origin));
  }
}

// Found by fuzz/http_origin_fuzzer.cc: inet_pton stops at a NUL, so an
// origin with one inside its IPv6 address passed as ::1.
TEST(HttpPolicy, AnOriginWithAControlCharacterIsRefused) {
  const std::string with_nul("http://[::1\0junk]", 18);
  EXPECT_FALSE(HttpPolicy::compile({with_nul}));
  EXPECT_FALSE(HttpPolicy::compile({"https://api.example.com\t"}));
  auto policy = HttpPolicy::compile({"http://[::1]"});
  ASSERT_TRUE(policy);
  EXPECT_TRUE((*policy)->allows("http", "[::1]"));
  EXPECT_FALSE((*policy)->allows("http", with_nul.substr(7)));
}

}  // namespace
}  // namespace orivon::wasi
