// The `HOST:PORT[-PORT]` text form of network rules (include/orivon/net_rules.h).

#include <charconv>
#include <cstdint>

#include "orivon/net_rules.h"
#include "wasi/net_policy.h"

namespace orivon {
namespace {

constexpr std::string_view kExpected =
    "expected HOST:PORT or HOST:FIRST-LAST, where HOST is '*', an IPv4 address or block "
    "(127.0.0.1, 10.0.0.0/8), an IPv6 address or block in brackets ([::1], [fd00::/8]) or a "
    "host name";

Error bad_rule(std::string_view text, std::string_view why) {
  return Error(ErrorCode::InvalidArgument,
               "'" + std::string(text) + "': " + std::string(why) + "; " + std::string(kExpected));
}

bool parse_port(std::string_view digits, std::uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

Result<NetRule> parse_net_rule(NetRule::Kind kind, std::string_view text) {
  NetRule rule;
  rule.kind = kind;
  std::string_view ports;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad_rule(text, "no ']' after the IPv6 address");
    rule.host = std::string(text.substr(1, close - 1));
    if (rule.host.find(':') == std::string::npos) {
      return bad_rule(text, "brackets are only for IPv6 addresses");
    }
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return bad_rule(text, "no ':PORT' after the address");
    }
    ports = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad_rule(text, "no port");
    rule.host = std::string(text.substr(0, colon));
    if (rule.host.find(':') != std::string::npos) {
      return bad_rule(text, "an IPv6 address must be in brackets");
    }
    ports = text.substr(colon + 1);
  }
  if (rule.host.empty()) return bad_rule(text, "no host");
  if (auto host = wasi::check_rule_host(rule.host); !host) {
    return bad_rule(text, host.error().message());
  }
  const auto dash = ports.find('-');
  if (!parse_port(ports.substr(0, dash), rule.first_port)) {
    return bad_rule(text, "the port must be a number from 0 to 65535");
  }
  rule.last_port = rule.first_port;
  if (dash != std::string_view::npos) {
    if (!parse_port(ports.substr(dash + 1), rule.last_port)) {
      return bad_rule(text, "the last port must be a number from 0 to 65535");
    }
    if (rule.last_port < rule.first_port) {
      return bad_rule(text, "the first port of a range is above the last");
    }
  }
  return rule;
}

std::string to_string(const NetRule& rule) {
  std::string text = rule.host.find(':') != std::string::npos ? "[" + rule.host + "]" : rule.host;
  text += ":" + std::to_string(rule.first_port);
  if (rule.last_port != rule.first_port) text += "-" + std::to_string(rule.last_port);
  return text;
}

}  // namespace orivon
