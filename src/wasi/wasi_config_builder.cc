#include "wasi/wasi_config_builder.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <string>

#include "wasi/net_policy.h"
#include "wasi/wasi_extensions.h"

namespace orivon::wasi {
namespace {

bool has_nul(const std::string& text) { return text.find('\0') != std::string::npos; }

SocketUse to_socket_use(orivon_socket_use_t use) {
  switch (use) {
    case ORIVON_SOCKET_TCP_BIND: return SocketUse::TcpBind;
    case ORIVON_SOCKET_TCP_LISTEN: return SocketUse::TcpListen;
    case ORIVON_SOCKET_TCP_ACCEPT: return SocketUse::TcpAccept;
    case ORIVON_SOCKET_TCP_CONNECT: return SocketUse::TcpConnect;
    case ORIVON_SOCKET_UDP_BIND: return SocketUse::UdpBind;
    case ORIVON_SOCKET_UDP_SEND: return SocketUse::UdpSend;
    case ORIVON_SOCKET_UDP_RECEIVE: return SocketUse::UdpReceive;
  }
  return SocketUse::TcpConnect;  // unreachable: lib.rs sends only the values above
}

// Refusals told to the profile's on_network_refused, per instance.
constexpr std::uint32_t kNotedRefusals = 16;

// What the socket check holds: the policy, and who hears of refusals.
struct SocketCheck {
  std::unique_ptr<NetPolicy> policy;  // null: no net: grant, every use refused
  bool deny_all = false;
  std::function<void(std::string_view)> on_refused;
  std::atomic<std::uint32_t> refused{0};
};

std::string_view use_text(orivon_socket_use_t use) {
  switch (use) {
    case ORIVON_SOCKET_TCP_BIND: return "tcp bind to";
    case ORIVON_SOCKET_TCP_LISTEN: return "tcp listen on";
    case ORIVON_SOCKET_TCP_ACCEPT: return "tcp accept from";
    case ORIVON_SOCKET_TCP_CONNECT: return "tcp connect to";
    case ORIVON_SOCKET_UDP_BIND: return "udp bind to";
    case ORIVON_SOCKET_UDP_SEND: return "udp send to";
    case ORIVON_SOCKET_UDP_RECEIVE: return "udp receive from";
  }
  return "socket use of";
}

std::string address_text(const orivon_socket_address_t& address) {
  char text[INET6_ADDRSTRLEN] = {};
  const bool v4 = address.family == 4;
  if (inet_ntop(v4 ? AF_INET : AF_INET6, address.address, text, sizeof(text)) == nullptr) {
    return "?";
  }
  return v4 ? std::string(text) + ":" + std::to_string(address.port)
            : "[" + std::string(text) + "]:" + std::to_string(address.port);
}

void note_refusal(SocketCheck& check, const orivon_socket_address_t* address,
                  orivon_socket_use_t use) noexcept {
  if (!check.on_refused) return;
  const std::uint32_t count = check.refused.fetch_add(1, std::memory_order_relaxed);
  if (count > kNotedRefusals) return;
  try {
    if (count == kNotedRefusals) {
      check.on_refused("further refused socket uses of this instance are not noted");
      return;
    }
    std::string text = "refused " + std::string(use_text(use)) + " " +
                       (address != nullptr ? address_text(*address) : std::string("?")) +
                       (check.deny_all ? ": the module has no net: grant"
                                       : ": no net: grant covers it");
    check.on_refused(text);
  } catch (...) {
    // A note that cannot be made is dropped; the refusal stands.
  }
}

// The socket check Wasmtime calls; `data` is the SocketCheck the config
// owns. Called from Rust, so it must not unwind: NetPolicy::allows is
// noexcept, and note_refusal catches.
bool check_socket(void* data, const orivon_socket_address_t* address,
                  orivon_socket_use_t use) noexcept {
  auto& check = *static_cast<SocketCheck*>(data);
  bool allowed = false;
  if (!check.deny_all && address != nullptr && (address->family == 4 || address->family == 6)) {
    IpAddress ip;
    ip.family = address->family == 4 ? IpAddress::Family::V4 : IpAddress::Family::V6;
    std::copy(std::begin(address->address), std::end(address->address), ip.bytes.begin());
    allowed = check.policy->allows(ip, address->port, to_socket_use(use));
  }
  if (!allowed) note_refusal(check, address, use);
  return allowed;
}

void delete_check(void* data) noexcept {
  std::unique_ptr<SocketCheck> check(static_cast<SocketCheck*>(data));
}

}  // namespace

Result<wasmtime::WasiConfig> build_wasi_config(const WasiProfile& profile) {
  wasmtime::WasiConfig config;

  for (const auto& arg : profile.args) {
    if (has_nul(arg)) return Error(ErrorCode::InvalidArgument, "argument contains a NUL byte");
  }
  config.argv(profile.args);

  for (const auto& [name, value] : profile.env) {
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name) || has_nul(value)) {
      return Error(ErrorCode::InvalidArgument,
                   "invalid environment variable name '" + name + "'");
    }
  }
  config.env(profile.env);

  for (const auto& dir : profile.dirs) {
    const std::string shown = dir.host_path.string();
    if (dir.guest_path.empty() || has_nul(dir.guest_path) || has_nul(shown)) {
      return Error(ErrorCode::InvalidArgument, "directory grant '" + shown + "': bad guest path");
    }
    // Grant the canonical directory, so what is shared is what the client
    // named once symlinks on the host side are resolved.
    std::error_code ec;
    auto host = std::filesystem::canonical(dir.host_path, ec);
    if (ec || !std::filesystem::is_directory(host, ec)) {
      return Error(ErrorCode::InvalidArgument,
                   "directory grant '" + shown + "': not a directory on the host");
    }
    if (!config.preopen_dir(host.string(), dir.guest_path, dir.access == DirAccess::ReadWrite)) {
      return Error(ErrorCode::InvalidArgument,
                   "directory grant '" + shown + "': the host refused to open it");
    }
  }

  if (profile.stdio == Stdio::Inherit) {
    config.inherit_stdin();
    config.inherit_stdout();
    config.inherit_stderr();
  }

  // With rules, or with none but someone to tell of refusals: then every
  // use is refused (an ephemeral bind too), as Wasmtime's own default check
  // does, but noted.
  if (profile.network == Network::Rules ||
      (profile.network == Network::Denied && profile.on_network_refused)) {
    auto check = std::make_unique<SocketCheck>();
    check->deny_all = profile.network == Network::Denied;
    if (!check->deny_all) {
      ORIVON_TRY(check->policy, NetPolicy::compile(profile.net_rules, make_system_resolver()));
      config.allow_ip_name_lookup(check->policy->needs_name_lookup());
    }
    check->on_refused = profile.on_network_refused;
    // From here the config owns the check: lib.rs calls delete_check once
    // the WASI context and the last socket holding it are gone.
    orivon_wasi_config_set_socket_check(config.capi(), &check_socket, check.release(),
                                        &delete_check);
  }
  if (profile.network == Network::Full) {
    // All three are needed: any address, name lookup, and socket creation.
    config.inherit_network();
    config.allow_ip_name_lookup(true);
    orivon_wasi_config_allow_sockets(config.capi(), /*tcp=*/true, /*udp=*/true);
  }
  return config;
}

}  // namespace orivon::wasi
