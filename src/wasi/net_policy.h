#pragma once

// NetPolicy: a WasiProfile's host:port rules compiled once, answering "may
// the guest use this socket address for this?" on every bind, listen,
// connect and datagram, through the socket check orivon adds to Wasmtime's
// C API (deps/wasmtime/lib.rs, src/wasi/wasi_extensions.h).
//
// What each use needs:
//   connect (TCP), send (UDP)     a Connect rule matching the remote address and port
//   bind to port 0                nothing: an ephemeral bind, which wasi-sockets also
//                                 checks before every connect or send on an unbound
//                                 socket; it cannot receive anything by itself
//   bind to any other port        a Listen rule matching the local address and port
//   listen (TCP)                  a Listen rule matching the bound address and port, or
//                                 the wildcard address and port 0 when not bound first
//   accept (TCP)                  nothing more: the listen grant covers its clients
//   receive (UDP)                 a Connect rule matching the sender, or any Listen rule
//
// Matching: a rule's host is "*" (any address), an IP address, a CIDR block,
// or a host name. Names are resolved when checked (getaddrinfo, answers kept
// for limits::kNetNameCacheTtl) so a long-running service follows DNS changes
// like the guest's own lookups do. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) are matched as the IPv4 address they reach, so an IPv6
// socket cannot get around an IPv4 rule, and IPv4 rules cover them.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/result.h"
#include "orivon/wasi_profile.h"

namespace orivon::wasi {

// An IPv4 or IPv6 address; IPv4 uses the first 4 bytes. Plain value.
struct IpAddress {
  enum class Family : std::uint8_t { V4, V6 };
  Family family = Family::V4;
  std::array<std::uint8_t, 16> bytes{};

  // A literal address ("10.1.2.3", "::1"); nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  // The IPv4 address an IPv4-mapped IPv6 address reaches; itself otherwise.
  IpAddress unmapped() const;
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// What a socket address is used for (wasmtime-wasi's SocketAddrUse).
enum class SocketUse { TcpBind, TcpListen, TcpAccept, TcpConnect, UdpBind, UdpSend, UdpReceive };

// Resolves host names for rules that name one. A seam for tests; the system
// one calls getaddrinfo. Implementations must be thread-safe.
class HostResolver {
 public:
  virtual ~HostResolver() = default;
  // Every address `name` resolves to; empty when it does not resolve.
  virtual std::vector<IpAddress> resolve(const std::string& name) = 0;
};

std::unique_ptr<HostResolver> make_system_resolver();

// Checks a rule's host: "*", an IP address, a CIDR block ("10.0.0.0/8",
// "fd00::/8") or a host name (letters, digits, '-', '.'). The error says what
// is expected.
Result<void> check_rule_host(std::string_view host);

// The compiled rules. Owns its resolver and a small cache of resolved names.
// Thread-safe: allows() may be called from any thread at once (Wasmtime calls
// the socket check from whichever thread runs the guest).
class NetPolicy {
 public:
  // Fails with InvalidArgument on a malformed host or an empty port range.
  static Result<std::unique_ptr<NetPolicy>> compile(std::span<const NetRule> rules,
                                                    std::unique_ptr<HostResolver> resolver);

  // Whether `use` of address:port is granted. Never throws; false on any
  // internal failure.
  bool allows(const IpAddress& address, std::uint16_t port, SocketUse use) const noexcept;

  // Whether the guest needs name lookup: some rule names a host, or lets it
  // connect anywhere.
  bool needs_name_lookup() const { return needs_name_lookup_; }

 private:
  struct CompiledRule {
    NetRule::Kind kind = NetRule::Kind::Connect;
    enum class Host { Any, Prefix, Name } host = Host::Any;
    IpAddress prefix;         // Host::Prefix: the network address, unmapped
    int prefix_length = 0;    // Host::Prefix: leading bits that must match
    std::string name;         // Host::Name, lower case
    std::uint16_t first_port = 0;
    std::uint16_t last_port = 0;
  };
  struct CachedName {
    std::vector<IpAddress> addresses;
    std::chrono::steady_clock::time_point expires;
  };

  NetPolicy(std::vector<CompiledRule> rules, std::unique_ptr<HostResolver> resolver);
  bool matches(NetRule::Kind kind, const IpAddress& address, std::uint16_t port) const;
  bool has_kind(NetRule::Kind kind) const;
  bool host_matches(const CompiledRule& rule, const IpAddress& address) const;
  std::vector<IpAddress> resolve(const std::string& name) const;

  const std::vector<CompiledRule> rules_;
  const std::unique_ptr<HostResolver> resolver_;
  bool needs_name_lookup_ = false;
  mutable Mutex cache_mutex_;
  mutable std::map<std::string, CachedName> name_cache_ ORIVON_GUARDED_BY(cache_mutex_);
};

}  // namespace orivon::wasi
