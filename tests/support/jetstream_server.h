#pragma once

// A real NATS server with JetStream for the tests that share state between
// hosts: Debian's /usr/sbin/nats-server on 127.0.0.1 (a free port), storing
// in a directory of the test's, killed on destruction. Stopping and starting
// it again keeps the port and the directory, so what JetStream stored
// survives as it would a server restart.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "support/process.h"

namespace orivon::testing {

class JetStreamServer {
 public:
  // Where Debian's package puts the server; tests skip when it is absent.
  static constexpr const char* kBinary = "/usr/sbin/nats-server";
  static bool is_installed();

  // Starts the server and waits until it accepts connections.
  explicit JetStreamServer(std::filesystem::path store_dir);
  ~JetStreamServer();
  JetStreamServer(const JetStreamServer&) = delete;
  JetStreamServer& operator=(const JetStreamServer&) = delete;

  // "nats://127.0.0.1:PORT"
  std::string url() const;
  std::uint16_t port() const { return port_; }
  bool is_running() const { return process_ != nullptr; }
  // Kills the server (SIGKILL: nothing is flushed on the way out).
  void kill();
  // Starts it again on the same port and directory; false if it did not
  // come up.
  bool start();

 private:
  std::filesystem::path store_dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace orivon::testing
