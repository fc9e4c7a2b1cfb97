#include "host/control_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "host/requests.h"

namespace orivon::cli {
namespace {

// A request is a manifest and some paths, or a key-value value (1 MiB by
// default, sent as base64): 4 MiB holds any of them, and bounds what a
// misbehaving client can make the host buffer.
// What the host reads from a client: requests are small, and any process
// that can reach the socket may send one.
constexpr std::size_t kMaxRequestBytes = 4 << 20;
// What a client reads from its host, which it trusts further: a page of a
// listing, a module's logs. Still bounded, so a broken host cannot make the
// client exhaust its memory.
constexpr std::size_t kMaxReplyBytes = 64 << 20;
// A client that connects and then stalls must not hold the host up: each
// read and write may wait this long...
constexpr int kIoTimeoutSeconds = 5;
// ...and the whole request must arrive within this, however it trickles in.
constexpr std::chrono::seconds kRequestDeadline{10};
// Connections served at once. One past it is answered "busy" at once, on the
// accept thread, without reading it: waiting clients cannot hold up others.
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

// Reads up to the first newline. Fails on a timeout of one read, on EOF
// before a newline, on more than `max_bytes`, or, with a `deadline`, when
// the whole line has not arrived by then.
Result<std::string> read_line(int fd, std::size_t max_bytes,
                              std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::string line;
  char buffer[4096];
  while (true) {
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      pollfd ready{fd, POLLIN, 0};
      const int polled = left.count() > 0 ? ::poll(&ready, 1, static_cast<int>(left.count())) : 0;
      if (polled < 0 && errno == EINTR) continue;
      if (polled < 0) return errno_error("waiting for the request");
      if (polled == 0) {
        return Error(ErrorCode::DeadlineExceeded,
                     "the request did not arrive within " +
                         std::to_string(kRequestDeadline.count()) + " s");
      }
    }
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("reading from the control socket");
    if (n == 0) return Error(ErrorCode::Unavailable, "the control socket closed mid-message");
    const auto newline = std::find(buffer, buffer + n, '\n');
    line.append(buffer, newline);
    if (line.size() > max_bytes) {
      return Error(ErrorCode::ResourceExhausted, "control message larger than " +
                                                     std::to_string(max_bytes >> 20) + " MiB");
    }
    if (newline != buffer + n) return line;
  }
}

// Answers a connection the host has no room for, without reading its
// request, and closes it. Nothing here may block the accept loop.
void refuse_busy(int connection) {
  set_timeouts(connection, 0, 1);
  nlohmann::json reply = error_reply(
      Error(ErrorCode::ResourceExhausted, "the host is serving " +
                                              std::to_string(kMaxConcurrentConnections) +
                                              " requests at once; try again shortly"));
  reply["busy"] = true;  // the request was not read: sending it again is safe
  write_all(connection, to_line(reply));
  ::shutdown(connection, SHUT_WR);
  // What the client already sent, so closing does not reset the connection
  // and lose the reply on its way; whatever is still in flight is its loss.
  char discard[4096];
  for (int i = 0; i < 64 && ::recv(connection, discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(connection);
}

}  // namespace

std::filesystem::path control_socket_path(const std::filesystem::path& state_dir) {
  return state_dir / "control.sock";
}

namespace {

// How long a host that holds the lock may take to record its pid in it: it
// writes it right after locking, so this only covers a host starting now.
constexpr auto kPidRecordWait = std::chrono::seconds(1);

// Whether `pid` names a live process (one of another user's counts).
bool is_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The pid a host wrote into the lock file, if the whole line is there and
// names a live process (the file may still hold a dead host's pid for the
// moment between a new host locking it and recording its own).
std::optional<pid_t> recorded_pid(int fd) {
  char buffer[32];
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 1 || buffer[n - 1] != '\n') return std::nullopt;
  buffer[n - 1] = '\0';
  char* end = nullptr;
  errno = 0;
  const long pid = std::strtol(buffer, &end, 10);
  if (errno != 0 || end != buffer + n - 1 || pid <= 0 || pid > std::numeric_limits<pid_t>::max()) {
    return std::nullopt;
  }
  if (!is_alive(static_cast<pid_t>(pid))) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// What holds the lock when an exclusive lock was refused. A host holds it
// exclusively, CLIs acting on the state directly hold it shared, so a shared
// lock taken on a second open file tells them apart: it is refused only
// while a host holds the lock.
struct LockHolder {
  bool is_host = false;
  std::optional<pid_t> host_pid;  // when is_host and the host recorded it
};

Result<LockHolder> lock_holder(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("opening '" + path.string() + "'");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) return LockHolder{};  // CLIs only; closing unlocks
  if (errno != EWOULDBLOCK) return errno_error("locking '" + path.string() + "'");
  const auto give_up = std::chrono::steady_clock::now() + kPidRecordWait;
  while (true) {
    if (auto pid = recorded_pid(fd)) return LockHolder{true, pid};
    if (std::chrono::steady_clock::now() >= give_up) return LockHolder{true, std::nullopt};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Writes this process's pid into the lock file it holds exclusively, so a
// second host can name it. Best effort: a host whose pid could not be
// written still runs, and a second one then says it could not tell the pid.
void record_pid(int fd) {
  const std::string line = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) return;
  [[maybe_unused]] const ssize_t written = ::pwrite(fd, line.data(), line.size(), 0);
}

}  // namespace

Result<HostLock> HostLock::acquire_for_host(const std::filesystem::path& state_dir,
                                            std::chrono::milliseconds wait,
                                            const std::function<void()>& on_wait) {
  const auto path = state_dir / "host.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("opening '" + path.string() + "'");
  HostLock lock(fd);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool told = false;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return errno_error("locking '" + path.string() + "'");
    // Another host runs until it is stopped, so waiting for it is pointless;
    // CLIs acting on the state directly finish in moments.
    ORIVON_TRY(auto holder, lock_holder(path));
    if (holder.is_host) {
      const std::string pid = holder.host_pid ? "pid " + std::to_string(*holder.host_pid)
                                              : "its pid is not recorded";
      return Error(ErrorCode::FailedPrecondition,
                   "another orivon host is running on '" + state_dir.string() + "' (" + pid +
                       "); stop it first, or give this one another --state");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait).count();
      return Error(ErrorCode::Unavailable,
                   "commands acting on '" + state_dir.string() + "' directly still hold it after " +
                       std::to_string(seconds) + " s; try again when they are done");
    }
    if (!told && on_wait) on_wait();
    told = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  record_pid(fd);
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

namespace {

// A reply this long carries a result; a "busy" refusal is a few dozen bytes.
constexpr std::size_t kLongestBusyReply = 4096;

// Whether `line` is the host's "busy, send it again" refusal.
bool is_busy(const std::string& line) {
  if (line.size() > kLongestBusyReply) return false;
  auto reply = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  return reply.is_object() && reply.value("busy", false);
}

// One request, one reply line (nullopt: no host listens).
Result<std::optional<std::string>> exchange(const std::filesystem::path& socket_path,
                                            const nlohmann::json& request) {
  ORIVON_TRY(auto address, socket_address(socket_path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("creating a socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::optional<std::string>();
    return errno_error("connecting to the host at '" + socket_path.string() + "'");
  }
  set_timeouts(fd, kReplyTimeoutSeconds, kIoTimeoutSeconds);
  if (!write_all(fd, to_line(request))) {
    // A busy host answers and closes without reading: its reply may be
    // waiting even though sending failed.
    Error failed = errno_error("sending to the host");
    auto line = read_line(fd, kMaxReplyBytes, std::nullopt);
    if (!line || !nlohmann::json::accept(*line)) return failed;
    return std::optional<std::string>(std::move(*line));
  }
  ORIVON_TRY(auto line, read_line(fd, kMaxReplyBytes, std::nullopt));
  return std::optional<std::string>(std::move(line));
}

}  // namespace

Result<std::optional<std::string>> send_line_to_host(const std::filesystem::path& socket_path,
                                                     const nlohmann::json& request) {
  // A busy host did not read the request, so it is sent again, for as long
  // as the slowest request it is serving may take to arrive.
  const auto give_up = std::chrono::steady_clock::now() + 2 * kRequestDeadline;
  auto pause = std::chrono::milliseconds(50);
  while (true) {
    ORIVON_TRY(auto line, exchange(socket_path, request));
    if (!line || !is_busy(*line) || std::chrono::steady_clock::now() > give_up) return line;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

Result<std::optional<nlohmann::json>> send_to_host(const std::filesystem::path& socket_path,
                                                   const nlohmann::json& request) {
  ORIVON_TRY(auto line, send_line_to_host(socket_path, request));
  if (!line) return std::optional<nlohmann::json>();
  auto reply = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
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
  // hold up a `list` or a call into another. The loop owns every connection's
  // descriptor and closes it only after joining its thread, so a stop can
  // shut down the reading side of each without racing a close.
  struct Connection {
    int fd;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Connection> connections;
  auto reap = [&](bool all) {
    for (auto it = connections.begin(); it != connections.end();) {
      if (all || it->done->load()) {
        it->thread.join();
        ::close(it->fd);
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  };
  auto stop_all = [&] {
    // Clients still sending get EOF now instead of holding the stop for their
    // timeouts; requests already being handled finish and are answered.
    for (auto& connection : connections) ::shutdown(connection.fd, SHUT_RD);
    reap(true);
  };
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, 1000) < 0) {
      if (errno == EINTR) continue;
      stop_all();
      return errno_error("waiting for connections");
    }
    reap(false);
    if (fds[1].revents != 0) {
      stop_all();
      return ok();
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;  // the client gave up, or no descriptor left; keep serving
    if (connections.size() >= kMaxConcurrentConnections) {
      refuse_busy(connection);
      continue;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    try {
      connections.push_back(Connection{connection,
                                       std::thread([this, connection, &handler, done] {
                                         serve_connection(connection, handler);
                                         // The peer sees the end now; the loop closes the
                                         // descriptor when it next reaps (within a second).
                                         ::shutdown(connection, SHUT_RDWR);
                                         *done = true;
                                       }),
                                       done});
    } catch (const std::exception&) {
      // No thread (or no memory) for it: refuse this one, keep serving.
      refuse_busy(connection);
    }
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
  auto line = read_line(connection, kMaxRequestBytes, std::chrono::steady_clock::now() + kRequestDeadline);
  std::string reply;
  if (!line) {
    reply = to_line(error_reply(line.error()));
  } else {
    auto request = parse_request(*line);
    line->clear();
    line->shrink_to_fit();  // the text is not needed while the request runs
    reply = request ? handler(*request) : to_line(error_reply(request.error()));
  }
  write_all(connection, reply);
}

}  // namespace orivon::cli
