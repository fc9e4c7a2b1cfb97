#pragma once

/// \file
/// The text form of a network rule (NetRule in wasi_profile.h), as
/// `orivon run --allow-connect/--allow-listen` take it: `HOST:PORT` or
/// `HOST:FIRST-LAST`, where HOST is `*`, an IPv4 address or CIDR block
/// (`127.0.0.1`, `10.0.0.0/8`), an IPv6 address or block in brackets
/// (`[::1]`, `[fd00::/8]`), or a host name (`api.example.com`).

#include <string>
#include <string_view>

#include "orivon/export.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon {

/// Parses `HOST:PORT[-PORT]` into a rule of `kind`. Fails with
/// InvalidArgument, saying what is expected, on a malformed host, a missing
/// or out-of-range port, or a range whose first port is above its last.
ORIVON_API Result<NetRule> parse_net_rule(NetRule::Kind kind, std::string_view text);

/// The text form of `rule`'s address and ports, which parse_net_rule reads
/// back (`[::1]:8080`, `10.0.0.0/8:1000-2000`).
ORIVON_API std::string to_string(const NetRule& rule);

}  // namespace orivon
