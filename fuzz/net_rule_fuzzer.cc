// Fuzzes network rules: their text form (src/wasi/net_rule_text.cc, what `orivon run
// --allow-connect/--allow-listen` take), the compiled policy that answers every socket check
// (src/wasi/net_policy.cc) and IP address literals.
//
// Input: a first line `connect RULE` or `listen RULE` (another word picks the kind by its
// length), then bytes that describe socket checks to make (address, port, use).
// Properties:
//   - a parsed rule prints (to_string) as text that parses back to the same rule, and compiles;
//   - the compiled policy of that one rule answers as documented in net_policy.h: accepts are
//     always allowed, binds to port 0 too; nothing outside the port range or of the other kind
//     is; the rule's own address (any address for '*', the name's address for a name) is;
//   - an IP literal prints as text that parses back to the same address.

#include <fuzzer/FuzzedDataProvider.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "orivon/net_rules.h"
#include "wasi/net_policy.h"

namespace orivon::fuzz {
namespace {

using wasi::IpAddress;
using wasi::SocketUse;

// Every name resolves to one IPv4 address made from its hash, so a name rule can be checked
// without DNS.
IpAddress address_of_name(const std::string& name) {
  const std::size_t hash = std::hash<std::string>{}(name);
  IpAddress address;
  for (int i = 0; i < 4; ++i) address.bytes[i] = static_cast<std::uint8_t>(hash >> (8 * i));
  return address;
}

class HashResolver final : public wasi::HostResolver {
 public:
  std::vector<IpAddress> resolve(const std::string& name) override {
    return {address_of_name(name)};
  }
};

const char* use_name(SocketUse use) {
  switch (use) {
    case SocketUse::TcpBind: return "tcp-bind";
    case SocketUse::TcpListen: return "tcp-listen";
    case SocketUse::TcpAccept: return "tcp-accept";
    case SocketUse::TcpConnect: return "tcp-connect";
    case SocketUse::UdpBind: return "udp-bind";
    case SocketUse::UdpSend: return "udp-send";
    case SocketUse::UdpReceive: return "udp-receive";
  }
  return "?";
}

// The kind of rule `use` of a port needs, or nothing when no rule is needed at all.
bool needs_kind(SocketUse use, std::uint16_t port, NetRule::Kind* kind) {
  switch (use) {
    case SocketUse::TcpConnect:
    case SocketUse::UdpSend:
      *kind = NetRule::Kind::Connect;
      return true;
    case SocketUse::TcpBind:
    case SocketUse::UdpBind:
      *kind = NetRule::Kind::Listen;
      return port != 0;
    case SocketUse::TcpListen:
      *kind = NetRule::Kind::Listen;
      return true;
    case SocketUse::TcpAccept:
    case SocketUse::UdpReceive:
      return false;
  }
  return false;
}

// The address a rule's host stands for, when there is exactly one to try.
std::optional<IpAddress> own_address(const NetRule& rule) {
  if (rule.host == "*") return IpAddress{};  // any address will do: 0.0.0.0
  const std::string address_text = rule.host.substr(0, rule.host.find('/'));
  if (auto address = IpAddress::parse(address_text)) {
    // An IPv6 block shorter than /96 around IPv4-mapped addresses stays an IPv6 block, and
    // addresses are matched unmapped: it matches no IPv4 address (net_policy.cc).
    const IpAddress unmapped = address->unmapped();
    if (unmapped.family != address->family && rule.host.find('/') != std::string::npos) {
      const int length = std::stoi(rule.host.substr(rule.host.find('/') + 1));
      if (length < 96) return std::nullopt;
    }
    return unmapped;
  }
  std::string lower = rule.host;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return address_of_name(lower);
}

void check_policy(const NetRule& rule, const std::string& rule_text, FuzzedDataProvider& probes) {
  const NetRule rules[] = {rule};
  auto compiled = wasi::NetPolicy::compile(rules, std::make_unique<HashResolver>());
  ORIVON_FUZZ_CHECK(compiled.has_value(), "the rule " + printable(rule_text) +
                                              " parses but does not compile: " +
                                              compiled.error().to_string());
  const wasi::NetPolicy& policy = **compiled;
  const SocketUse own_use =
      rule.kind == NetRule::Kind::Connect ? SocketUse::TcpConnect : SocketUse::TcpListen;
  if (auto own = own_address(rule)) {
    for (std::uint16_t port : {rule.first_port, rule.last_port}) {
      ORIVON_FUZZ_CHECK(policy.allows(*own, port, own_use),
                        "the rule " + printable(rule_text) + " does not allow its own address " +
                            own->to_string() + " port " + std::to_string(port));
    }
  }
  for (int i = 0; i < 8 && probes.remaining_bytes() > 0; ++i) {
    IpAddress address;
    const bool v6 = probes.ConsumeBool();
    address.family = v6 ? IpAddress::Family::V6 : IpAddress::Family::V4;
    for (std::size_t b = 0; b < (v6 ? 16u : 4u); ++b) {
      address.bytes[b] = probes.ConsumeIntegral<std::uint8_t>();
    }
    const auto port = probes.ConsumeIntegral<std::uint16_t>();
    const auto use = static_cast<SocketUse>(probes.ConsumeIntegralInRange<int>(0, 6));
    const bool allowed = policy.allows(address, port, use);
    const std::string probe = std::string(use_name(use)) + " " + address.to_string() + " port " +
                              std::to_string(port) + " under " + printable(rule_text);
    NetRule::Kind needed = NetRule::Kind::Connect;
    if (!needs_kind(use, port, &needed)) {
      if (use == SocketUse::UdpReceive && rule.kind == NetRule::Kind::Connect) {
        // A datagram from a granted peer: the same answer as a send to it.
        ORIVON_FUZZ_CHECK(allowed == policy.allows(address, port, SocketUse::UdpSend),
                          probe + ": receive and send disagree");
      } else {
        ORIVON_FUZZ_CHECK(allowed, probe + " is refused, yet needs no rule of this kind");
      }
      continue;
    }
    if (needed != rule.kind || port < rule.first_port || port > rule.last_port) {
      ORIVON_FUZZ_CHECK(!allowed, probe + " is allowed");
    }
    if (rule.host == "*" && needed == rule.kind && port >= rule.first_port &&
        port <= rule.last_port) {
      ORIVON_FUZZ_CHECK(allowed, probe + " is refused");
    }
    // The same address written as IPv4-mapped IPv6 gets the same answer.
    if (address.family == IpAddress::Family::V4) {
      IpAddress mapped;
      mapped.family = IpAddress::Family::V6;
      mapped.bytes[10] = 0xff;
      mapped.bytes[11] = 0xff;
      for (int b = 0; b < 4; ++b) mapped.bytes[12 + b] = address.bytes[b];
      ORIVON_FUZZ_CHECK(policy.allows(mapped, port, use) == allowed,
                        probe + ": " + mapped.to_string() + " gets another answer");
    }
  }
}

void check_address(std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address) return;
  const std::string printed = address->to_string();
  auto reread = IpAddress::parse(printed);
  ORIVON_FUZZ_CHECK(reread && *reread == *address,
                    "the address " + printable(text) + " prints as " + printable(printed) +
                        ", which reads back differently");
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  const std::string_view input = as_text(data, size);
  const std::size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  const std::string_view rest =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const std::size_t space = line.find(' ');
  const std::string_view word = line.substr(0, space);
  const std::string_view rule_text =
      space == std::string_view::npos ? line : line.substr(space + 1);
  const auto kind = word == "connect"  ? orivon::NetRule::Kind::Connect
                    : word == "listen" ? orivon::NetRule::Kind::Listen
                    : word.size() % 2 == 0 ? orivon::NetRule::Kind::Connect
                                           : orivon::NetRule::Kind::Listen;

  check_address(rule_text);
  auto host = orivon::wasi::check_rule_host(rule_text);
  ORIVON_FUZZ_CHECK(host || host.error().code() == orivon::ErrorCode::InvalidArgument,
                    host.error().to_string());

  auto rule = orivon::parse_net_rule(kind, rule_text);
  if (!rule) {
    ORIVON_FUZZ_CHECK(rule.error().code() == orivon::ErrorCode::InvalidArgument,
                      printable(rule_text) + " is refused with " + rule.error().to_string());
    return 0;
  }
  const std::string printed = orivon::to_string(*rule);
  auto reread = orivon::parse_net_rule(kind, printed);
  ORIVON_FUZZ_CHECK(reread && *reread == *rule, "the rule " + printable(rule_text) + " prints as " +
                                                    printable(printed) +
                                                    ", which reads back differently");
  FuzzedDataProvider probes(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size());
  check_policy(*rule, printed, probes);
  return 0;
}
