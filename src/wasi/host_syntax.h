#pragma once

// The spelling of hosts, addresses and ports, as grants and HTTP origins
// write them: one definition, used by the grant parser (net:, http:) and by
// the HTTP policy that checks each request's origin.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "orivon/result.h"

namespace orivon::wasi {

// A decimal port, 0-65535 (at most five digits, nothing else).
std::optional<std::uint16_t> parse_port(std::string_view text);

// A DNS host name: labels of letters, digits and hyphens (not first or last),
// at most 63 bytes each and 253 in all.
bool is_host_name(std::string_view name);

// An address, or an address/prefix. `v6` says which family is expected.
bool is_address_or_cidr(std::string_view text, bool v6);

// The normalized form of an HTTP origin: scheme (http or https) and host
// in lower case, an IPv6 address in brackets, the scheme's default port
// dropped ("HTTPS://API.example.com:443/" -> "https://api.example.com").
// InvalidArgument, saying what is wrong, for anything but a plain origin (a
// path, a query, a user name, a bad host or port).
Result<std::string> normalize_http_origin(std::string_view text);

}  // namespace orivon::wasi
