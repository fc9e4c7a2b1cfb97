// TCP for core modules (orivon:net, src/engine/core_host.h): a C core module
// (tests/guests/core_net) runs as a service under net: grants and talks to
// real sockets on loopback. The controls show the granted peer reached in
// both directions; the hostile cases try every way past the grants and the
// ABI (other addresses and spellings of them, malformed and oversized
// addresses, pointers and lengths outside the guest's memory, handles that
// are not its own, too many connections), and check each was refused with
// its errno, that the peers saw nothing, and that the service still runs and
// answers.
//
// Grants:
//   app.corenet.test    net:connect:127.0.0.1:GRANTED  net:listen:127.0.0.1:LISTEN
//   app.corenone.test   (none)

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "orivon/runtime.h"
#include "support/loopback.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using orivon::testing::eventually;
using orivon::testing::free_port;
using orivon::testing::guest_path;
using orivon::testing::LoopbackSocket;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

constexpr const char* kNet = "app.corenet.test";
constexpr const char* kNone = "app.corenone.test";

// WASI errno values the guest receives, negated (wasi/tcp_table.h).
constexpr int kAccess = -2;
constexpr int kAgain = -6;
constexpr int kBadHandle = -8;
constexpr int kFault = -21;
constexpr int kInvalid = -28;
constexpr int kTooMany = -33;
constexpr int kNameTooLong = -37;

// Accepts one connection on a loopback listener of the test, blocking up to
// `limit` (generous: it only costs time when the test fails).
int accept_within(int listener, std::chrono::milliseconds limit = 10s) {
  pollfd entry{listener, POLLIN, 0};
  if (::poll(&entry, 1, static_cast<int>(limit.count())) != 1) return -1;
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

// A blocking loopback listener on an ephemeral port.
struct Listener {
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(fd, 512), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
  int fd = -1;
  std::uint16_t port = 0;
};

class HostileCoreNet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir();
    granted_ = new Listener();
    other_ = new LoopbackSocket(SOCK_STREAM);
    listen_port_ = free_port();

    RuntimeOptions options;
    options.state_dir = temp_->path() / "state";
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = runtime->release();

    for (const char* name : {kNet, kNone}) {
      AddOptions add;
      add.id = id(name);
      auto added = runtime_->add_module_file(guest_path("core_net", "core"), add);
      ASSERT_TRUE(added) << added.error().to_string();
    }
    allow(kNet, "net:connect:127.0.0.1:" + std::to_string(granted_->port));
    allow(kNet, "net:listen:127.0.0.1:" + std::to_string(listen_port_));
    for (const char* name : {kNet, kNone}) start(name);
  }

  static void TearDownTestSuite() {
    delete runtime_;
    delete other_;
    delete granted_;
    delete temp_;
  }

  static void allow(const std::string& name, const std::string& grant) {
    auto allowed = runtime_->allow_grant(id(name), grant);
    ASSERT_TRUE(allowed) << grant << ": " << allowed.error().to_string();
  }

  static void start(const std::string& name) {
    ServiceSettings settings;
    settings.restart.policy = RestartPolicy::OnFailure;
    settings.restart.initial_backoff = 10ms;
    settings.call_deadline = 10s;
    runtime_->set_service_settings(id(name), settings);
    auto started = runtime_->start_service(id(name));
    ASSERT_TRUE(started) << started.error().to_string();
  }

  // The number a call returned; fails the test on an error.
  static int call(const std::string& name, const std::string& expression) {
    auto outcome = runtime_->call(id(name), expression);
    EXPECT_TRUE(outcome) << expression << ": " << outcome.error().to_string();
    if (!outcome) return -100000;
    return std::stoi(outcome->results);
  }
  static int net(const std::string& expression) { return call(kNet, expression); }

  static std::string v4(int a, int b, int c, int d, std::uint16_t port) {
    return std::to_string(a) + ", " + std::to_string(b) + ", " + std::to_string(c) + ", " +
           std::to_string(d) + ", " + std::to_string(port);
  }

  // Polls `handle` in the guest until it is ready for `interest`; the ready
  // bits (0 if it never was).
  static int wait_ready(int handle, int interest) {
    int ready = 0;
    (void)eventually([&] {
      ready = net("wait(" + std::to_string(handle) + ", " + std::to_string(interest) + ", 200)");
      return ready != 0;
    });
    return ready;
  }

  // The host is unaffected: both services run and answer.
  static void expect_healthy() {
    EXPECT_TRUE(runtime_->service_metrics(id(kNet)).state == ModuleState::Running);
    EXPECT_TRUE(runtime_->service_metrics(id(kNone)).state == ModuleState::Running);
    EXPECT_EQ(call(kNet, "stop_requested()"), 0);
    EXPECT_EQ(call(kNone, "stop_requested()"), 0);
  }

  static inline TempDir* temp_ = nullptr;
  static inline Listener* granted_ = nullptr;
  static inline LoopbackSocket* other_ = nullptr;
  static inline std::uint16_t listen_port_ = 0;
  static inline Runtime* runtime_ = nullptr;
};

