#pragma once

// How a management command reaches the state: through the running host if
// there is one, else by opening the state directory itself (holding the
// host lock shared, so no host starts meanwhile).

#include <filesystem>
#include <ostream>

#include <nlohmann/json.hpp>

#include "orivon/result.h"

namespace orivon::cli {

struct SessionReply {
  nlohmann::json reply;  // {"ok": ..., "result"|"error": ...}
  bool via_host = false;
};

Result<SessionReply> perform(const std::filesystem::path& state_dir, const nlohmann::json& request,
                             std::ostream& err);

}  // namespace orivon::cli
