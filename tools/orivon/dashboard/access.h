#pragma once

// What `orivon up --dashboard` leaves in the state directory for
// `orivon dashboard-url`, and how an address on the command line is read.
//
//   dashboard.token    the access token: 64 hex digits from the kernel's
//                      random source, mode 0600, made once and kept, so a
//                      URL stays valid across restarts of the host.
//   dashboard.address  HOST:PORT the running host's dashboard listens on;
//                      written when it starts listening, removed when it
//                      stops.

#include <filesystem>
#include <string>
#include <string_view>

#include "orivon/result.h"

namespace orivon::cli {

struct DashboardAddress {
  std::string host;  // numeric or a name; IPv6 without brackets
  int port = 0;      // 0: any free port
};

// "PORT", "HOST:PORT" or "[IPV6]:PORT". A bare port means 127.0.0.1: the
// dashboard leaves loopback only when another host is written out.
// InvalidArgument, saying what is expected, for anything else.
Result<DashboardAddress> parse_dashboard_address(std::string_view text);

// "HOST:PORT", with brackets around an IPv6 host.
std::string format_address(const std::string& host, int port);

// Whether `host` names the loopback interface (127.0.0.0/8, ::1, localhost).
bool is_loopback_host(std::string_view host);

// The token, made (0600) if the state directory has none yet; a token file
// readable by others is made private again. Unavailable if it cannot be
// read or written.
Result<std::string> ensure_dashboard_token(const std::filesystem::path& state_dir);
// The token; NotFound if no dashboard was ever started here.
Result<std::string> read_dashboard_token(const std::filesystem::path& state_dir);

std::filesystem::path dashboard_address_path(const std::filesystem::path& state_dir);

// Whether `given` equals `expected`, in time that does not depend on where
// they first differ.
bool tokens_match(std::string_view given, std::string_view expected);

}  // namespace orivon::cli
