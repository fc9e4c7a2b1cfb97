#include "wasi/wasi_config_builder.h"

#include <filesystem>
#include <string>

#include "wasi/wasi_extensions.h"

namespace orivon::wasi {
namespace {

bool has_nul(const std::string& text) { return text.find('\0') != std::string::npos; }

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
    return Error(ErrorCode::Unimplemented, "host:port network rules are not enforced yet");
  }
  if (!profile.http_origins.empty()) {
    return Error(ErrorCode::Unimplemented, "outbound HTTP grants are not enforced yet");
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
