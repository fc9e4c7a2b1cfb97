#include "support/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>
#include <optional>
#include <string_view>

namespace orivon::testing {
namespace {

// Binds `fd` to 127.0.0.1 on an ephemeral port and returns the port (0 on failure).
std::uint16_t bind_loopback(int fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

// The body of a chunked message (`encoded` starts at the first chunk size);
// nothing until the last, empty chunk has arrived.
std::optional<std::string> dechunk(std::string_view encoded) {
  std::string body;
  for (;;) {
    auto line_end = encoded.find("\r\n");
    if (line_end == std::string_view::npos) return std::nullopt;
    std::size_t size = std::stoul(std::string(encoded.substr(0, line_end)), nullptr, 16);
    encoded.remove_prefix(line_end + 2);
    if (size == 0) return encoded.find("\r\n") == std::string_view::npos ? std::nullopt
                                                                         : std::optional(body);
    if (encoded.size() < size + 2) return std::nullopt;
    body.append(encoded.substr(0, size));
    encoded.remove_prefix(size + 2);
  }
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

LoopbackSocket::LoopbackSocket(int type) {
  fd_ = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  port_ = bind_loopback(fd_);
  if (port_ == 0 || (type == SOCK_STREAM && ::listen(fd_, 16) != 0)) {
    ADD_FAILURE() << "loopback socket: " << errno;
  }
}

LoopbackSocket::~LoopbackSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int LoopbackSocket::connections() {
  int count = 0;
  for (int peer; (peer = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++count) {
    ::close(peer);
  }
  return count;
}

int LoopbackSocket::datagrams() {
  int count = 0;
  char buffer[64];
  while (::recv(fd_, buffer, sizeof buffer, 0) >= 0) ++count;
  return count;
}

std::uint16_t free_port() {
  LoopbackSocket probe(SOCK_STREAM);
  return probe.port();
}

LoopbackHttpServer::LoopbackHttpServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  port_ = bind_loopback(fd_);
  if (port_ == 0 || ::listen(fd_, 64) != 0) {
    ADD_FAILURE() << "loopback HTTP server: " << errno;
    return;
  }
  thread_ = std::thread([this] { serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::string LoopbackHttpServer::origin() const { return "http://" + authority(); }
std::string LoopbackHttpServer::authority() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::vector<std::string> LoopbackHttpServer::hosts() const {
  std::lock_guard lock(mutex_);
  return hosts_;
}

void LoopbackHttpServer::serve() {
  while (!stop_) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    int peer = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (peer < 0) continue;
    try {
      answer(peer);
    } catch (const std::exception&) {
      // A malformed request gets no answer; the test sees it as a failure.
    }
    ::close(peer);
  }
}

// Reads one request (headers, then Content-Length bytes of body) and answers it.
void LoopbackHttpServer::answer(int peer) {
  std::string received;
  std::size_t header_end = std::string::npos;
  std::size_t body_length = 0;
  bool chunked = false;
  std::string body;
  char buffer[4096];
  for (;;) {
    pollfd readable{peer, POLLIN, 0};
    if (::poll(&readable, 1, 5000) <= 0) return;
    ssize_t got = ::recv(peer, buffer, sizeof buffer, 0);
    if (got <= 0) return;
    received.append(buffer, static_cast<std::size_t>(got));
    if (header_end == std::string::npos) {
      header_end = received.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      auto headers = lower(received.substr(0, header_end));
      auto length = headers.find("\r\ncontent-length:");
      if (length != std::string::npos) body_length = std::stoul(headers.substr(length + 17));
      chunked = headers.find("\r\ntransfer-encoding: chunked") != std::string::npos;
      auto host = headers.find("\r\nhost:");
      if (host != std::string::npos) {
        auto start = received.find_first_not_of(' ', host + 7);
        std::lock_guard lock(mutex_);
        hosts_.push_back(received.substr(start, received.find("\r\n", start) - start));
      }
    }
    if (chunked) {
      auto decoded = dechunk(std::string_view(received).substr(header_end + 4));
      if (!decoded) continue;
      body = *decoded;
      break;
    }
    if (received.size() >= header_end + 4 + body_length) {
      body = received.substr(header_end + 4, body_length);
      break;
    }
  }
  const auto request_line = received.substr(0, received.find("\r\n"));
  const auto method = request_line.substr(0, request_line.find(' '));
  const auto path_start = request_line.find(' ') + 1;
  const auto path = request_line.substr(path_start, request_line.find(' ', path_start) - path_start);
  const std::string text = method + " " + path + " " + body;
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                               std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text;
  ++requests_;
  ::send(peer, response.data(), response.size(), MSG_NOSIGNAL);
}

}  // namespace orivon::testing
