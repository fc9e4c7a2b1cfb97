// NetPolicy: which socket uses host:port rules allow, CIDR edge cases,
// IPv4-mapped IPv6 addresses, host names (through a fake resolver).

#include "wasi/net_policy.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace orivon::wasi {
namespace {

using Kind = NetRule::Kind;

IpAddress ip(const char* text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

NetRule rule(Kind kind, std::string host, std::uint16_t first, std::uint16_t last = 0) {
  return NetRule{kind, std::move(host), first, last == 0 ? first : last};
}

class FakeResolver final : public HostResolver {
 public:
  explicit FakeResolver(std::map<std::string, std::vector<IpAddress>> names,
                        std::shared_ptr<std::atomic<int>> calls)
      : names_(std::move(names)), calls_(std::move(calls)) {}
  std::vector<IpAddress> resolve(const std::string& name) override {
    ++*calls_;
    auto found = names_.find(name);
    return found == names_.end() ? std::vector<IpAddress>{} : found->second;
  }

 private:
  std::map<std::string, std::vector<IpAddress>> names_;
  std::shared_ptr<std::atomic<int>> calls_;
};

std::unique_ptr<NetPolicy> policy(std::vector<NetRule> rules,
                                  std::map<std::string, std::vector<IpAddress>> names = {},
                                  std::shared_ptr<std::atomic<int>> calls = nullptr) {
  if (!calls) calls = std::make_shared<std::atomic<int>>(0);
  auto compiled = NetPolicy::compile(rules, std::make_unique<FakeResolver>(names, calls));
  EXPECT_TRUE(compiled) << compiled.error().to_string();
  return compiled ? std::move(*compiled) : nullptr;
}

bool connect(const NetPolicy& p, const char* address, std::uint16_t port) {
  return p.allows(ip(address), port, SocketUse::TcpConnect);
}

TEST(IpAddress, ParsesOnlyLiterals) {
  EXPECT_EQ(ip("127.0.0.1").family, IpAddress::Family::V4);
  EXPECT_EQ(ip("::1").family, IpAddress::Family::V6);
  EXPECT_EQ(ip("::1").to_string(), "::1");
  for (const char* bad : {"", "127.1", "256.0.0.1", "1.2.3.4.5", "localhost", "::g", " 1.2.3.4",
                          "1.2.3.4/8", "[::1]"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
}

TEST(IpAddress, UnmapsIpv4MappedIpv6) {
  EXPECT_EQ(ip("::ffff:10.1.2.3").unmapped(), ip("10.1.2.3"));
  EXPECT_EQ(ip("::1").unmapped(), ip("::1"));
  // IPv4-translated, not mapped: stays IPv6.
  EXPECT_EQ(ip("::ffff:0:1.2.3.4").unmapped(), ip("::ffff:0:1.2.3.4"));
}

TEST(NetPolicy, NoRulesAllowNothingButEphemeralBinds) {
  auto p = policy({});
  EXPECT_FALSE(connect(*p, "127.0.0.1", 80));
  EXPECT_FALSE(p->allows(ip("127.0.0.1"), 80, SocketUse::TcpBind));
  EXPECT_FALSE(p->allows(ip("0.0.0.0"), 0, SocketUse::TcpListen));
  EXPECT_FALSE(p->allows(ip("127.0.0.1"), 53, SocketUse::UdpSend));
  EXPECT_FALSE(p->allows(ip("127.0.0.1"), 53, SocketUse::UdpReceive));
  // The implicit bind wasi-sockets checks before a connect: harmless alone.
  EXPECT_TRUE(p->allows(ip("0.0.0.0"), 0, SocketUse::TcpBind));
  EXPECT_TRUE(p->allows(ip("::"), 0, SocketUse::UdpBind));
  EXPECT_FALSE(p->needs_name_lookup());
}

TEST(NetPolicy, ConnectRulesMatchAddressAndPortRange) {
  auto p = policy({rule(Kind::Connect, "127.0.0.1", 8000, 8010)});
  EXPECT_TRUE(connect(*p, "127.0.0.1", 8000));
  EXPECT_TRUE(connect(*p, "127.0.0.1", 8010));
  EXPECT_FALSE(connect(*p, "127.0.0.1", 7999));
  EXPECT_FALSE(connect(*p, "127.0.0.1", 8011));
  EXPECT_FALSE(connect(*p, "127.0.0.2", 8000));
  EXPECT_TRUE(p->allows(ip("127.0.0.1"), 8005, SocketUse::UdpSend));
  EXPECT_TRUE(p->allows(ip("127.0.0.1"), 8005, SocketUse::UdpReceive));  // replies
  EXPECT_FALSE(p->allows(ip("127.0.0.2"), 8005, SocketUse::UdpReceive));
  // A connect rule grants no listening.
  EXPECT_FALSE(p->allows(ip("127.0.0.1"), 8000, SocketUse::TcpBind));
  EXPECT_FALSE(p->allows(ip("127.0.0.1"), 8000, SocketUse::TcpListen));
}

TEST(NetPolicy, ListenRulesCoverBindAndListen) {
  auto p = policy({rule(Kind::Listen, "127.0.0.1", 8080)});
  EXPECT_TRUE(p->allows(ip("127.0.0.1"), 8080, SocketUse::TcpBind));
  EXPECT_TRUE(p->allows(ip("127.0.0.1"), 8080, SocketUse::TcpListen));
  EXPECT_TRUE(p->allows(ip("127.0.0.1"), 8080, SocketUse::UdpBind));
  EXPECT_TRUE(p->allows(ip("192.0.2.7"), 5555, SocketUse::TcpAccept));
  EXPECT_FALSE(p->allows(ip("127.0.0.1"), 8081, SocketUse::TcpBind));
  // Binding every interface is more than binding loopback.
  EXPECT_FALSE(p->allows(ip("0.0.0.0"), 8080, SocketUse::TcpBind));
  // Listening without binding first (the wildcard, port 0) needs a rule for it.
  EXPECT_FALSE(p->allows(ip("0.0.0.0"), 0, SocketUse::TcpListen));
  EXPECT_FALSE(connect(*p, "127.0.0.1", 8080));
  // A listening UDP socket receives from anyone.
  EXPECT_TRUE(p->allows(ip("192.0.2.7"), 5555, SocketUse::UdpReceive));
}

TEST(NetPolicy, CidrBlocks) {
  auto p = policy({rule(Kind::Connect, "127.0.0.0/8", 80), rule(Kind::Connect, "10.1.2.0/23", 80),
                   rule(Kind::Connect, "192.0.2.1/32", 80), rule(Kind::Connect, "fd00::/8", 80),
                   rule(Kind::Connect, "2001:db8::1/128", 80)});
  EXPECT_TRUE(connect(*p, "127.255.255.254", 80));
  EXPECT_FALSE(connect(*p, "128.0.0.1", 80));
  EXPECT_TRUE(connect(*p, "10.1.3.255", 80));
  EXPECT_FALSE(connect(*p, "10.1.4.0", 80));
  EXPECT_FALSE(connect(*p, "10.1.1.255", 80));
  EXPECT_TRUE(connect(*p, "192.0.2.1", 80));
  EXPECT_FALSE(connect(*p, "192.0.2.2", 80));
  EXPECT_TRUE(connect(*p, "fdff:1::2", 80));
  EXPECT_FALSE(connect(*p, "fe00::1", 80));
  EXPECT_TRUE(connect(*p, "2001:db8::1", 80));
  EXPECT_FALSE(connect(*p, "2001:db8::2", 80));
  EXPECT_FALSE(connect(*p, "::1", 80));
}

TEST(NetPolicy, ZeroLengthPrefixesMatchTheirWholeFamily) {
  auto v4 = policy({rule(Kind::Connect, "0.0.0.0/0", 443)});
  EXPECT_TRUE(connect(*v4, "203.0.113.9", 443));
  EXPECT_TRUE(connect(*v4, "255.255.255.255", 443));
  EXPECT_FALSE(connect(*v4, "2001:db8::1", 443));
  auto v6 = policy({rule(Kind::Connect, "::/0", 443)});
  EXPECT_TRUE(connect(*v6, "2001:db8::1", 443));
  EXPECT_FALSE(connect(*v6, "203.0.113.9", 443));
  // A mapped address is its IPv4 address, which "any IPv6" does not cover.
  EXPECT_FALSE(connect(*v6, "::ffff:203.0.113.9", 443));
}

TEST(NetPolicy, HostBitsOfABlockAreIgnored) {
  auto p = policy({rule(Kind::Connect, "10.1.2.3/8", 80)});
  EXPECT_TRUE(connect(*p, "10.200.0.1", 80));
}

TEST(NetPolicy, MappedAddressesAreMatchedAsIpv4) {
  auto p = policy({rule(Kind::Connect, "127.0.0.1", 80)});
  EXPECT_TRUE(connect(*p, "::ffff:127.0.0.1", 80));
  EXPECT_FALSE(connect(*p, "::ffff:127.0.0.2", 80));
  // An IPv6 socket cannot reach a refused IPv4 address through its mapping.
  auto other = policy({rule(Kind::Connect, "10.0.0.0/8", 80)});
  EXPECT_FALSE(connect(*other, "::ffff:127.0.0.1", 80));
  // A rule written as a mapped block is the IPv4 block.
  auto mapped = policy({rule(Kind::Connect, "::ffff:10.0.0.0/104", 80)});
  EXPECT_TRUE(connect(*mapped, "10.9.9.9", 80));
  EXPECT_TRUE(connect(*mapped, "::ffff:10.9.9.9", 80));
  EXPECT_FALSE(connect(*mapped, "11.0.0.1", 80));
}

TEST(NetPolicy, StarMatchesEveryAddress) {
  auto p = policy({rule(Kind::Connect, "*", 1, 65535), rule(Kind::Listen, "*", 9000)});
  EXPECT_TRUE(connect(*p, "198.51.100.1", 22));
  EXPECT_TRUE(connect(*p, "::1", 65535));
  EXPECT_TRUE(p->allows(ip("0.0.0.0"), 9000, SocketUse::TcpListen));
  EXPECT_TRUE(p->allows(ip("::"), 9000, SocketUse::TcpBind));
  EXPECT_FALSE(p->allows(ip("::"), 9001, SocketUse::TcpBind));
  EXPECT_TRUE(p->needs_name_lookup());
}

TEST(NetPolicy, HostNamesAreResolvedWhenCheckedAndCached) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto p = policy({rule(Kind::Connect, "API.example.test", 443)},
                  {{"api.example.test", {ip("192.0.2.10"), ip("2001:db8::10")}}}, calls);
  EXPECT_TRUE(p->needs_name_lookup());
  EXPECT_EQ(*calls, 0);  // nothing resolved before the first check
  EXPECT_TRUE(connect(*p, "192.0.2.10", 443));
  EXPECT_TRUE(connect(*p, "2001:db8::10", 443));
  EXPECT_TRUE(connect(*p, "::ffff:192.0.2.10", 443));
  EXPECT_FALSE(connect(*p, "192.0.2.11", 443));
  EXPECT_FALSE(connect(*p, "192.0.2.10", 80));
  EXPECT_EQ(*calls, 1);
}

TEST(NetPolicy, AnUnresolvableNameAllowsNothing) {
  auto p = policy({rule(Kind::Connect, "nowhere.test", 80)});
  EXPECT_FALSE(connect(*p, "127.0.0.1", 80));
}

TEST(NetPolicy, RefusesMalformedRules) {
  for (const char* host : {"", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8x",
                           "foo/8", "10.0.0.300", "127.1", "bad_name", "-x.test", "a..b", "x.",
                           "1.2.3.4:80", "[::1]"}) {
    auto compiled = NetPolicy::compile(std::vector<NetRule>{rule(Kind::Connect, host, 80)},
                                       make_system_resolver());
    EXPECT_FALSE(compiled) << host;
    if (!compiled) {
      EXPECT_EQ(compiled.error().code(), ErrorCode::InvalidArgument) << host;
    }
  }
  auto reversed = NetPolicy::compile(std::vector<NetRule>{NetRule{Kind::Connect, "*", 90, 80}},
                                     make_system_resolver());
  EXPECT_FALSE(reversed);
}

}  // namespace
}  // namespace orivon::wasi
