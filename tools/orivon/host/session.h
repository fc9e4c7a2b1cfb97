#pragma once

// How a management command reaches the state: through the running host if
// there is one, else by opening the state directory itself (holding the
// host lock shared, so no host starts meanwhile).

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "host/control_socket.h"
#include "orivon/result.h"
#include "orivon/runtime.h"

namespace orivon::cli {

struct SessionReply {
  nlohmann::json reply;  // {"ok": ..., "result"|"error": ...}
  bool via_host = false;
};

// Several requests answered by one responder: the running host, or the
// state directory opened once for all of them (a listing that pages asks
// many times, and must not open 100,000 modules' state once per page).
class Session {
 public:
  static Result<Session> open(const std::filesystem::path& state_dir, std::ostream& err);
  Result<SessionReply> perform(const nlohmann::json& request);
  // The reply as one line of JSON text, unparsed, from either responder.
  Result<std::string> perform_line(const nlohmann::json& request);
  bool via_host() const { return runtime_ == nullptr; }

 private:
  Session(std::filesystem::path socket, std::optional<HostLock> lock,
          std::unique_ptr<Runtime> runtime)
      : socket_(std::move(socket)), lock_(std::move(lock)), runtime_(std::move(runtime)) {}

  std::filesystem::path socket_;
  std::optional<HostLock> lock_;       // held while the state directory is open here
  std::unique_ptr<Runtime> runtime_;   // null when a host answers
};

// One request through a session opened for it.
Result<SessionReply> perform(const std::filesystem::path& state_dir, const nlohmann::json& request,
                             std::ostream& err);

}  // namespace orivon::cli
