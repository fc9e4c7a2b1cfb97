// Fuzzes grant strings (src/grants/grant_parser.cc), the syntax of `orivon allow` and of
// manifest requests. Properties: a refusal is an InvalidArgument that quotes the grant; an
// accepted grant can be described; a network grant's rule compiles into the policy a service
// gets (a grant that is accepted when allowed but refused when the service starts would be a
// bug), and its text form (net_rules.h) reads back as the same rule; an HTTP grant's origin is
// normalized for good (normalizing it again changes nothing).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "orivon/grants.h"
#include "orivon/net_rules.h"
#include "wasi/net_policy.h"

namespace orivon::fuzz {
namespace {

// Resolves nothing: the fuzzer never touches DNS.
class NoResolver final : public wasi::HostResolver {
 public:
  std::vector<wasi::IpAddress> resolve(const std::string&) override { return {}; }
};

void check_net_rule(std::string_view text, const NetRule& rule) {
  const NetRule rules[] = {rule};
  auto policy = wasi::NetPolicy::compile(rules, std::make_unique<NoResolver>());
  ORIVON_FUZZ_CHECK(policy.has_value(), "grant " + printable(text) +
                                            " is accepted, but its rule does not compile: " +
                                            policy.error().to_string());
  const std::string rule_text = to_string(rule);
  auto reread = parse_net_rule(rule.kind, rule_text);
  ORIVON_FUZZ_CHECK(reread.has_value(), "grant " + printable(text) + " gives the rule " +
                                            printable(rule_text) + ", which does not parse: " +
                                            reread.error().to_string());
  ORIVON_FUZZ_CHECK(*reread == rule, "grant " + printable(text) + ": the rule " + printable(rule_text) +
                                         " reads back as " + printable(to_string(*reread)));
}

void check(std::string_view text) {
  auto grant = parse_grant(text);
  if (!grant) {
    ORIVON_FUZZ_CHECK(grant.error().code() == ErrorCode::InvalidArgument &&
                          !grant.error().message().empty(),
                      printable(text) + " is refused with " + grant.error().to_string());
    return;
  }
  const std::string description = describe_grant(*grant);
  ORIVON_FUZZ_CHECK(!description.empty(), printable(text) + " has an empty description");
  if (const auto* net = std::get_if<NetGrant>(&*grant); net != nullptr && net->rule) {
    check_net_rule(text, *net->rule);
  }
  if (const auto* http = std::get_if<HttpGrant>(&*grant)) {
    auto again = parse_grant("http:" + http->origin);
    ORIVON_FUZZ_CHECK(again.has_value() && std::get_if<HttpGrant>(&*again) != nullptr &&
                          std::get<HttpGrant>(*again).origin == http->origin,
                      printable(text) + " normalizes to " + printable(http->origin) +
                          ", which does not read back as itself");
  }
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  orivon::fuzz::check(orivon::fuzz::as_text(data, size));
  return 0;
}