TEST_F(HostileCoreNet, ControlConnectsSendsAndReceivesWithTheGrantedPeer) {
  const int handle = net("connect_v4(" + v4(127, 0, 0, 1, granted_->port) + ")");
  ASSERT_GE(handle, 0);
  const int peer = accept_within(granted_->fd);
  ASSERT_GE(peer, 0);
  EXPECT_EQ(wait_ready(handle, 2) & 2, 2);  // writable: connected
  EXPECT_EQ(net("receive(" + std::to_string(handle) + ")"), kAgain);  // nothing yet
  EXPECT_EQ(net("send_ping(" + std::to_string(handle) + ", 7)"), 7);
  char got[16] = {};
  ASSERT_EQ(::recv(peer, got, 7, MSG_WAITALL), 7);
  EXPECT_EQ(std::string(got, 7), "ping 7\n");
  ASSERT_EQ(::send(peer, "pong", 4, 0), 4);
  EXPECT_EQ(wait_ready(handle, 1) & 1, 1);
  EXPECT_EQ(net("receive(" + std::to_string(handle) + ")"), 4);
  EXPECT_EQ(net("received_byte(0)"), 'p');
  EXPECT_EQ(net("received_byte(3)"), 'g');
  // A larger transfer arrives whole, in as many receives as it takes.
  ASSERT_EQ(net("send_bulk(" + std::to_string(handle) + ", 60000)"), 60000);
  std::string bulk(60000, '\0');
  ASSERT_EQ(::recv(peer, bulk.data(), bulk.size(), MSG_WAITALL), 60000);
  EXPECT_EQ(bulk, std::string(60000, 'x'));
  ::close(peer);
  EXPECT_NE(wait_ready(handle, 1), 0);
  EXPECT_EQ(net("receive(" + std::to_string(handle) + ")"), 0);  // end of stream
  EXPECT_EQ(net("close(" + std::to_string(handle) + ")"), 0);
  EXPECT_EQ(net("close(" + std::to_string(handle) + ")"), kBadHandle);  // closed once only
  expect_healthy();
}

TEST_F(HostileCoreNet, ControlListensAndAcceptsOnTheGrantedAddress) {
  const int listener = net("listen_v4(" + v4(127, 0, 0, 1, listen_port_) + ")");
  ASSERT_GE(listener, 0);
  EXPECT_EQ(net("local_port(" + std::to_string(listener) + ")"), listen_port_);
  EXPECT_EQ(net("accept(" + std::to_string(listener) + ")"), kAgain);  // nobody yet
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(listen_port_);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(wait_ready(listener, 1) & 1, 1);
  const int accepted = net("accept(" + std::to_string(listener) + ")");
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(net("send_ping(" + std::to_string(accepted) + ", 3)"), 7);
  char got[8] = {};
  ASSERT_EQ(::recv(client, got, 7, MSG_WAITALL), 7);
  EXPECT_EQ(std::string(got, 7), "ping 3\n");
  ::close(client);
  // A listener is not a connection, and a connection is not a listener.
  EXPECT_EQ(net("send_ping(" + std::to_string(listener) + ", 1)"), kBadHandle);
  EXPECT_EQ(net("accept(" + std::to_string(accepted) + ")"), kBadHandle);
  EXPECT_EQ(net("close(" + std::to_string(accepted) + ")"), 0);
  EXPECT_EQ(net("close(" + std::to_string(listener) + ")"), 0);
  expect_healthy();
}

