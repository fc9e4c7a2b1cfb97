#include "http/route_table.h"

#include <algorithm>
#include <cctype>

#include "core/limits.h"

namespace orivon::http {
namespace {

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
}

// RFC 3986 pchar without '%'-decoding: unreserved, sub-delims, ':', '@',
// '%' (kept as it is: routes match the path as sent), and '/'.
bool is_path_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("-._~!$&'()*+,;=:@%/").find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error bad_route(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 80));
  if (text.size() > 80) shown += "...";
  return Error(ErrorCode::InvalidArgument,
               "bad route '" + shown + "': " + why +
                   " (expected [HOST]/PREFIX, like /api or example.com/api)");
}

Result<std::string> check_host(std::string_view host, std::string_view text) {
  if (host.size() > 253) return bad_route(text, "the host is longer than 253 characters");
  if (!std::all_of(host.begin(), host.end(), is_host_char)) {
    return bad_route(text, "a host is a name of letters, digits, '-' and '.' (no port, no scheme)");
  }
  if (host.front() == '.' || host.find("..") != std::string_view::npos) {
    return bad_route(text, "the host has an empty label");
  }
  std::string out = lower(host);
  if (out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

Result<RouteKey> parse_route(std::string_view text) {
  if (text.empty()) return bad_route(text, "it is empty");
  if (text.size() > limits::kMaxHttpRouteBytes) {
    return bad_route(text, "longer than " + std::to_string(limits::kMaxHttpRouteBytes) + " bytes");
  }
  if (text.find("://") != std::string_view::npos) {
    return bad_route(text, "a route has no scheme");
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad_route(text, "it has no '/PREFIX'");
  RouteKey key;
  if (slash > 0) {
    ORIVON_TRY(key.host, check_host(text.substr(0, slash), text));
  }
  std::string_view prefix = text.substr(slash);
  if (!std::all_of(prefix.begin(), prefix.end(), is_path_char)) {
    return bad_route(text, "the prefix may hold letters, digits and -._~!$&'()*+,;=:@%/ only "
                           "(no query, no fragment, no spaces)");
  }
  if (prefix.find("//") != std::string_view::npos) return bad_route(text, "the prefix has '//'");
  for (std::string_view segment : {std::string_view("/./"), std::string_view("/../")}) {
    std::string padded = std::string(prefix) + "/";
    if (padded.find(segment) != std::string::npos) {
      return bad_route(text, "the prefix has a '.' or '..' segment");
    }
  }
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  key.prefix = std::string(prefix);
  return key;
}

Result<std::string> request_host(std::string_view header) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::InvalidArgument, "bad Host header: " + why);
  };
  if (header.empty()) return bad("it is empty");
  if (header.size() > 300) return bad("it is too long");
  std::string_view host = header;
  if (host.front() == '[') {
    // An IPv6 literal, maybe with a port: matched as written, brackets kept.
    const auto close = host.find(']');
    if (close == std::string_view::npos) return bad("an unclosed '['");
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) return bad("junk after ']'");
    host = host.substr(0, close + 1);
    for (char c : host.substr(1, host.size() - 2)) {
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0 && c != ':' && c != '.') {
        return bad("not an IPv6 address");
      }
    }
    return lower(host);
  }
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      return bad("the port is not a number");
    }
    host = host.substr(0, colon);
  }
  if (host.empty()) return bad("no host before the port");
  if (!std::all_of(host.begin(), host.end(), is_host_char) || host.front() == '.' ||
      host.find("..") != std::string_view::npos) {
    return bad("not a host name");
  }
  std::string out = lower(host);
  if (out.back() == '.') out.pop_back();
  return out;
}

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (prefix == "/") return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

void RouteTable::replace(std::vector<HttpRoute> routes) {
  auto snapshot = std::make_shared<const std::vector<HttpRoute>>(std::move(routes));
  MutexLock lock(mutex_);
  routes_ = std::move(snapshot);
}

std::optional<ModuleId> RouteTable::match(std::string_view host, std::string_view path) const {
  std::shared_ptr<const std::vector<HttpRoute>> routes;
  {
    MutexLock lock(mutex_);
    routes = routes_;
  }
  const HttpRoute* best = nullptr;
  for (const HttpRoute& route : *routes) {
    if (!route.host.empty() && route.host != host) continue;
    if (!prefix_matches(route.prefix, path)) continue;
    if (best == nullptr) {
      best = &route;
      continue;
    }
    // A route for the request's host beats any host-less one; then the
    // longer prefix wins.
    const bool host_better = !route.host.empty() && best->host.empty();
    const bool host_worse = route.host.empty() && !best->host.empty();
    if (host_better || (!host_worse && route.prefix.size() > best->prefix.size())) best = &route;
  }
  if (best == nullptr) return std::nullopt;
  return best->module;
}

}  // namespace orivon::http
