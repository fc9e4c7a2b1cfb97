#include "wasi/wasi_config_builder.h"

#include <algorithm>
#include <filesystem>
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

// The socket check Wasmtime calls; `data` is the NetPolicy the config owns.
// Called from Rust, so it must not unwind: NetPolicy::allows is noexcept.
bool check_socket(void* data, const orivon_socket_address_t* address,
                  orivon_socket_use_t use) noexcept {
  if (address == nullptr || (address->family != 4 && address->family != 6)) return false;
  IpAddress ip;
  ip.family = address->family == 4 ? IpAddress::Family::V4 : IpAddress::Family::V6;
  std::copy(std::begin(address->address), std::end(address->address), ip.bytes.begin());
  return static_cast<const NetPolicy*>(data)->allows(ip, address->port, to_socket_use(use));
}

void delete_policy(void* data) noexcept {
  std::unique_ptr<NetPolicy> policy(static_cast<NetPolicy*>(data));
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

  if (profile.network == Network::Rules) {
    ORIVON_TRY(auto policy, NetPolicy::compile(profile.net_rules, make_system_resolver()));
    config.allow_ip_name_lookup(policy->needs_name_lookup());
    // From here the config owns the policy: lib.rs calls delete_policy once
    // the WASI context and the last socket holding the check are gone.
    orivon_wasi_config_set_socket_check(config.capi(), &check_socket, policy.release(),
                                        &delete_policy);
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
