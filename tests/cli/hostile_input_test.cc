// Hostile input to the host and the CLI, found by trying from outside
// (issue #12): each case here crashed, hung or bloated the host before it was
// fixed. Every test checks the input is refused with a clear error and that
// the host carries on: it still answers, and SIGTERM still stops it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

// A connection to the host's control socket, closed on destruction.
class RawClient {
 public:
  explicit RawClient(const std::filesystem::path& socket) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof(address.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // What arrives before EOF or `limit`.
  std::string read_reply(std::chrono::milliseconds limit) {
    std::string reply;
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      pollfd ready{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&ready, 1, static_cast<int>(std::max<long>(left.count(), 0))) <= 0) break;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
      if (reply.find('\n') != std::string::npos) break;
    }
    return reply;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string repeated(std::string_view part, std::size_t count) {
  std::string out;
  out.reserve(part.size() * count);
  for (std::size_t i = 0; i < count; ++i) out += part;
  return out;
}

// The host's peak resident memory in KiB (VmHWM), or 0 if unreadable.
long peak_rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

class HostileInput : public StateDirTest {
 protected:
  std::filesystem::path socket() const { return state() / "control.sock"; }

  // The host stops promptly on SIGTERM and says so.
  void expect_prompt_stop(BackgroundProcess& host, std::chrono::seconds limit = 5s) {
    const auto start = Clock::now();
    host.send_signal(SIGTERM);
    EXPECT_EQ(host.wait(limit), 0) << host.output();
    EXPECT_LT(Clock::now() - start, limit);
  }