TEST_F(HostileCoreNet, ConnectsToAnythingButTheGrantedPeerAreRefusedBeforeTheNetwork) {
  const std::string other = std::to_string(other_->port());
  EXPECT_EQ(net("connect_v4(" + v4(127, 0, 0, 1, other_->port()) + ")"), kAccess);
  EXPECT_EQ(net("connect_v4(" + v4(127, 0, 0, 2, granted_->port) + ")"), kAccess);
  EXPECT_EQ(net("connect_v4(" + v4(10, 0, 0, 1, granted_->port) + ")"), kAccess);
  EXPECT_EQ(net("connect_form(0, " + std::to_string(granted_->port) + ")"), kAccess);  // [::1]
  EXPECT_EQ(net("connect_form(1, " + other + ")"), kAccess);  // [::ffff:127.0.0.1], other port
  // A name is not even looked up: the rules name no host.
  EXPECT_EQ(net("connect_form(2, " + std::to_string(granted_->port) + ")"), kAccess);
  EXPECT_EQ(net("connect_form(3, " + std::to_string(granted_->port) + ")"), kAccess);
  EXPECT_EQ(net("connect_form(4, " + std::to_string(granted_->port) + ")"), kAccess);
  // A service with no grant reaches nothing, not even the granted peer.
  EXPECT_EQ(call(kNone, "connect_v4(" + v4(127, 0, 0, 1, granted_->port) + ")"), kAccess);
  EXPECT_EQ(call(kNone, "listen_v4(" + v4(127, 0, 0, 1, listen_port_) + ")"), kAccess);
  // The peers saw nothing.
  EXPECT_EQ(other_->connections(), 0);
  pollfd entry{granted_->fd, POLLIN, 0};
  EXPECT_EQ(::poll(&entry, 1, 0), 0);
  // The IPv4-mapped spelling of the granted peer is the granted peer.
  const int mapped = net("connect_form(1, " + std::to_string(granted_->port) + ")");
  ASSERT_GE(mapped, 0);
  const int peer = accept_within(granted_->fd);
  EXPECT_GE(peer, 0);
  ::close(peer);
  EXPECT_EQ(net("close(" + std::to_string(mapped) + ")"), 0);
  expect_healthy();
}

TEST_F(HostileCoreNet, ListensOutsideTheGrantAreRefused) {
  EXPECT_EQ(net("listen_v4(" + v4(127, 0, 0, 1, free_port()) + ")"), kAccess);
  EXPECT_EQ(net("listen_v4(" + v4(0, 0, 0, 0, listen_port_) + ")"), kAccess);
  EXPECT_EQ(net("listen_v4(" + v4(127, 0, 0, 1, 0) + ")"), kAccess);  // a port the system picks
  EXPECT_EQ(net("listen_v4(" + v4(127, 0, 0, 2, listen_port_) + ")"), kAccess);
  expect_healthy();
}

TEST_F(HostileCoreNet, MalformedAndOversizedAddressesAreRefused) {
  for (int which = 0; which < 12; ++which) {
    EXPECT_EQ(net("connect_malformed(" + std::to_string(which) + ")"), kInvalid) << which;
  }
  EXPECT_EQ(net("connect_malformed(12)"), -1000);  // the list's end, as the guest says
  EXPECT_EQ(net("connect_long()"), kNameTooLong);
  expect_healthy();
}

TEST_F(HostileCoreNet, PointersAndLengthsOutsideTheGuestMemoryAreFaults) {
  const int size = net("memory_size()");
  ASSERT_GT(size, 0);
  const auto at = [](int pointer, int length) {
    return std::to_string(pointer) + ", " + std::to_string(length);
  };
  EXPECT_EQ(net("connect_raw(" + at(size, 10) + ")"), kFault);
  EXPECT_EQ(net("connect_raw(" + at(size - 5, 10) + ")"), kFault);
  EXPECT_EQ(net("connect_raw(" + at(-1, 10) + ")"), kFault);
  EXPECT_EQ(net("connect_raw(" + at(-16, 200) + ")"), kFault);  // wraps past 2^32
  EXPECT_EQ(net("connect_raw(" + at(0, -1) + ")"), kNameTooLong);
  EXPECT_EQ(net("listen_raw(" + at(size, 10) + ")"), kFault);
  const int handle = net("connect_v4(" + v4(127, 0, 0, 1, granted_->port) + ")");
  ASSERT_GE(handle, 0);
  const int peer = accept_within(granted_->fd);
  ASSERT_GE(peer, 0);
  ASSERT_EQ(wait_ready(handle, 2) & 2, 2);
  const std::string h = std::to_string(handle) + ", ";
  EXPECT_EQ(net("send_raw(" + h + at(size - 1, 100) + ")"), kFault);
  EXPECT_EQ(net("send_raw(" + h + at(-1, 2) + ")"), kFault);
  EXPECT_EQ(net("recv_raw(" + h + at(-16, 64) + ")"), kFault);
  EXPECT_EQ(net("recv_raw(" + h + at(size, 1) + ")"), kFault);
  // A huge length is cut to the transfer limit, then checked: past the
  // memory's end it is a fault too, and nothing was sent.
  EXPECT_EQ(net("send_raw(" + h + at(size - 100, 2147483647) + ")"), kFault);
  EXPECT_EQ(net("poll_raw(" + at(-8, 1) + ", 0)"), kFault);
  EXPECT_EQ(net("poll_raw(" + at(size - 4, 1) + ", 0)"), kFault);
  EXPECT_EQ(net("poll_raw(" + at(0, 100000) + ", 0)"), kInvalid);
  EXPECT_EQ(net("poll_raw(" + at(0, -1) + ", 0)"), kInvalid);
  char byte = 0;
  EXPECT_EQ(::recv(peer, &byte, 1, MSG_DONTWAIT), -1);  // the peer got nothing
  ::close(peer);
  EXPECT_EQ(net("close(" + std::to_string(handle) + ")"), 0);
  expect_healthy();
}

