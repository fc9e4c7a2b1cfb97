#include "dashboard/access.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace orivon::cli {
namespace {

constexpr std::size_t kTokenBytes = 32;

std::filesystem::path token_path(const std::filesystem::path& state_dir) {
  return state_dir / "dashboard.token";
}

bool is_token(std::string_view text) {
  if (text.size() != 2 * kTokenBytes) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Error io_error(const std::filesystem::path& path, std::string_view what) {
  return Error(ErrorCode::Unavailable,
               std::string(what) + " '" + path.string() + "': " + std::strerror(errno));
}

}  // namespace

Result<DashboardAddress> parse_dashboard_address(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error(ErrorCode::InvalidArgument,
                 "--dashboard '" + std::string(text) + "': " + std::string(why) +
                     " (expected PORT, HOST:PORT or [IPV6]:PORT)");
  };
  DashboardAddress address{"127.0.0.1", 0};
  std::string_view port = text;
  if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    std::string_view host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
      return bad("an IPv6 address goes in brackets");
    }
    if (host.empty()) return bad("no host before ':'");
    address.host = std::string(host);
  }
  int value = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 0 ||
      value > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  address.port = value;
  return address;
}

std::string format_address(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Result<std::string> ensure_dashboard_token(const std::filesystem::path& state_dir) {
  const auto path = token_path(state_dir);
  if (auto existing = read_dashboard_token(state_dir)) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0 &&
        ::chmod(path.c_str(), 0600) != 0) {
      return io_error(path, "cannot make private");
    }
    return existing;
  } else if (existing.error().code() != ErrorCode::NotFound) {
    return existing.error();
  }
  unsigned char random[kTokenBytes];
  std::size_t filled = 0;
  while (filled < sizeof random) {
    ssize_t got = ::getrandom(random + filled, sizeof random - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return Error(ErrorCode::Unavailable, std::string("getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(got);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : random) {
    token += kHex[byte >> 4];
    token += kHex[byte & 15];
  }
  // Written to a private temporary file, then renamed: a reader never sees
  // half a token, and the file is never readable by others.
  const auto temporary = path.string() + ".new";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error(temporary, "cannot create");
  const std::string line = token + "\n";
  const bool written = ::fchmod(fd, 0600) == 0 &&
                       ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    auto error = io_error(temporary, "cannot write");
    ::unlink(temporary.c_str());
    return error;
  }
  return token;
}

Result<std::string> read_dashboard_token(const std::filesystem::path& state_dir) {
  const auto path = token_path(state_dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Error(ErrorCode::NotFound, "no dashboard token in '" + state_dir.string() +
                                            "': start the host with 'orivon up --dashboard ADDR'");
    }
    return io_error(path, "cannot read");
  }
  char text[2 * kTokenBytes + 2];
  ssize_t got = ::read(fd, text, sizeof text);
  ::close(fd);
  std::string_view token(text, got > 0 ? static_cast<std::size_t>(got) : 0);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.remove_suffix(1);
  if (!is_token(token)) {
    return Error(ErrorCode::FailedPrecondition,
                 "'" + path.string() +
                     "' does not hold a token: remove it and start the host again");
  }
  return std::string(token);
}

std::filesystem::path dashboard_address_path(const std::filesystem::path& state_dir) {
  return state_dir / "dashboard.address";
}

bool tokens_match(std::string_view given, std::string_view expected) {
  // The length of a token is no secret (64 hex digits); its digits are.
  if (given.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return difference == 0;
}

}  // namespace orivon::cli
