#include "wasi/net_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "core/limits.h"

namespace orivon::wasi {
namespace {

using Family = IpAddress::Family;

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int address_bits(Family family) { return family == Family::V4 ? 32 : 128; }

bool prefix_equal(const IpAddress& a, const IpAddress& b, int length) {
  const int whole = length / 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), static_cast<std::size_t>(whole)) != 0) {
    return false;
  }
  const int rest = length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

IpAddress masked(IpAddress address, int length) {
  for (int bit = length; bit < address_bits(address.family); ++bit) {
    address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return address;
}

// Letters, digits and '-' in dot-separated labels of 1 to 63 characters,
// the last one not all digits: "10.0.0.300" or "127.1" is a mistyped address
// (which getaddrinfo would even accept as one), not a name.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::string_view label;
  for (std::string_view rest = host; !rest.empty();) {
    const auto dot = rest.find('.');
    label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    const bool valid = std::all_of(label.begin(), label.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
    if (!valid) return false;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
    if (rest.empty()) return false;  // a trailing dot
  }
  return !std::all_of(label.begin(), label.end(),
                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct ParsedPrefix {
  IpAddress address;
  int length = 0;
};

// "ADDRESS/LENGTH" or a bare address (the full length). nullopt when `host`
// is not an address at all; an error when it is one but malformed.
Result<std::optional<ParsedPrefix>> parse_prefix(std::string_view host) {
  const auto slash = host.find('/');
  auto address = IpAddress::parse(host.substr(0, slash));
  if (!address) {
    if (slash == std::string_view::npos) return std::optional<ParsedPrefix>();
    return Error(ErrorCode::InvalidArgument,
                 "'" + std::string(host) +
                     "' is not a CIDR block: expected ADDRESS/LENGTH like 10.0.0.0/8 or fd00::/8");
  }
  int length = address_bits(address->family);
  if (slash != std::string_view::npos) {
    const auto digits = host.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        length < 0 || length > address_bits(address->family)) {
      return Error(ErrorCode::InvalidArgument,
                   "'" + std::string(host) + "': the prefix length must be 0 to " +
                       std::to_string(address_bits(address->family)));
    }
  }
  return std::optional<ParsedPrefix>(ParsedPrefix{*address, length});
}

class SystemResolver final : public HostResolver {
 public:
  std::vector<IpAddress> resolve(const std::string& name) override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) return {};
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
    std::vector<IpAddress> addresses;
    for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
      IpAddress address;
      if (entry->ai_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
        std::memcpy(address.bytes.data(), &in->sin_addr, 4);
      } else if (entry->ai_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ai_addr);
        address.family = Family::V6;
        std::memcpy(address.bytes.data(), &in6->sin6_addr, 16);
      } else {
        continue;
      }
      addresses.push_back(address.unmapped());
    }
    return addresses;
  }
};

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);  // inet_pton needs a terminated string
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  address.family = Family::V6;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
  if (family != Family::V6 ||
      !std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin())) {
    return *this;
  }
  IpAddress v4;
  std::copy(bytes.begin() + 12, bytes.end(), v4.bytes.begin());
  return v4;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::V4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

std::unique_ptr<HostResolver> make_system_resolver() { return std::make_unique<SystemResolver>(); }

Result<void> check_rule_host(std::string_view host) {
  if (host == "*") return {};
  ORIVON_TRY(auto prefix, parse_prefix(host));
  if (prefix || is_host_name(host)) return {};
  return Error(ErrorCode::InvalidArgument,
               "'" + std::string(host) +
                   "' is not a host: expected '*', an IP address (127.0.0.1, ::1), a CIDR block "
                   "(10.0.0.0/8, fd00::/8) or a host name (api.example.com)");
}