  const std::string reactor_ = guest_path("reactor", "core").string();
  const std::string probe_ = guest_path("service_probe", "core").string();
};

// toml++ overflowed its stack on this (SIGSEGV), both in `orivon add` and
// inside a running host, which took every service down with it.
TEST_F(HostileInput, DeeplyNestedManifestIsRefusedOfflineAndByAHost) {
  const auto deep = temp_.path() / "deep.toml";
  write_text(deep, "id = \"lib.a.b\"\n[" + repeated("a.", 32'000) + "a]\n");
  auto offline = cli({"add", reactor_, "--manifest", deep.string()});
  EXPECT_EQ(offline.signal, 0) << offline.err;
  EXPECT_EQ(offline.exit_code, 1) << offline.err;
  EXPECT_THAT(offline.err, HasSubstr("nest more than 32 levels"));
  // Said once: the host's reply used to read "manifest: manifest: ...".
  EXPECT_THAT(offline.err, Not(HasSubstr("manifest: manifest:")));

  auto host = start_host();
  const auto dotted = temp_.path() / "dotted.toml";
  write_text(dotted, "id = \"lib.a.b\"\n" + repeated("a.", 32'000) + "a = 1\n");
  auto answered = cli({"add", reactor_, "--manifest", dotted.string()});
  EXPECT_EQ(answered.exit_code, 1) << answered.err;
  EXPECT_THAT(answered.err, HasSubstr("nest more than 32 levels"));
  EXPECT_THAT(answered.err, HasSubstr("answered by the running host"));
  EXPECT_EQ(cli({"list"}).exit_code, 0);
  expect_prompt_stop(*host);
}

// Opening a FIFO for reading waited for a writer forever: `orivon add`,
// `orivon run` and a host's add request hung, and SIGTERM could not stop it.
TEST_F(HostileInput, FifoPathsAreRefusedWithoutHanging) {
  const auto fifo = temp_.path() / "module.wasm";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto run = run_process({orivon_binary().string(), "run", fifo.string()}, {}, 20s);
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("not a regular file (a FIFO)"));

  auto offline = cli({"add", fifo.string(), "--id", "app.fifo.test"});
  EXPECT_FALSE(offline.timed_out);
  EXPECT_EQ(offline.exit_code, 1) << offline.err;
  EXPECT_THAT(offline.err, HasSubstr("a FIFO"));
  auto manifest = cli({"add", reactor_, "--id", "lib.fifo.test", "--manifest", fifo.string()});
  EXPECT_FALSE(manifest.timed_out);
  EXPECT_EQ(manifest.exit_code, 1) << manifest.err;
  EXPECT_THAT(manifest.err, HasSubstr("not a regular file"));

  auto host = start_host();
  auto answered = cli({"add", fifo.string(), "--id", "app.fifo.test"});
  EXPECT_FALSE(answered.timed_out);
  EXPECT_EQ(answered.exit_code, 1) << answered.err;
  EXPECT_THAT(answered.err, HasSubstr("a FIFO"));
  EXPECT_EQ(cli({"list"}).exit_code, 0);
  expect_prompt_stop(*host);
}

// A client that trickles its request a byte at a time used to hold its
// connection for as long as it liked (the 5 s timeout was per read), and past
// 32 such clients the next connection was served on the accept thread: every
// command waited, and so did SIGTERM.
TEST_F(HostileInput, SlowClientsNeitherStallCommandsNorTheStop) {
  auto host = start_host();
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawClient>(socket()));
    ASSERT_TRUE(slow.back()->connected());
    slow.back()->send_all("{");
  }
  std::atomic<bool> trickling{true};
  std::thread trickle([&] {
    while (trickling) {
      for (auto& client : slow) client->send_all(" ");
      std::this_thread::sleep_for(1s);
    }
  });
  // Past the 32 being served, a connection is told at once that the host is
  // busy, and the CLI tries again until a slot frees (each slow client is
  // dropped when its request has not arrived within 10 s).
  RawClient extra(socket());
  ASSERT_TRUE(extra.connected());
  EXPECT_THAT(extra.read_reply(2s), HasSubstr("\"busy\":true"));
  const auto start = Clock::now();
  auto list = cli({"list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_LT(Clock::now() - start, 20s);

  trickling = false;
  trickle.join();

  // New slow clients, then a stop: it does not wait for them.
  for (auto& client : slow) {
    client = std::make_unique<RawClient>(socket());
    client->send_all("{");
  }
  std::this_thread::sleep_for(200ms);
  expect_prompt_stop(*host, 3s);
}

// Each request was parsed into a JSON tree before any check: 33 concurrent
// 1 MiB requests of tiny values took the host from 17 MB to 1.2 GB.
TEST_F(HostileInput, LargeRequestsDoNotAmplifyIntoMemory) {
  auto host = start_host();
  const std::string tiny_values =
      "{\"op\":\"list\",\"x\":[" + repeated("[],", (1 << 20) / 3 - 20) + "[]]}\n";
  ASSERT_LT(tiny_values.size(), std::size_t{1} << 20);
  std::vector<std::thread> clients;
  std::vector<std::string> replies(33);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    clients.emplace_back([&, i] {
      RawClient client(socket());
      client.send_all(tiny_values);
      replies[i] = client.read_reply(20s);
    });
  }
  for (auto& client : clients) client.join();
  int refused = 0;
  for (const auto& reply : replies) {
    if (reply.find("more than 4096 JSON values") != std::string::npos) ++refused;
  }
  EXPECT_GE(refused, 1);  // the rest may have been told the host was busy
  const long peak = peak_rss_kib(host->pid());
  ASSERT_GT(peak, 0);
  EXPECT_LT(peak, 300 * 1024) << "peak resident memory " << peak << " KiB";
  EXPECT_EQ(cli({"list"}).exit_code, 0);
  expect_prompt_stop(*host);
}

// The shape bound itself: 4,096 JSON values are served, one more is refused.
TEST_F(HostileInput, RequestShapeBoundIsExact) {
  auto host = start_host();
  // An object, "op", "list", "x" and the array: 5 values, then the zeros.
  auto with_zeros = [](std::size_t zeros) {
    std::string text = "{\"op\":\"list\",\"x\":[";
    for (std::size_t i = 0; i < zeros; ++i) text += i == 0 ? "0" : ",0";
    return text + "]}\n";
  };
  RawClient at_limit(socket());
  at_limit.send_all(with_zeros(4096 - 5));
  EXPECT_THAT(at_limit.read_reply(10s), HasSubstr("\"ok\":true"));
  RawClient past(socket());
  past.send_all(with_zeros(4096 - 4));
  EXPECT_THAT(past.read_reply(10s), HasSubstr("more than 4096 JSON values"));
  {
    std::string deep = "{\"op\":\"list\",\"x\":" + repeated("[", 7) + repeated("]", 7) + "}\n";
    RawClient client(socket());
    client.send_all(deep);  // depth 8: the object and seven arrays
    EXPECT_THAT(client.read_reply(10s), HasSubstr("\"ok\":true"));
  }
  std::string deeper = "{\"op\":\"list\",\"x\":" + repeated("[", 8) + repeated("]", 8) + "}\n";
  RawClient client(socket());
  client.send_all(deeper);
  EXPECT_THAT(client.read_reply(10s), HasSubstr("nested more than 8 levels"));
  expect_prompt_stop(*host);
}

// timeout_ms beyond what fits in nanoseconds overflowed into a deadline in the
// past; it now means "no tighter than the service's own deadline".
TEST_F(HostileInput, AHugeTimeoutIsCappedNotOverflowed) {
  write_text(temp_.path() / "svc.toml",
             "id = \"app.svc.test\"\n[service]\ncall-deadline = \"1s\"\n");
  ASSERT_EQ(cli({"add", probe_, "--manifest", (temp_.path() / "svc.toml").string()}).exit_code, 0);
  ASSERT_EQ(cli({"add", guest_path("typed", "component").string(), "--id", "lib.typed.test"})
                .exit_code,
            0);
  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.svc.test"}).exit_code, 0);
  const std::string huge = "18446744073709551615";
  auto request = [&](const std::string& id, const std::string& call) {
    RawClient client(socket());
    client.send_all("{\"op\":\"call\",\"id\":\"" + id + "\",\"call\":\"" + call +
                    "\",\"timeout_ms\":" + huge + "}\n");
    return client.read_reply(30s);
  };
  EXPECT_THAT(request("app.svc.test", "add(40, 2)"), HasSubstr("\"results\":\"42\""));
  EXPECT_THAT(request("lib.typed.test", "greet(\\\"x\\\")"), HasSubstr("\"ok\":true"));
  const auto start = Clock::now();
  const std::string spun = request("app.svc.test", "spin()");
  const auto took = Clock::now() - start;
  EXPECT_THAT(spun, HasSubstr("\"ok\":false"));
  EXPECT_GE(took, 900ms) << spun;  // the service's 1 s deadline, not an instant one
  {
    RawClient client(socket());
    client.send_all("{\"op\":\"call\",\"id\":\"app.svc.test\",\"call\":\"ping()\",\"timeout_ms\":-5}\n");
    EXPECT_THAT(client.read_reply(10s), HasSubstr("'timeout_ms' must be a non-negative integer"));
  }
  expect_prompt_stop(*host);
}

// The error for a malformed call quoted all of it: 1 MiB in, 1 MiB out.
TEST_F(HostileInput, AMalformedCallIsNotEchoedWhole) {
  ASSERT_EQ(cli({"add", guest_path("typed", "component").string(), "--id", "lib.typed.test"})
                .exit_code,
            0);
  auto host = start_host();
  RawClient client(socket());
  client.send_all("{\"op\":\"call\",\"id\":\"lib.typed.test\",\"call\":\"greet(" +
                  std::string(900'000, 'x') + "\"}\n");
  const std::string reply = client.read_reply(20s);
  EXPECT_THAT(reply, HasSubstr("missing ')'"));
  EXPECT_LT(reply.size(), 1000u);
  expect_prompt_stop(*host);
}

}  // namespace
}  // namespace orivon::testing
