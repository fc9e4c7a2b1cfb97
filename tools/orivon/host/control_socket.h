#pragma once

// The host's control socket and lock, both inside the state directory:
//
//   control.sock  Unix stream socket, mode 0600; one JSON request line per
//                 connection, one JSON reply line. The peer's uid is checked
//                 on every connection: only the host's own user is served.
//   host.lock     flock(2) file. A host holds it exclusively while it runs,
//                 and writes its pid into it; a CLI acting on the state
//                 directly holds it shared, so a host never starts under it
//                 and it never acts beside a host.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "orivon/result.h"

namespace orivon::cli {

std::filesystem::path control_socket_path(const std::filesystem::path& state_dir);

// A held flock on host.lock, released on destruction.
class HostLock {
 public:
  // Exclusive, for `orivon up`, recording this process's pid in the file.
  // FailedPrecondition at once, naming the state directory and the other
  // host's pid, if another host holds it; a host that died (even by SIGKILL)
  // holds nothing, as the kernel drops its flock. Waits up to `wait` for CLIs
  // that act on the state directly to finish (Unavailable after it), calling
  // `on_wait` once when it starts to wait.
  static Result<HostLock> acquire_for_host(const std::filesystem::path& state_dir,
                                           std::chrono::milliseconds wait,
                                           const std::function<void()>& on_wait = {});
  // Shared, for a CLI acting on the state directly; nullopt when a host
  // holds the lock (it is running or starting).
  static Result<std::optional<HostLock>> try_acquire_for_cli(const std::filesystem::path& state_dir);

  HostLock(HostLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  HostLock& operator=(HostLock&&) = delete;
  ~HostLock();

 private:
  explicit HostLock(int fd) : fd_(fd) {}
  int fd_;
};

// Sends one request to the host. nullopt when no host listens on the socket
// (no socket file, or a stale one left by a host that died).
Result<std::optional<nlohmann::json>> send_to_host(const std::filesystem::path& socket_path,
                                                   const nlohmann::json& request);
// The same, with the reply as the line the host sent, not parsed: for
// replies a client passes on as they are (a listing's modules).
Result<std::optional<std::string>> send_line_to_host(const std::filesystem::path& socket_path,
                                                     const nlohmann::json& request);

// A listening control socket; the socket file is removed on destruction.
class ControlServer {
 public:
  static Result<ControlServer> listen(const std::filesystem::path& socket_path);
  ControlServer(ControlServer&& other) noexcept;
  ControlServer& operator=(ControlServer&&) = delete;
  ~ControlServer();

  // Answers a request with its reply: one line of JSON, ending in '\n'.
  using Handler = std::function<std::string(const nlohmann::json& request)>;
  // Serves connections, each on its own thread (at most 32 at once), until
  // `stop_fd` becomes readable (a signalfd for SIGINT/SIGTERM); requests in
  // flight then finish first. `handler` must be thread-safe. A connection
  // from another uid is answered with a PermissionDenied reply and closed
  // without reaching `handler`.
  [[nodiscard]] Result<void> serve(int stop_fd, const Handler& handler);

 private:
  ControlServer(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  void serve_connection(int connection, const Handler& handler) noexcept;
  void serve_connection_unguarded(int connection, const Handler& handler);
  int fd_;
  std::filesystem::path path_;
};

}  // namespace orivon::cli
