#include "wasi/tcp_table.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

#include "core/limits.h"

namespace orivon::wasi {
namespace {

struct Endpoint {
  std::string_view host;
  std::uint16_t port = 0;
};

// "HOST:PORT" or "[IPV6]:PORT"; nullopt when malformed.
std::optional<Endpoint> split_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535) return std::nullopt;
  return Endpoint{host, static_cast<std::uint16_t>(value)};
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

NetErrno from_errno(int error) {
  switch (error) {
    case EAGAIN: return NetErrno::Again;
    case EINPROGRESS: return NetErrno::Again;
    case EACCES: case EPERM: return NetErrno::Access;
    case EADDRINUSE: return NetErrno::AddressInUse;
    case EADDRNOTAVAIL: return NetErrno::AddressNotAvailable;
    case ECONNREFUSED: return NetErrno::ConnectionRefused;
    case ECONNRESET: case ECONNABORTED: return NetErrno::ConnectionReset;
    case EHOSTUNREACH: return NetErrno::HostUnreachable;
    case ENETUNREACH: return NetErrno::NetworkUnreachable;
    case ENOTCONN: return NetErrno::NotConnected;
    case EPIPE: return NetErrno::BrokenPipe;
    case ETIMEDOUT: return NetErrno::TimedOut;
    case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM: return NetErrno::TooManyHandles;
    default: return NetErrno::Io;
  }
}

std::int32_t failed(int error) { return negated(from_errno(error)); }

// A socket address for `address`:`port`; its length.
socklen_t to_sockaddr(const IpAddress& address, std::uint16_t port, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (address.family == IpAddress::Family::V4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace

struct TcpTable::Socket {
  enum class Kind { Connecting, Connected, Listener };
  Socket(int descriptor, Kind socket_kind) : fd(descriptor), kind(socket_kind) {}
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd;
  Kind kind;
  int failure = 0;  // a connect's error, once known
};

TcpTable::TcpTable(Network network, std::span<const NetRule> rules) : network_(network) {
  if (network_ == Network::Rules) {
    auto compiled = NetPolicy::compile(rules, make_system_resolver());
    if (compiled) policy_ = std::move(*compiled);
  }
}

TcpTable::~TcpTable() = default;

std::size_t TcpTable::size() const { return open_; }

bool TcpTable::allows(const IpAddress& address, std::uint16_t port, SocketUse use) const {
  switch (network_) {
    case Network::Full: return true;
    case Network::Denied: return false;
    case Network::Rules: return policy_ && policy_->allows(address, port, use);
  }
  return false;
}

TcpTable::Socket* TcpTable::find(std::int32_t handle) {
  if (handle < 0 || static_cast<std::size_t>(handle) >= sockets_.size()) return nullptr;
  return sockets_[static_cast<std::size_t>(handle)].get();
}

std::int32_t TcpTable::store(std::unique_ptr<Socket> socket) {
  auto free = std::find(sockets_.begin(), sockets_.end(), nullptr);
  if (free == sockets_.end()) {
    sockets_.push_back(std::move(socket));
    free = std::prev(sockets_.end());
  } else {
    *free = std::move(socket);
  }
  ++open_;
  return static_cast<std::int32_t>(free - sockets_.begin());
}

std::int32_t TcpTable::connect(std::string_view address) {
  if (address.size() > limits::kMaxNetAddressBytes) return negated(NetErrno::NameTooLong);
  auto endpoint = split_endpoint(address);
  if (!endpoint || endpoint->port == 0) return negated(NetErrno::Invalid);
  // Which addresses the guest asked for; nothing touches the network until
  // one of them is granted (a name is only resolved when the rules allow
  // name lookup, as for wasi:sockets).
  std::vector<IpAddress> candidates;
  if (auto literal = IpAddress::parse(endpoint->host)) {
    candidates.push_back(*literal);
  } else if (!is_host_name(endpoint->host)) {
    return negated(NetErrno::Invalid);
  } else {
    const bool may_resolve =
        network_ == Network::Full || (policy_ && policy_->needs_name_lookup());
    if (!may_resolve) return negated(NetErrno::Access);
    candidates = make_system_resolver()->resolve(std::string(endpoint->host));
    if (candidates.empty()) return negated(NetErrno::HostUnreachable);
  }
  const IpAddress* chosen = nullptr;
  for (const auto& candidate : candidates) {
    if (allows(candidate, endpoint->port, SocketUse::TcpConnect)) {
      chosen = &candidate;
      break;
    }
  }
  if (chosen == nullptr) return negated(NetErrno::Access);
  if (open_ >= limits::kMaxNetHandles) return negated(NetErrno::TooManyHandles);
  // An IPv4-mapped address is connected to as the IPv4 address it names,
  // which is what the rules matched.
  const IpAddress target = chosen->unmapped();
  sockaddr_storage storage;
  const socklen_t length = to_sockaddr(target, endpoint->port, storage);
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failed(errno);
  auto socket = std::make_unique<Socket>(fd, Socket::Kind::Connecting);
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) == 0) {
    socket->kind = Socket::Kind::Connected;
  } else if (errno != EINPROGRESS) {
    return failed(errno);
  }
  return store(std::move(socket));
}

std::int32_t TcpTable::listen(std::string_view address) {
  if (address.size() > limits::kMaxNetAddressBytes) return negated(NetErrno::NameTooLong);
  auto endpoint = split_endpoint(address);
  if (!endpoint) return negated(NetErrno::Invalid);
  auto local = IpAddress::parse(endpoint->host);
  if (!local) return negated(NetErrno::Invalid);  // a listener binds an address, not a name
  if (!allows(*local, endpoint->port, SocketUse::TcpListen) ||
      (endpoint->port != 0 && !allows(*local, endpoint->port, SocketUse::TcpBind))) {
    return negated(NetErrno::Access);
  }
  if (open_ >= limits::kMaxNetHandles) return negated(NetErrno::TooManyHandles);
  sockaddr_storage storage;
  const socklen_t length = to_sockaddr(local->unmapped(), endpoint->port, storage);
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failed(errno);
  auto socket = std::make_unique<Socket>(fd, Socket::Kind::Listener);
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) return failed(errno);
  if (::listen(fd, 64) != 0) return failed(errno);
  return store(std::move(socket));
}

