#include "host/control_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "host/requests.h"

namespace orivon::cli {
namespace {

// A request is a manifest and some paths: 1 MiB is far more than any needs,
// and bounds what a misbehaving client can make the host buffer.
constexpr std::size_t kMaxMessageBytes = 1 << 20;
// A client that connects and then stalls must not hold the host up.
constexpr int kIoTimeoutSeconds = 5;
// Connections served at once; more wait their turn.
constexpr std::size_t kMaxConcurrentConnections = 32;
// How long a reply may take: adding a large module compiles it.
constexpr int kReplyTimeoutSeconds = 600;

Error errno_error(const std::string& what) {
  return Error(ErrorCode::Unavailable, what + ": " + std::strerror(errno));
}

Result<sockaddr_un> socket_address(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof(address.sun_path)) {
    return Error(ErrorCode::InvalidArgument,
                 "control socket path '" + text + "' is longer than the " +
                     std::to_string(sizeof(address.sun_path) - 1) +
                     " bytes a Unix socket allows; use a shorter --state");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return address;
}

void set_timeouts(int fd, int receive_seconds, int send_seconds) {
  timeval receive{receive_seconds, 0};
  timeval send{send_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receive, sizeof receive);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send, sizeof send);
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads up to the first newline. Fails on timeout, EOF before a newline, or
// more than kMaxMessageBytes.
Result<std::string> read_line(int fd) {
  std::string line;
  char buffer[4096];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("reading from the control socket");
    if (n == 0) return Error(ErrorCode::Unavailable, "the control socket closed mid-message");
    line.append(buffer, static_cast<std::size_t>(n));
    if (auto newline = line.find('\n'); newline != std::string::npos) {
      line.resize(newline);
      return line;
    }
    if (line.size() > kMaxMessageBytes) {
      return Error(ErrorCode::ResourceExhausted, "control message larger than 1 MiB");
    }
  }
}

}  // namespace

std::filesystem::path control_socket_path(const std::filesystem::path& state_dir) {
  return state_dir / "control.sock";
}

Result<HostLock> HostLock::acquire_for_host(const std::filesystem::path& state_dir,
                                            std::chrono::milliseconds wait) {
  const auto path = state_dir / "host.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("opening '" + path.string() + "'");
  HostLock lock(fd);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return errno_error("locking '" + path.string() + "'");
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(ErrorCode::FailedPrecondition,
                   "another orivon host is running on '" + state_dir.string() + "'");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return lock;
}

Result<std::optional<HostLock>> HostLock::try_acquire_for_cli(const std::filesystem::path& state_dir) {
  const auto path = state_dir / "host.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("opening '" + path.string() + "'");
  HostLock lock(fd);
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::optional<HostLock>();
    return errno_error("locking '" + path.string() + "'");
  }
  return std::optional<HostLock>(std::move(lock));
}

HostLock::~HostLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<std::optional<nlohmann::json>> send_to_host(const std::filesystem::path& socket_path,
                                                   const nlohmann::json& request) {
  ORIVON_TRY(auto address, socket_address(socket_path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("creating a socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::optional<nlohmann::json>();
    return errno_error("connecting to the host at '" + socket_path.string() + "'");
  }
  set_timeouts(fd, kReplyTimeoutSeconds, kIoTimeoutSeconds);
  if (!write_all(fd, to_line(request))) return errno_error("sending to the host");
  ORIVON_TRY(auto line, read_line(fd));
  auto reply = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) {
    return Error(ErrorCode::Internal, "the host sent a malformed reply");
  }
  return std::optional<nlohmann::json>(std::move(reply));
}

Result<ControlServer> ControlServer::listen(const std::filesystem::path& socket_path) {
  ORIVON_TRY(auto address, socket_address(socket_path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("creating the control socket");
  // The caller holds the host lock, so a socket file here is a dead host's.
  ::unlink(socket_path.c_str());
  // Created 0600 from the start (umask), not chmod-ed after: no window in
  // which another user could connect.
  const mode_t old_umask = ::umask(0177);
  int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::umask(old_umask);
  if (bound != 0 || ::listen(fd, 64) != 0) {
    Error error = errno_error("listening on '" + socket_path.string() + "'");
    ::close(fd);
    return error;
  }
  return ControlServer(fd, socket_path);
}

ControlServer::ControlServer(ControlServer&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

ControlServer::~ControlServer() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(path_.c_str());
}

Result<void> ControlServer::serve(int stop_fd, const Handler& handler) {
  // Each connection gets a thread, so a long call into one service does not
  // hold up a `list` or a call into another. Past kMaxConcurrentConnections
  // the next one is served inline, which pushes back on a flood of clients.
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Connection> connections;
  auto reap = [&](bool all) {
    for (auto it = connections.begin(); it != connections.end();) {
      if (all || it->done->load()) {
        it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  };
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, 1000) < 0) {
      if (errno == EINTR) continue;
      reap(true);
      return errno_error("waiting for connections");
    }
    reap(false);
    if (fds[1].revents != 0) {
      reap(true);  // requests in flight finish before the host stops
      return ok();
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;  // the client gave up; keep serving
    if (connections.size() >= kMaxConcurrentConnections) {
      serve_connection(connection, handler);
      ::close(connection);
      continue;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections.push_back(Connection{std::thread([this, connection, &handler, done] {
                                       serve_connection(connection, handler);
                                       ::close(connection);
                                       *done = true;
                                     }),
                                     done});
  }
}

void ControlServer::serve_connection(int connection, const Handler& handler) noexcept {
  try {
    serve_connection_unguarded(connection, handler);
  } catch (...) {
    // A connection's failure (out of memory, say) ends that connection only.
  }
}

void ControlServer::serve_connection_unguarded(int connection, const Handler& handler) {
  set_timeouts(connection, kIoTimeoutSeconds, kIoTimeoutSeconds);
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      peer.uid != ::geteuid()) {
    write_all(connection,
              to_line(error_reply(Error(ErrorCode::PermissionDenied,
                                "this orivon host serves only its own user (uid " +
                                    std::to_string(::geteuid()) + ")"))));
    // Closing with the peer's request unread would reset the connection and
    // could destroy the reply in flight: end our side, then discard what the
    // peer sent, for a moment at most, without ever parsing it.
    ::shutdown(connection, SHUT_WR);
    set_timeouts(connection, 0, 0);
    timeval brief{0, 200'000};
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
    char discard[4096];
    for (int i = 0; i < 16 && ::recv(connection, discard, sizeof discard, 0) > 0; ++i) {
    }
    return;
  }
  auto line = read_line(connection);
  nlohmann::json reply;
  if (!line) {
    reply = error_reply(line.error());
  } else {
    auto request = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
    reply = request.is_discarded()
                ? error_reply(Error(ErrorCode::InvalidArgument, "request is not valid JSON"))
                : handler(request);
  }
  write_all(connection, to_line(reply));
}

}  // namespace orivon::cli
