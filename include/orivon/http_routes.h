#pragma once

/// \file
/// Inbound HTTP routes (`orivon route add [HOST]/PREFIX ID`): which function
/// module answers which requests of a host serving `orivon up --http`.
///
/// A route is an optional host name and a path prefix. A request goes to the
/// route whose host is the request's (its Host header, port and a trailing
/// dot ignored, letters compared without case) with the longest prefix that
/// matches its path; when none has its host, to the host-less route with the
/// longest matching prefix. A prefix matches a path equal to it or going on
/// with '/' after it ("/api" matches "/api" and "/api/x", not "/apix"); "/"
/// matches every path.

#include <string>

#include "orivon/ids.h"

namespace orivon {

struct HttpRoute {
  /// Lower case, without a port; empty: any host.
  std::string host;
  /// Starts with '/', no trailing '/' (but "/" itself).
  std::string prefix;
  ModuleId module;

  /// "HOST/PREFIX" or "/PREFIX", as `orivon routes` prints it and
  /// `orivon route add` reads it.
  std::string text() const { return host + prefix; }
};

}  // namespace orivon
