#include "orivon/module_info.h"

#include "core/sha256.h"

namespace orivon {

std::string_view module_state_name(ModuleState state) {
  switch (state) {
    case ModuleState::Installed: return "installed";
    case ModuleState::Starting: return "starting";
    case ModuleState::Running: return "running";
    case ModuleState::Stopping: return "stopping";
    case ModuleState::Stopped: return "stopped";
    case ModuleState::Crashed: return "crashed";
  }
  return "unknown";
}

std::string module_content_hash(std::span<const std::byte> code) { return sha256_hex(code); }

}  // namespace orivon
