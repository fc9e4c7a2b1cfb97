#pragma once

// Real sockets on loopback for the network tests: a plain listener or UDP
// socket that counts what reached it, and a small HTTP/1.1 server that
// answers every request with "METHOD PATH BODY" and counts them, so a test
// can tell a refused request never left the host.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace orivon::testing {

// A loopback socket of the test process (127.0.0.1, an ephemeral port),
// closed on destruction. SOCK_STREAM listens; SOCK_DGRAM is bound.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(int type);
  ~LoopbackSocket();
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  std::uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }

  // Connections the kernel completed (accepted now), for a TCP listener.
  int connections();
  // Datagrams waiting, for a UDP socket.
  int datagrams();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A loopback TCP port that was free a moment ago.
std::uint16_t free_port();

// An HTTP/1.1 server on 127.0.0.1 (an ephemeral port), serving on its own
// thread until destroyed. Each request is answered `200` with the body
// "METHOD PATH BODY" and `Connection: close`.
class LoopbackHttpServer {
 public:
  LoopbackHttpServer();
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string origin() const;
  // "127.0.0.1:PORT"
  std::string authority() const;

  // Requests answered so far.
  int requests() const { return requests_.load(); }
  // The Host header of each request, in order.
  std::vector<std::string> hosts() const;

 private:
  void serve();
  void answer(int peer);

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> hosts_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace orivon::testing