std::int32_t TcpTable::accept(std::int32_t listener) {
  Socket* socket = find(listener);
  if (socket == nullptr || socket->kind != Socket::Kind::Listener) {
    return negated(NetErrno::BadHandle);
  }
  // Full: the connection stays in the kernel's backlog until a handle frees.
  if (open_ >= limits::kMaxNetHandles) return negated(NetErrno::TooManyHandles);
  const int fd = ::accept4(socket->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return failed(errno);
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return store(std::make_unique<Socket>(fd, Socket::Kind::Connected));
}

namespace {

// For a socket whose connect is in flight: 0 once connected, Again while it
// is not done, or the negated error it ended with.
std::int32_t settle(int fd, int& failure) {
  if (failure != 0) return failed(failure);
  pollfd entry{fd, POLLOUT, 0};
  const int ready = ::poll(&entry, 1, 0);
  if (ready < 0) return failed(errno);
  if (ready == 0) return negated(NetErrno::Again);
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    failure = error;
    return failed(error);
  }
  return 0;
}

}  // namespace

std::int32_t TcpTable::send(std::int32_t handle, std::span<const std::byte> bytes) {
  Socket* socket = find(handle);
  if (socket == nullptr || socket->kind == Socket::Kind::Listener) {
    return negated(NetErrno::BadHandle);
  }
  if (socket->kind == Socket::Kind::Connecting) {
    if (auto settled = settle(socket->fd, socket->failure); settled != 0) return settled;
    socket->kind = Socket::Kind::Connected;
  }
  const std::size_t length = std::min(bytes.size(), limits::kMaxNetTransferBytes);
  if (length == 0) return 0;
  const ssize_t sent = ::send(socket->fd, bytes.data(), length, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0) return failed(errno);
  return static_cast<std::int32_t>(sent);
}

std::int32_t TcpTable::recv(std::int32_t handle, std::span<std::byte> buffer) {
  Socket* socket = find(handle);
  if (socket == nullptr || socket->kind == Socket::Kind::Listener) {
    return negated(NetErrno::BadHandle);
  }
  if (socket->kind == Socket::Kind::Connecting) {
    if (auto settled = settle(socket->fd, socket->failure); settled != 0) return settled;
    socket->kind = Socket::Kind::Connected;
  }
  const std::size_t length = std::min(buffer.size(), limits::kMaxNetTransferBytes);
  if (length == 0) return 0;
  const ssize_t received = ::recv(socket->fd, buffer.data(), length, MSG_DONTWAIT);
  if (received < 0) return failed(errno);
  return static_cast<std::int32_t>(received);
}

std::int32_t TcpTable::close(std::int32_t handle) {
  if (find(handle) == nullptr) return negated(NetErrno::BadHandle);
  sockets_[static_cast<std::size_t>(handle)].reset();
  --open_;
  return 0;
}

std::int32_t TcpTable::local_port(std::int32_t handle) {
  Socket* socket = find(handle);
  if (socket == nullptr) return negated(NetErrno::BadHandle);
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (::getsockname(socket->fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return failed(errno);
  }
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

std::int32_t TcpTable::poll(std::span<PollEntry> entries, std::chrono::milliseconds timeout,
                            const std::function<bool()>& stop_requested) {
  if (entries.size() > limits::kMaxNetHandles) return negated(NetErrno::Invalid);
  if (timeout < std::chrono::milliseconds::zero() || timeout > limits::kMaxNetPollWait) {
    timeout = limits::kMaxNetPollWait;
  }
  std::vector<pollfd> descriptors(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    entries[i].ready = 0;
    Socket* socket = find(entries[i].handle);
    descriptors[i].fd = -1;  // poll ignores it
    if (socket == nullptr) {
      entries[i].ready = kPollInvalid;
      continue;
    }
    descriptors[i].fd = socket->fd;
    short events = 0;
    if (entries[i].interest & kPollReadable) events |= POLLIN;
    if (entries[i].interest & kPollWritable) events |= POLLOUT;
    descriptors[i].events = events;
  }
  const auto count_ready = [&] {
    std::int32_t ready = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const short got = descriptors[i].revents;
      if (got & POLLIN) entries[i].ready |= kPollReadable;
      if (got & POLLOUT) entries[i].ready |= kPollWritable;
      if (got & (POLLERR | POLLHUP | POLLNVAL)) entries[i].ready |= kPollError;
      if (entries[i].ready != 0) ++ready;
    }
    return ready;
  };
  // An invalid handle is an answer already: no waiting.
  if (std::any_of(entries.begin(), entries.end(),
                  [](const PollEntry& entry) { return entry.ready != 0; })) {
    timeout = std::chrono::milliseconds::zero();
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const auto slice = std::clamp(left, std::chrono::milliseconds::zero(), limits::kNetPollSlice);
    const int result = ::poll(descriptors.data(), descriptors.size(),
                              static_cast<int>(slice.count()));
    if (result < 0 && errno != EINTR) return failed(errno);
    if (result > 0 || slice <= std::chrono::milliseconds::zero()) return count_ready();
    if (stop_requested && stop_requested()) return 0;
  }
}

}  // namespace orivon::wasi
