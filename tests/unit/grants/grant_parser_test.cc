#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orivon/grants.h"
#include "wasi/net_policy.h"

namespace orivon {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

Grant parsed(std::string_view text) {
  auto grant = parse_grant(text);
  EXPECT_TRUE(grant) << text << ": " << grant.error().to_string();
  return grant ? *grant : Grant{};
}

// The error message for a malformed grant (and that it is InvalidArgument).
std::string rejected(std::string_view text) {
  auto grant = parse_grant(text);
  EXPECT_FALSE(grant) << text << " was accepted";
  if (grant) return {};
  EXPECT_EQ(grant.error().code(), ErrorCode::InvalidArgument);
  return grant.error().message();
}

TEST(GrantParser, Directories) {
  EXPECT_EQ(parsed("fs:/srv/data=/data:ro"),
            Grant(FsGrant{"/srv/data", "/data", DirAccess::ReadOnly}));
  EXPECT_EQ(parsed("fs:/srv/data/=/data/:rw"),
            Grant(FsGrant{"/srv/data/", "/data", DirAccess::ReadWrite}));
  // Without =GUEST the guest sees the same path.
  EXPECT_EQ(parsed("fs:/srv/data:rw"), Grant(FsGrant{"/srv/data", "/srv/data", DirAccess::ReadWrite}));
  // The host path is normalized lexically (symlinks are resolved when used).
  EXPECT_EQ(std::get<FsGrant>(parsed("fs:/srv/./x/../data=/d:ro")).host_path, "/srv/data");
}

TEST(GrantParser, MalformedDirectoriesSayWhatWasExpected) {
  EXPECT_THAT(rejected("fs:/srv/data=/data"),
              AllOf(HasSubstr("'fs:/srv/data=/data'"), HasSubstr("':ro' or ':rw'"),
                    HasSubstr("fs:HOST_PATH=GUEST_PATH:ro")));
  EXPECT_THAT(rejected("fs:/srv/data=/data:rx"), HasSubstr("not 'rx'"));
  EXPECT_THAT(rejected("fs:data=/data:ro"), HasSubstr("relative"));
  EXPECT_THAT(rejected("fs:=/data:ro"), HasSubstr("no host path"));
  EXPECT_THAT(rejected("fs:/srv=data:ro"), HasSubstr("must be absolute"));
  EXPECT_THAT(rejected("fs:/srv=/a/../b:ro"), HasSubstr("without '.', '..'"));
  EXPECT_THAT(rejected("fs:/srv=/a//b:ro"), HasSubstr("empty parts"));
  EXPECT_THAT(rejected("fs:/srv"), HasSubstr("no access mode"));
}

TEST(GrantParser, EnvironmentArgumentsStdioAndAmbient) {
  EXPECT_EQ(parsed("env:HOME"), Grant(EnvGrant{"HOME", std::nullopt}));
  EXPECT_EQ(parsed("env:MODE=fast=yes"), Grant(EnvGrant{"MODE", "fast=yes"}));
  EXPECT_EQ(parsed("env:EMPTY="), Grant(EnvGrant{"EMPTY", ""}));
  EXPECT_EQ(parsed("arg:--verbose"), Grant(ArgGrant{"--verbose"}));
  EXPECT_EQ(parsed("arg:"), Grant(ArgGrant{""}));
  EXPECT_EQ(parsed("arg:a:b=c"), Grant(ArgGrant{"a:b=c"}));
  EXPECT_EQ(parsed("stdio:log"), Grant(StdioGrant{StdioMode::Log}));
  EXPECT_EQ(parsed("stdio:none"), Grant(StdioGrant{StdioMode::None}));
  EXPECT_EQ(parsed("stdio:inherit"), Grant(StdioGrant{StdioMode::Inherit}));
  EXPECT_EQ(parsed("clock"), Grant(AmbientGrant{AmbientGrant::Kind::Clock}));
  EXPECT_EQ(parsed("random"), Grant(AmbientGrant{AmbientGrant::Kind::Random}));

  EXPECT_THAT(rejected("env:"), HasSubstr("env:NAME or env:NAME=VALUE"));
  EXPECT_THAT(rejected("env:1ABC"), HasSubstr("not a variable name"));
  EXPECT_THAT(rejected("env:A-B=1"), HasSubstr("not a variable name"));
  EXPECT_THAT(rejected("stdio:file"), HasSubstr("stdio:log, stdio:none or stdio:inherit"));
  EXPECT_THAT(rejected("arg:a\nb"), HasSubstr("control characters"));
}

NetRule rule(NetRule::Kind kind, std::string host, std::uint16_t first, std::uint16_t last) {
  NetRule out;
  out.kind = kind;
  out.host = std::move(host);
  out.first_port = first;
  out.last_port = last;
  return out;
}

TEST(GrantParser, Network) {
  using Kind = NetRule::Kind;
  EXPECT_EQ(parsed("net:connect:api.example.com:443"),
            Grant(NetGrant{rule(Kind::Connect, "api.example.com", 443, 443)}));
  EXPECT_EQ(parsed("net:connect:API.Example.COM:443"),
            Grant(NetGrant{rule(Kind::Connect, "api.example.com", 443, 443)}));
  EXPECT_EQ(parsed("net:listen:0.0.0.0:8333"),
            Grant(NetGrant{rule(Kind::Listen, "0.0.0.0", 8333, 8333)}));
  EXPECT_EQ(parsed("net:connect:*:8000-8100"),
            Grant(NetGrant{rule(Kind::Connect, "*", 8000, 8100)}));
  EXPECT_EQ(parsed("net:connect:10.0.0.0/8:*"),
            Grant(NetGrant{rule(Kind::Connect, "10.0.0.0/8", 0, 65535)}));
  EXPECT_EQ(parsed("net:connect:[::1]:80"), Grant(NetGrant{rule(Kind::Connect, "::1", 80, 80)}));
  EXPECT_EQ(parsed("net:listen:[fd00::/8]:9000-9100"),
            Grant(NetGrant{rule(Kind::Listen, "fd00::/8", 9000, 9100)}));
  EXPECT_EQ(parsed("net:unrestricted"), Grant(NetGrant{}));

  EXPECT_THAT(rejected("net:connect:example.com"),
              AllOf(HasSubstr("no ':PORT'"), HasSubstr("net:connect:HOST:PORT")));
  EXPECT_THAT(rejected("net:connect:example.com:70000"), HasSubstr("not a port"));
  EXPECT_THAT(rejected("net:connect:example.com:90-80"), HasSubstr("runs backwards"));
  EXPECT_THAT(rejected("net:connect:::1:80"), HasSubstr("in brackets"));
  EXPECT_THAT(rejected("net:connect:[::1:80"), HasSubstr("no ']'"));
  EXPECT_THAT(rejected("net:connect:[::1]80"), HasSubstr("no ':PORT'"));
  EXPECT_THAT(rejected("net:connect:[zz::1]:80"), HasSubstr("not an IPv6"));
  EXPECT_THAT(rejected("net:connect:10.0.0.0/33:80"), HasSubstr("not a host name, an address"));
  EXPECT_THAT(rejected("net:connect:300.1.1.1:80"), HasSubstr("not a host name, an address"));
  EXPECT_THAT(rejected("net:connect:bad_host:80"), HasSubstr("not a host name"));
  EXPECT_THAT(rejected("net:connect::80"), HasSubstr("no host"));
  EXPECT_THAT(rejected("net:bind:0.0.0.0:80"),
              AllOf(HasSubstr("unknown network grant"), HasSubstr("net:listen:HOST:PORT")));
  EXPECT_THAT(rejected("net:listen:0.0.0.0:8333:1"), HasSubstr("in brackets"));
}

// Found by fuzz/grant_fuzzer.cc: "net:listen:10A.0.8:*" was accepted, then refused when the
// service's network policy was compiled from it (a last label of digits makes a mistyped
// address there, not a name). Every accepted network grant must compile.
TEST(GrantParser, AcceptsOnlyNetworkHostsThePolicyAccepts) {
  EXPECT_THAT(rejected("net:listen:10A.0.8:*"), HasSubstr("not a host name, an address"));
  EXPECT_THAT(rejected("net:connect:example.123:80"), HasSubstr("not a host name, an address"));
  EXPECT_THAT(rejected("net:connect:1.2.3:80"), HasSubstr("not a host name, an address"));
  for (std::string_view text : {"net:connect:api.example.com:443", "net:connect:123.example:80",
                                "net:listen:0.0.0.0:*", "net:connect:10.1.2.3/8:1-2",
                                "net:connect:[::ffff:10.0.0.0/104]:80", "net:connect:*:0"}) {
    const Grant grant = parsed(text);
    const auto* net = std::get_if<NetGrant>(&grant);
    ASSERT_TRUE(net != nullptr && net->rule) << text;
    const NetRule rules[] = {*net->rule};
    auto policy = wasi::NetPolicy::compile(rules, wasi::make_system_resolver());
    EXPECT_TRUE(policy) << text << ": " << policy.error().to_string();
  }
}

TEST(GrantParser, HttpOrigins) {
  EXPECT_EQ(parsed("http:https://api.example.com"), Grant(HttpGrant{"https://api.example.com"}));
  EXPECT_EQ(parsed("http:HTTPS://API.example.com/"), Grant(HttpGrant{"https://api.example.com"}));
  EXPECT_EQ(parsed("http:https://api.example.com:443"), Grant(HttpGrant{"https://api.example.com"}));
  EXPECT_EQ(parsed("http:http://127.0.0.1:8080"), Grant(HttpGrant{"http://127.0.0.1:8080"}));
  EXPECT_EQ(parsed("http:http://[::1]:8080"), Grant(HttpGrant{"http://[::1]:8080"}));

  EXPECT_THAT(rejected("http:api.example.com"),
              AllOf(HasSubstr("http:// or https://"), HasSubstr("http:https://api.example.com")));
  EXPECT_THAT(rejected("http:https://api.example.com/v1"), HasSubstr("no path"));
  EXPECT_THAT(rejected("http:https://user@api.example.com"), HasSubstr("user name"));
  EXPECT_THAT(rejected("http:https://api.example.com:0"), HasSubstr("not a port"));
  EXPECT_THAT(rejected("http:ftp://example.com"), HasSubstr("http:// or https://"));
}

TEST(GrantParser, HostInterfaces) {
  EXPECT_EQ(parsed("host:example:log/sink@1.0.0"), Grant(HostGrant{"example:log/sink@1.0.0"}));
  EXPECT_EQ(parsed("host:example:log/sink"), Grant(HostGrant{"example:log/sink"}));
  EXPECT_THAT(rejected("host:sink"), HasSubstr("host:NAMESPACE:PACKAGE/INTERFACE"));
  EXPECT_THAT(rejected("host:Example:log/sink"), HasSubstr("not a WIT interface name"));
  EXPECT_THAT(rejected("host:example:log/"), HasSubstr("not a WIT interface name"));
}

TEST(GrantParser, UnknownKindsListTheKnownOnes) {
  EXPECT_THAT(rejected("files:/x"), AllOf(HasSubstr("unknown kind 'files'"), HasSubstr("fs:, env:")));
  EXPECT_THAT(rejected("network"), HasSubstr("no kind"));
  EXPECT_THAT(rejected(""), HasSubstr("empty"));
  EXPECT_THAT(rejected(std::string(2000, 'a')), HasSubstr("at most 1024"));
}

TEST(GrantParser, DescriptionsReadNaturally) {
  EXPECT_EQ(describe_grant(parsed("fs:/srv/data=/data:ro")), "read-only /srv/data at /data");
  EXPECT_EQ(describe_grant(parsed("env:HOME")), "environment HOME (orivon's value)");
  EXPECT_EQ(describe_grant(parsed("net:connect:*:443")), "connect to *:443");
  EXPECT_EQ(describe_grant(parsed("net:listen:[::]:9000-9100")), "listen on [::]:9000-9100");
  EXPECT_EQ(describe_grant(parsed("net:unrestricted")), "UNRESTRICTED network access");
  EXPECT_EQ(describe_grant(parsed("clock")), "clocks (always available)");
  EXPECT_THAT(std::string(grant_syntax()), HasSubstr("fs:HOST_PATH=GUEST_PATH:ro|rw"));
}

}  // namespace
}  // namespace orivon