TEST_F(HostileCoreNet, HandlesThatAreNotTheGuestsAreRefused) {
  for (int handle : {-1, -1000, 255, 9999, 2147483647}) {
    const std::string h = std::to_string(handle);
    EXPECT_EQ(net("send_ping(" + h + ", 1)"), kBadHandle) << handle;
    EXPECT_EQ(net("receive(" + h + ")"), kBadHandle) << handle;
    EXPECT_EQ(net("accept(" + h + ")"), kBadHandle) << handle;
    EXPECT_EQ(net("close(" + h + ")"), kBadHandle) << handle;
    EXPECT_EQ(net("local_port(" + h + ")"), kBadHandle) << handle;
    EXPECT_EQ(net("wait(" + h + ", 3, 0)"), 8) << handle;  // marked "not a handle"
  }
  // Handles are per service: the other service's table is its own.
  const int handle = net("connect_v4(" + v4(127, 0, 0, 1, granted_->port) + ")");
  ASSERT_GE(handle, 0);
  const int peer = accept_within(granted_->fd);
  EXPECT_EQ(call(kNone, "send_ping(" + std::to_string(handle) + ", 1)"), kBadHandle);
  ::close(peer);
  EXPECT_EQ(net("close(" + std::to_string(handle) + ")"), 0);
  expect_healthy();
}

TEST_F(HostileCoreNet, TooManyConnectionsAreRefusedAndARestartFreesThem) {
  const std::string target = v4(127, 0, 0, 1, granted_->port);
  EXPECT_EQ(net("connect_many(" + target + ", 400)"), 256);
  EXPECT_EQ(net("last_failure()"), kTooMany);
  // Past the limit nothing new is opened: not even a listener.
  EXPECT_EQ(net("listen_v4(" + v4(127, 0, 0, 1, listen_port_) + ")"), kTooMany);
  // The sockets belong to the instance: a restart closes them all.
  ASSERT_TRUE(runtime_->restart_service(id(kNet)));
  int drained = 0;
  for (int peer; (peer = accept_within(granted_->fd, 100ms)) >= 0; ++drained) ::close(peer);
  EXPECT_LE(drained, 256);
  const int handle = net("connect_v4(" + target + ")");
  EXPECT_GE(handle, 0);
  const int peer = accept_within(granted_->fd);
  EXPECT_GE(peer, 0);
  ::close(peer);
  EXPECT_EQ(net("close(" + std::to_string(handle) + ")"), 0);
  expect_healthy();
}

// Core modules that misuse the imports themselves: a wrong signature is
// refused at start, a module without memory gets faults.
TEST_F(HostileCoreNet, MisdeclaredImportsFailCleanly) {
  const auto install_wat = [](const std::string& name, const std::string& text) {
    const auto file = temp_->path() / (name + ".wat");
    std::ofstream(file) << text;
    AddOptions add;
    add.id = id(name);
    auto added = runtime_->add_module_file(file, add);
    EXPECT_TRUE(added) << added.error().to_string();
  };
  install_wat("app.badsig.test", R"((module
    (import "orivon:net" "connect" (func $connect (param i64) (result i32)))
    (memory (export "memory") 1)
    (func (export "go") (result i32) (call $connect (i64.const 0)))))");
  allow("app.badsig.test", "net:connect:127.0.0.1:" + std::to_string(granted_->port));
  auto started = runtime_->start_service(id("app.badsig.test"));
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().to_string(), HasSubstr("orivon:net"));

  install_wat("app.nomemory.test", R"((module
    (import "orivon:net" "connect" (func $connect (param i32 i32) (result i32)))
    (func (export "go") (result i32) (call $connect (i32.const 0) (i32.const 14)))))");
  allow("app.nomemory.test", "net:connect:127.0.0.1:" + std::to_string(granted_->port));
  start("app.nomemory.test");
  EXPECT_EQ(call("app.nomemory.test", "go()"), kFault);
  expect_healthy();
}

}  // namespace
}  // namespace orivon
