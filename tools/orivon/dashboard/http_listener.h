#pragma once

// An HTTP listener that a hostile client cannot use to exhaust the host:
// cpp-httplib parses requests and routes them (Get()/Post() of the base
// class), but the sockets, threads and limits are ours. cpp-httplib 0.11's
// own server gives each connection to an unbounded queue and reads headers
// without a bound on their number; here every connection
//   - waits in a queue of at most kMaxQueuedConnections (past it, it is
//     closed at once),
//   - is served by one of kWorkers threads, one request per connection,
//   - may send at most kMaxRequestBytes in all (request line, headers and
//     body), and
//   - is closed kRequestTimeout after it was accepted, however slowly it
//     trickles in.
// So the listener costs at most kWorkers threads, kMaxQueuedConnections + kWorkers
// descriptors and about kWorkers * kMaxRequestBytes of request memory.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "orivon/result.h"

namespace orivon::cli {

inline constexpr std::size_t kWorkers = 4;
inline constexpr std::size_t kMaxQueuedConnections = 32;
// A dashboard request is a short GET or an empty POST; 64 KiB is generous.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
inline constexpr std::chrono::seconds kRequestTimeout{10};

// Owns its listening socket, its accept thread and its workers; stop() (or
// the destructor) closes the socket and joins every thread. Routes must be
// added before start(). Handlers run on the worker threads and must be
// thread-safe.
class HttpListener : public httplib::Server {
 public:
  // Binds `host` (a numeric address or a name, resolved once) and `port`
  // (0: any free port). InvalidArgument for an address that does not
  // resolve; Unavailable when it cannot be bound.
  static Result<std::unique_ptr<HttpListener>> bind(const std::string& host, int port);
  ~HttpListener() override;
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // The port bound (the one chosen, for port 0).
  int port() const { return port_; }
  // Starts accepting. Internal if a thread cannot be started.
  [[nodiscard]] Result<void> start();
  void stop();

 private:
  HttpListener(int listen_fd, int wake_fd, int port);
  void accept_loop() noexcept;
  void worker_loop() noexcept;
  void serve_connection(int connection) noexcept;

  const int listen_fd_;
  const int wake_fd_;  // an eventfd: written once by stop() to wake the accept loop
  const int port_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<int> queue_;  // accepted connections waiting for a worker (guarded by mutex_)
  std::vector<int> serving_;  // connections the workers hold now (guarded by mutex_)
  bool stopping_ = false;  // guarded by mutex_
  std::thread accept_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace orivon::cli
