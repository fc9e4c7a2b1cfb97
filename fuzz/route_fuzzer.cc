// Fuzzes inbound HTTP routing (src/http/route_table.cc): route text from
// clients (`orivon route add`), and the Host header and path of requests
// from the network.
//
// Input: three lines: a route's text, a Host header, a request path.
// Properties:
//   - parse_route and request_host refuse with InvalidArgument or accept;
//   - an accepted route's text (host + prefix) parses back to the same route,
//     its prefix starts with '/' and has no trailing '/' unless it is "/";
//   - an accepted Host is its own normal form (request_host of it gives it
//     back) and has no upper-case letters;
//   - a prefix matches itself, itself followed by "/x", and never itself
//     followed by "x"; "/" matches every path starting with '/';
//   - a table holding only the route answers a request exactly when the
//     hosts agree (or the route has none) and the prefix matches.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/route_table.h"

namespace {

std::string_view line(std::string_view& rest) {
  const std::size_t newline = rest.find('\n');
  std::string_view out = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  std::string_view rest = as_text(data, size);
  const std::string_view route_text = line(rest);
  const std::string_view host_header = line(rest);
  const std::string_view path = line(rest);

  auto host = orivon::http::request_host(host_header);
  if (!host) {
    ORIVON_FUZZ_CHECK(host.error().code() == orivon::ErrorCode::InvalidArgument,
                      printable(host_header) + " is refused with " + host.error().to_string());
  } else {
    auto again = orivon::http::request_host(*host);
    ORIVON_FUZZ_CHECK(again && *again == *host, "the Host " + printable(host_header) +
                                                    " normalizes to " + printable(*host) +
                                                    ", which is not its own normal form");
    for (char c : *host) {
      ORIVON_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "the Host " + printable(*host) + " has upper case");
    }
  }

  auto route = orivon::http::parse_route(route_text);
  if (!route) {
    ORIVON_FUZZ_CHECK(route.error().code() == orivon::ErrorCode::InvalidArgument,
                      printable(route_text) + " is refused with " + route.error().to_string());
    return 0;
  }
  const std::string& prefix = route->prefix;
  ORIVON_FUZZ_CHECK(!prefix.empty() && prefix.front() == '/',
                    "the prefix " + printable(prefix) + " does not start with '/'");
  ORIVON_FUZZ_CHECK(prefix == "/" || prefix.back() != '/',
                    "the prefix " + printable(prefix) + " ends with '/'");
  auto reread = orivon::http::parse_route(route->host + prefix);
  ORIVON_FUZZ_CHECK(reread && reread->host == route->host && reread->prefix == prefix,
                    "the route " + printable(route_text) + " reads as " +
                        printable(route->host + prefix) + ", which reads back differently");

  ORIVON_FUZZ_CHECK(orivon::http::prefix_matches(prefix, prefix), printable(prefix) +
                                                                      " does not match itself");
  const std::string deeper = prefix == "/" ? "/x" : prefix + "/x";
  ORIVON_FUZZ_CHECK(orivon::http::prefix_matches(prefix, deeper),
                    printable(prefix) + " does not match " + printable(deeper));
  if (prefix != "/") {
    ORIVON_FUZZ_CHECK(!orivon::http::prefix_matches(prefix, prefix + "x"),
                      printable(prefix) + " matches " + printable(prefix + "x"));
  }
  if (prefix == "/" && !path.empty() && path.front() == '/') {
    ORIVON_FUZZ_CHECK(orivon::http::prefix_matches(prefix, path),
                      "'/' does not match " + printable(path));
  }

  if (host) {
    orivon::http::RouteTable table;
    table.replace({orivon::HttpRoute{route->host, prefix, *orivon::ModuleId::parse("fuzz.route.x")}});
    const bool expected = (route->host.empty() || route->host == *host) &&
                          orivon::http::prefix_matches(prefix, path);
    ORIVON_FUZZ_CHECK(table.match(*host, path).has_value() == expected,
                      "the table with " + printable(route->host + prefix) + " answers " +
                          printable(*host) + " " + printable(path) + " wrongly");
  }
  return 0;
}
