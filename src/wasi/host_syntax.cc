#include "wasi/host_syntax.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace orivon::wasi {
namespace {

Error invalid(std::string why) { return Error(ErrorCode::InvalidArgument, std::move(why)); }

}  // namespace

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  char previous = '.';
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else if (std::isalnum(u) || c == '-') {
      if (c == '-' && label == 0) return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    previous = c;
  }
  return previous != '-' && previous != '.';
}

bool is_address_or_cidr(std::string_view text, bool v6) {
  if (text.find('\0') != std::string_view::npos) return false;  // inet_pton stops at a NUL
  auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  unsigned char buffer[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), buffer) != 1) return false;
  if (slash == std::string_view::npos) return true;
  auto prefix = parse_port(text.substr(slash + 1));
  return prefix && *prefix <= (v6 ? 128 : 32);
}

Result<std::string> normalize_http_origin(std::string_view text) {
  // Checked first: inet_pton and friends stop at a NUL, so "[::1\0junk]"
  // would otherwise pass as ::1.
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return invalid("an origin has no control characters");
  }
  std::string origin(text);
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string scheme;
  if (origin.starts_with("https://")) {
    scheme = "https";
  } else if (origin.starts_with("http://")) {
    scheme = "http";
  } else {
    return invalid("the origin must start with http:// or https://");
  }
  std::string authority = origin.substr(scheme.size() + 3);
  if (authority.ends_with('/')) authority.pop_back();
  if (authority.find_first_of("/?#@") != std::string::npos) {
    return invalid("an origin has no path, query, fragment or user name");
  }
  std::string host = authority;
  std::string port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string::npos) return invalid("no ']' after the IPv6 address");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return invalid("junk after the IPv6 address");
      port = authority.substr(close + 2);
    }
    if (!is_address_or_cidr(host, /*v6=*/true) || host.find('/') != std::string::npos) {
      return invalid("'" + host + "' is not an IPv6 address");
    }
    host = "[" + host + "]";
  } else {
    auto colon = authority.find(':');
    if (colon != std::string::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!is_host_name(host)) return invalid("'" + host + "' is not a host");
  }
  if (!port.empty()) {
    auto number = parse_port(port);
    if (!number || *number == 0) {
      return invalid("'" + port + "' is not a port (1-65535)");
    }
    if ((scheme == "https" && *number == 443) || (scheme == "http" && *number == 80)) port.clear();
  }
  return scheme + "://" + host + (port.empty() ? "" : ":" + port);
}


}  // namespace orivon::wasi
