#include <cstdlib>

#include "orivon/runtime.h"

namespace orivon {

Result<std::filesystem::path> resolve_state_dir(const std::filesystem::path& explicit_dir) {
  auto from_env = [](const char* name) -> std::filesystem::path {
    const char* value = std::getenv(name);
    return value != nullptr ? std::filesystem::path(value) : std::filesystem::path();
  };
  std::filesystem::path dir = explicit_dir;
  if (dir.empty()) dir = from_env("ORIVON_STATE");
  if (dir.empty()) {
    if (auto xdg = from_env("XDG_STATE_HOME"); !xdg.empty()) dir = xdg / "orivon";
  }
  if (dir.empty()) {
    if (auto home = from_env("HOME"); !home.empty()) dir = home / ".local" / "state" / "orivon";
  }
  if (dir.empty()) {
    return Error(ErrorCode::FailedPrecondition,
                 "no state directory: pass --state DIR or set ORIVON_STATE");
  }
  // Relative paths are taken from the current directory once, here, so a
  // later chdir cannot move the state.
  std::error_code ec;
  auto absolute = std::filesystem::absolute(dir, ec);
  if (ec) return Error(ErrorCode::InvalidArgument, "state directory '" + dir.string() + "': " + ec.message());
  return absolute.lexically_normal();
}

}  // namespace orivon
