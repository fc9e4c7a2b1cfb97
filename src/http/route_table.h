#pragma once

// Route text (`[HOST]/PREFIX`) and the table a server matches requests
// against (include/orivon/http_routes.h states the rules). Untrusted input
// (route text from clients, Host headers and paths from the network) is
// checked here and yields an Error, never a crash.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/http_routes.h"
#include "orivon/result.h"

namespace orivon::http {

// A route's host and prefix, checked and normalized (lower-case host, no
// trailing '/'). InvalidArgument, naming what is wrong, for anything else.
struct RouteKey {
  std::string host;
  std::string prefix;
};
Result<RouteKey> parse_route(std::string_view text);

// A request's Host header as a route's host: the port and a trailing dot
// dropped, lower case. InvalidArgument for a header that is not a host name
// or an IP address literal.
Result<std::string> request_host(std::string_view header);

// The routes a server matches requests against. Thread-safe: a lookup reads
// an immutable snapshot; replace() swaps in a new one.
class RouteTable {
 public:
  void replace(std::vector<HttpRoute> routes);
  // The module that answers `host` (normalized by request_host) and `path`;
  // nothing when no route matches.
  std::optional<ModuleId> match(std::string_view host, std::string_view path) const;

 private:
  mutable Mutex mutex_;
  std::shared_ptr<const std::vector<HttpRoute>> routes_ ORIVON_GUARDED_BY(mutex_) =
      std::make_shared<const std::vector<HttpRoute>>();
};

// Whether `prefix` (a route's) matches `path`.
bool prefix_matches(std::string_view prefix, std::string_view path);

}  // namespace orivon::http
