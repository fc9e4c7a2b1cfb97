#include "support/jetstream_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "support/loopback.h"

namespace orivon::testing {

namespace {

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

}  // namespace

bool JetStreamServer::is_installed() { return ::access(kBinary, X_OK) == 0; }

JetStreamServer::JetStreamServer(std::filesystem::path store_dir)
    : store_dir_(std::move(store_dir)), port_(free_port()) {
  start();
}

JetStreamServer::~JetStreamServer() { kill(); }

std::string JetStreamServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

void JetStreamServer::kill() {
  if (!process_) return;
  process_->send_signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

bool JetStreamServer::start() {
  if (process_) return true;
  std::filesystem::create_directories(store_dir_);
  process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      kBinary, "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", store_dir_.string()});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (accepts_connections(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace orivon::testing
