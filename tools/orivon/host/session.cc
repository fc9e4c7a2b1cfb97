#include "host/session.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "host/control_socket.h"
#include "host/requests.h"
#include "orivon/runtime.h"

namespace orivon::cli {
namespace {

// A host holding the lock but not yet listening is loading its modules; wait
// for it rather than fail. Loading 1,000 modules from cache takes seconds.
constexpr auto kHostStartWait = std::chrono::seconds(120);

}  // namespace

Result<Session> Session::open(const std::filesystem::path& state_dir, std::ostream& err) {
  const auto socket = control_socket_path(state_dir);
  const nlohmann::json ping = {{"op", "ping"}};
  ORIVON_TRY(auto reply, send_to_host(socket, ping));
  if (reply) return Session(socket, std::nullopt, nullptr);

  if (::mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error(ErrorCode::PermissionDenied,
                 "cannot create state directory '" + state_dir.string() + "': " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + kHostStartWait;
  bool told = false;
  while (true) {
    ORIVON_TRY(auto lock, HostLock::try_acquire_for_cli(state_dir));
    if (lock) {
      RuntimeOptions options;
      options.state_dir = state_dir;
      ORIVON_TRY(auto runtime, Runtime::create(options));
      return Session(socket, std::move(lock), std::move(runtime));
    }
    // A host holds the lock: it is starting. Ask it once it listens.
    ORIVON_TRY(reply, send_to_host(socket, ping));
    if (reply) return Session(socket, std::nullopt, nullptr);
    if (std::chrono::steady_clock::now() > deadline) {
      return Error(ErrorCode::Unavailable, "a host holds '" + state_dir.string() +
                                               "' but does not answer on its control socket");
    }
    if (!told) {
      err << "waiting for the host on " << state_dir.string() << " to start...\n";
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<SessionReply> Session::perform(const nlohmann::json& request) {
  if (runtime_) return SessionReply{handle_request(*runtime_, request, Responder::Direct), false};
  ORIVON_TRY(auto reply, send_to_host(socket_, request));
  if (!reply) {
    return Error(ErrorCode::Unavailable, "the host stopped answering on '" + socket_.string() + "'");
  }
  return SessionReply{std::move(*reply), true};
}

Result<std::string> Session::perform_line(const nlohmann::json& request) {
  if (runtime_) return handle_request_line(*runtime_, request, Responder::Direct);
  ORIVON_TRY(auto line, send_line_to_host(socket_, request));
  if (!line) {
    return Error(ErrorCode::Unavailable, "the host stopped answering on '" + socket_.string() + "'");
  }
  return std::move(*line);
}

Result<SessionReply> perform(const std::filesystem::path& state_dir, const nlohmann::json& request,
                             std::ostream& err) {
  ORIVON_TRY(auto session, Session::open(state_dir, err));
  return session.perform(request);
}

}  // namespace orivon::cli
