// The cost of orivon's network check.
//
//   BM_NetPolicyCheck*:  NetPolicy::allows alone, the function the socket
//                        check in lib.rs calls (twice per TCP connect: the
//                        implicit bind, then the connect).
//   BM_HttpPolicyCheck:  HttpPolicy::allows alone, what orivon's
//                        wasi:http `handle` asks once per outbound request
//                        (five granted origins, the request's one last).
//   BM_GuestConnect/*:   the net_probe component connects to a loopback
//                        listener of this process `kBatch` times in one
//                        call (create socket, connect, close), under
//                        --allow-connect style rules or unrestricted --net.
//                        Time per connect = batch time / kBatch; the
//                        difference between the two is the check's cost
//                        as a guest sees it.
//
// Run: build/bin/orivon_net_bench

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "orivon/runtime.h"
#include "wasi/http_policy.h"
#include "wasi/net_policy.h"

namespace {

using orivon::NetRule;
using orivon::wasi::IpAddress;
using orivon::wasi::NetPolicy;
using orivon::wasi::SocketUse;

constexpr std::uint32_t kBatch = 2'000;

// Several rules, the matching one last, so a check walks them all.
std::vector<NetRule> typical_rules(std::uint16_t port) {
  return {NetRule{NetRule::Kind::Listen, "0.0.0.0", 8080, 8080},
          NetRule{NetRule::Kind::Connect, "10.0.0.0/8", 443, 443},
          NetRule{NetRule::Kind::Connect, "fd00::/8", 1, 65535},
          NetRule{NetRule::Kind::Connect, "192.0.2.1", 5432, 5432},
          NetRule{NetRule::Kind::Connect, "127.0.0.0/8", port, port}};
}

void BM_NetPolicyCheck(benchmark::State& state) {
  auto policy = NetPolicy::compile(typical_rules(9000), orivon::wasi::make_system_resolver());
  if (!policy) std::abort();
  const IpAddress address = *IpAddress::parse("127.0.0.1");
  for (auto _ : state) {
    benchmark::DoNotOptimize((*policy)->allows(address, 9000, SocketUse::TcpConnect));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NetPolicyCheck);

void BM_NetPolicyCheckHostName(benchmark::State& state) {
  // A name rule answered from the cache (resolved on the first check).
  auto policy = NetPolicy::compile(
      std::vector<NetRule>{NetRule{NetRule::Kind::Connect, "localhost", 9000, 9000}},
      orivon::wasi::make_system_resolver());
  if (!policy) std::abort();
  const IpAddress address = *IpAddress::parse("127.0.0.1");
  for (auto _ : state) {
    benchmark::DoNotOptimize((*policy)->allows(address, 9000, SocketUse::TcpConnect));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NetPolicyCheckHostName);

void BM_HttpPolicyCheck(benchmark::State& state) {
  auto policy = orivon::wasi::HttpPolicy::compile(
      {"https://api.example.com", "https://cdn.example.com:8443", "http://[fd00::1]:8080",
       "https://blockstream.info", "http://127.0.0.1:8332"});
  if (!policy) std::abort();
  for (auto _ : state) {
    benchmark::DoNotOptimize((*policy)->allows("http", "127.0.0.1:8332"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpPolicyCheck);

// A loopback listener that accepts and closes in the background, so the
// accept queue never fills up.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 512) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      std::abort();
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        int peer = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (peer >= 0) ::close(peer);
      }
    });
  }
  ~Listener() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes the accept
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void BM_GuestConnect(benchmark::State& state) {
  const bool rules = state.range(0) == 1;
  Listener listener;
  auto runtime = orivon::Runtime::create({});
  if (!runtime) std::abort();
  auto program = (*runtime)->load_file(std::filesystem::path(ORIVON_BUILD_DIR) / "guests" /
                                       "net_probe.component.wasm");
  if (!program) std::abort();
  orivon::WasiProfile profile;
  profile.stdio = orivon::Stdio::Null;
  if (rules) {
    profile.network = orivon::Network::Rules;
    profile.net_rules = typical_rules(listener.port());
  } else {
    profile.network = orivon::Network::Full;
  }
  const std::string call = "connect-many(\"127.0.0.1\", " + std::to_string(listener.port()) +
                           ", " + std::to_string(kBatch) + ")";
  for (auto _ : state) {
    auto outcome = (*runtime)->invoke(*program, call, profile, {});
    if (!outcome || outcome->results != "\"connected\"") {
      state.SkipWithError(outcome ? outcome->results.c_str() : outcome.error().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(rules ? "rules (5)" : "--net (unrestricted)");
}
BENCHMARK(BM_GuestConnect)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
