#include "dashboard/http_listener.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace orivon::cli {
namespace {

using Clock = std::chrono::steady_clock;

// One connection as cpp-httplib's parser sees it, with our bounds: reads
// stop after kMaxRequestBytes, and every wait ends at the connection's
// deadline. Reads are buffered because the parser asks for one byte at a
// time.
class BoundedStream : public httplib::Stream {
 public:
  BoundedStream(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}

  bool is_readable() const override { return wait_for(POLLIN); }
  bool is_writable() const override { return wait_for(POLLOUT); }

  ssize_t read(char* data, size_t size) override {
    if (next_ == filled_) {
      if (total_read_ >= kMaxRequestBytes || !wait_for(POLLIN)) return -1;
      const std::size_t room = std::min(sizeof buffer_, kMaxRequestBytes - total_read_);
      ssize_t got;
      do {
        got = ::recv(fd_, buffer_, room, 0);
      } while (got < 0 && errno == EINTR);
      if (got <= 0) return got;
      total_read_ += static_cast<std::size_t>(got);
      next_ = 0;
      filled_ = static_cast<std::size_t>(got);
    }
    const std::size_t n = std::min(size, filled_ - next_);
    std::memcpy(data, buffer_ + next_, n);
    next_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* data, size_t size) override {
    if (!wait_for(POLLOUT)) return -1;
    ssize_t sent;
    do {
      sent = ::send(fd_, data, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

  // Handlers do not look at addresses.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  socket_t socket() const override { return fd_; }

 private:
  // Whether `events` came before the deadline.
  bool wait_for(short events) const {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) return false;
      pollfd entry{fd_, events, 0};
      const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      return ready > 0 && (entry.revents & (events | POLLHUP)) != 0;
    }
  }

  const int fd_;
  const Clock::time_point deadline_;
  char buffer_[4096];
  std::size_t next_ = 0;
  std::size_t filled_ = 0;
  std::size_t total_read_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpListener>> HttpListener::bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Error(ErrorCode::InvalidArgument,
                 "cannot resolve '" + host + "': " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) return Error(ErrorCode::Unavailable, std::string("socket: ") + std::strerror(errno));
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    const int saved = errno;
    ::close(fd);
    return Error(ErrorCode::Unavailable,
                 "cannot listen on " + host + ":" + service + ": " + std::strerror(saved));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port =
      bound.ss_family == AF_INET6
          ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
          : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  const int wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    ::close(fd);
    return Error(ErrorCode::Unavailable, std::string("eventfd: ") + std::strerror(errno));
  }
  return std::unique_ptr<HttpListener>(new HttpListener(fd, wake, bound_port));
}

HttpListener::HttpListener(int listen_fd, int wake_fd, int port)
    : listen_fd_(listen_fd), wake_fd_(wake_fd), port_(port) {
  set_payload_max_length(kMaxRequestBytes);
  serving_.reserve(kWorkers);  // so a worker's push_back never allocates (or throws)
}

HttpListener::~HttpListener() {
  stop();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

Result<void> HttpListener::start() {
  try {
    for (std::size_t i = 0; i < kWorkers; ++i) workers_.emplace_back([this] { worker_loop(); });
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (const std::exception& e) {
    stop();
    return Error(ErrorCode::Internal, std::string("starting the dashboard's threads: ") + e.what());
  }
  return {};
}

void HttpListener::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !accept_thread_.joinable() && workers_.empty()) return;
    stopping_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
  {
    // A client that sends slowly would hold its worker (and so the host's
    // shutdown) until its deadline: end its connection now instead.
    std::lock_guard lock(mutex_);
    for (int connection : serving_) ::shutdown(connection, SHUT_RDWR);
  }
  ready_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  std::lock_guard lock(mutex_);
  for (int connection : queue_) ::close(connection);
  queue_.clear();
}

void HttpListener::accept_loop() noexcept {
  pollfd entries[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    if (::poll(entries, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (entries[1].revents != 0) return;
    const int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
      // Out of descriptors, or a connection reset before we took it: wait a
      // little rather than spin, then carry on.
      if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) ::poll(nullptr, 0, 50);
      continue;
    }
    bool queued = false;
    {
      std::lock_guard lock(mutex_);
      if (!stopping_ && queue_.size() < kMaxQueuedConnections) {
        queue_.push_back(connection);
        queued = true;
      }
    }
    if (queued) {
      ready_.notify_one();
    } else {
      ::close(connection);  // too many waiting: refuse this one
    }
  }
}

void HttpListener::worker_loop() noexcept {
  while (true) {
    int connection;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      connection = queue_.front();
      queue_.pop_front();
      serving_.push_back(connection);
    }
    serve_connection(connection);
    {
      std::lock_guard lock(mutex_);
      serving_.erase(std::find(serving_.begin(), serving_.end(), connection));
    }
    ::close(connection);  // after leaving serving_: stop() never touches a closed descriptor
  }
}

void HttpListener::serve_connection(int connection) noexcept {
  try {
    BoundedStream stream(connection, Clock::now() + kRequestTimeout);
    bool connection_closed = false;
    // One request per connection: the reply says "Connection: close".
    process_request(stream, /*close_connection=*/true, connection_closed, nullptr);
  } catch (...) {
    // A handler's exception is answered with 500 by cpp-httplib; anything
    // else (out of memory parsing) just drops this connection.
  }
}

}  // namespace orivon::cli
