// Fuzzes HTTP origins: the `http:ORIGIN` grants a module's outbound requests are checked
// against (src/wasi/http_policy.cc, normalized by src/grants/grant_parser.cc), and the
// check itself, which sees whatever scheme and authority a guest's request carries.
//
// Input: the first line is the granted origin; each further line is a request as
// `SCHEME AUTHORITY` (no space: the whole line is the authority, scheme https).
// Properties: a policy compiles from an origin exactly when the grant parser accepts it; the
// normalized origin reads back as itself; the policy allows the origin's own scheme and
// authority; a request it allows normalizes to the granted origin.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "orivon/grants.h"
#include "wasi/http_policy.h"

namespace orivon::fuzz {
namespace {

// "scheme://authority" split in two.
void split_origin(const std::string& origin, std::string* scheme, std::string* authority) {
  const std::size_t separator = origin.find("://");
  *scheme = origin.substr(0, separator);
  *authority = separator == std::string::npos ? "" : origin.substr(separator + 3);
}

void check(std::string_view input) {
  const std::size_t newline = input.find('\n');
  const std::string origin(input.substr(0, newline));
  std::string_view requests =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  auto grant = parse_grant("http:" + origin);
  auto policy = wasi::HttpPolicy::compile({origin});
  ORIVON_FUZZ_CHECK(grant.has_value() == policy.has_value(),
                    "the origin " + printable(origin) + (grant ? " is" : " is not") +
                        " a grant, but compiling it " +
                        (policy ? "succeeds" : "fails: " + policy.error().to_string()));
  if (!policy) {
    ORIVON_FUZZ_CHECK(policy.error().code() == ErrorCode::InvalidArgument,
                      printable(origin) + " is refused with " + policy.error().to_string());
    return;
  }
  const auto* http = std::get_if<HttpGrant>(&*grant);
  ORIVON_FUZZ_CHECK(http != nullptr, "http:" + printable(origin) + " is not an HTTP grant");
  const std::string& normalized = http->origin;
  auto again = parse_grant("http:" + normalized);
  ORIVON_FUZZ_CHECK(again && std::get_if<HttpGrant>(&*again) != nullptr &&
                        std::get<HttpGrant>(*again).origin == normalized,
                    printable(origin) + " normalizes to " + printable(normalized) +
                        ", which does not read back as itself");
  std::string scheme;
  std::string authority;
  split_origin(normalized, &scheme, &authority);
  ORIVON_FUZZ_CHECK((*policy)->allows(scheme, authority),
                    "the policy of " + printable(origin) + " refuses its own origin " +
                        printable(normalized));

  while (!requests.empty()) {
    const std::size_t end = requests.find('\n');
    const std::string_view line = requests.substr(0, end);
    requests = end == std::string_view::npos ? std::string_view() : requests.substr(end + 1);
    const std::size_t space = line.find(' ');
    const std::string_view request_scheme =
        space == std::string_view::npos ? std::string_view("https") : line.substr(0, space);
    const std::string_view request_authority =
        space == std::string_view::npos ? line : line.substr(space + 1);
    if (!(*policy)->allows(request_scheme, request_authority)) continue;
    auto request = parse_grant("http:" + std::string(request_scheme) + "://" +
                               std::string(request_authority));
    ORIVON_FUZZ_CHECK(request && std::get_if<HttpGrant>(&*request) != nullptr &&
                          std::get<HttpGrant>(*request).origin == normalized,
                      "the policy of " + printable(normalized) + " allows the request " +
                          printable(line) + " to another origin");
  }
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  orivon::fuzz::check(orivon::fuzz::as_text(data, size));
  return 0;
}