Result<std::unique_ptr<NetPolicy>> NetPolicy::compile(std::span<const NetRule> rules,
                                                      std::unique_ptr<HostResolver> resolver) {
  std::vector<CompiledRule> compiled;
  compiled.reserve(rules.size());
  for (const auto& rule : rules) {
    const std::string shown = rule.host + ":" + std::to_string(rule.first_port) + "-" +
                              std::to_string(rule.last_port);
    if (rule.first_port > rule.last_port) {
      return Error(ErrorCode::InvalidArgument,
                   "network rule '" + shown + "': the first port is above the last");
    }
    CompiledRule out;
    out.kind = rule.kind;
    out.first_port = rule.first_port;
    out.last_port = rule.last_port;
    if (rule.host != "*") {
      auto prefix = parse_prefix(rule.host);
      if (!prefix) return Error::wrap("network rule '" + shown + "'", prefix.error());
      if (*prefix) {
        // An IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block it
        // maps, since addresses are matched unmapped.
        ParsedPrefix parsed = **prefix;
        IpAddress unmapped = parsed.address.unmapped();
        if (unmapped.family != parsed.address.family && parsed.length >= 96) {
          parsed = ParsedPrefix{unmapped, parsed.length - 96};
        }
        out.host = CompiledRule::Host::Prefix;
        out.prefix = masked(parsed.address, parsed.length);
        out.prefix_length = parsed.length;
      } else if (is_host_name(rule.host)) {
        out.host = CompiledRule::Host::Name;
        out.name = lower(rule.host);
      } else {
        return Error::wrap("network rule '" + shown + "'", check_rule_host(rule.host).error());
      }
    }
    compiled.push_back(std::move(out));
  }
  return std::unique_ptr<NetPolicy>(new NetPolicy(std::move(compiled), std::move(resolver)));
}

NetPolicy::NetPolicy(std::vector<CompiledRule> rules, std::unique_ptr<HostResolver> resolver)
    : rules_(std::move(rules)), resolver_(std::move(resolver)) {
  needs_name_lookup_ = std::any_of(rules_.begin(), rules_.end(), [](const CompiledRule& rule) {
    return rule.host == CompiledRule::Host::Name ||
           (rule.host == CompiledRule::Host::Any && rule.kind == NetRule::Kind::Connect);
  });
}

bool NetPolicy::allows(const IpAddress& address, std::uint16_t port,
                       SocketUse use) const noexcept {
  try {
    const IpAddress unmapped = address.unmapped();
    switch (use) {
      case SocketUse::TcpConnect:
      case SocketUse::UdpSend:
        return matches(NetRule::Kind::Connect, unmapped, port);
      case SocketUse::TcpBind:
      case SocketUse::UdpBind:
        return port == 0 || matches(NetRule::Kind::Listen, unmapped, port);
      case SocketUse::TcpListen:
        return matches(NetRule::Kind::Listen, unmapped, port);
      case SocketUse::TcpAccept:
        return true;
      case SocketUse::UdpReceive:
        return has_kind(NetRule::Kind::Listen) ||
               matches(NetRule::Kind::Connect, unmapped, port);
    }
    return false;
  } catch (...) {
    // Out of memory while resolving a name, at worst: refuse.
    return false;
  }
}

bool NetPolicy::matches(NetRule::Kind kind, const IpAddress& address, std::uint16_t port) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const CompiledRule& rule) {
    return rule.kind == kind && port >= rule.first_port && port <= rule.last_port &&
           host_matches(rule, address);
  });
}

bool NetPolicy::has_kind(NetRule::Kind kind) const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const CompiledRule& rule) { return rule.kind == kind; });
}

bool NetPolicy::host_matches(const CompiledRule& rule, const IpAddress& address) const {
  switch (rule.host) {
    case CompiledRule::Host::Any:
      return true;
    case CompiledRule::Host::Prefix:
      return rule.prefix.family == address.family &&
             prefix_equal(rule.prefix, address, rule.prefix_length);
    case CompiledRule::Host::Name: {
      const auto addresses = resolve(rule.name);
      return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
    }
  }
  return false;
}

std::vector<IpAddress> NetPolicy::resolve(const std::string& name) const {
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(cache_mutex_);
    auto cached = name_cache_.find(name);
    if (cached != name_cache_.end() && cached->second.expires > now) {
      return cached->second.addresses;
    }
  }
  // Resolve without the lock: a slow lookup must not hold up checks of
  // other rules on other threads. Two threads may resolve the same name at
  // once; the later answer wins, which is harmless.
  auto addresses = resolver_->resolve(name);
  const auto ttl = addresses.empty() ? limits::kNetNameMissTtl : limits::kNetNameCacheTtl;
  MutexLock lock(cache_mutex_);
  name_cache_[name] = CachedName{addresses, now + ttl};
  return addresses;
}

}  // namespace orivon::wasi
