// Events between two hosts over NATS with JetStream, each number beside its
// baseline measured in the same run:
//  - publish on host A -> the subscriber's handler acknowledged on host B
//    (p50, p99) and events/s, beside the same with publisher and subscriber
//    on one host (the in-process bus);
//  - the limit: the C client alone, on the same server: a core NATS
//    publish -> a subscriber on another connection receives it, and a
//    JetStream publish waiting for its acknowledgement (what every event
//    sent to other hosts costs), each as latency and messages/s.
//
//   build/bin/orivon_cluster_bench NATS_SERVER [EVENTS]   (default 2000)
//
// It starts NATS_SERVER (Debian's nats-server) with JetStream on a free
// loopback port, its store under $TMPDIR, and stops it at the end. Both
// hosts are Runtimes in this process, each on its own state directory.

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "orivon/runtime.h"

namespace {

using orivon::bench::must;
using orivon::bench::percentile;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

void must_nats(natsStatus status, const char* what) {
  if (status != NATS_OK) {
    std::fprintf(stderr, "%s: %s\n", what, natsStatus_GetText(status));
    std::exit(1);
  }
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(s);
  return ntohs(address.sin_port);
}

struct NatsServer {
  pid_t pid = -1;
  std::string url;
  NatsServer(const char* binary, const std::filesystem::path& store) {
    const int port = free_port();
    url = "nats://127.0.0.1:" + std::to_string(port);
    std::fflush(stdout);  // or the child writes what is buffered again
    pid = ::fork();
    if (pid == 0) {
      const std::string port_text = std::to_string(port);
      const std::string store_text = store.string();
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      ::execl(binary, binary, "-js", "-a", "127.0.0.1", "-p", port_text.c_str(), "-sd",
              store_text.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    // Up when it accepts a client.
    for (int i = 0; i < 200; ++i) {
      natsConnection* probe = nullptr;
      if (natsConnection_ConnectTo(&probe, url.c_str()) == NATS_OK) {
        natsConnection_Destroy(probe);
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    std::fprintf(stderr, "nats-server did not start\n");
    std::exit(1);
  }
  ~NatsServer() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
};

orivon::ModuleId id(const std::string& text) { return *orivon::ModuleId::parse(text); }

orivon::EventMessage message(std::size_t bytes) {
  orivon::EventMessage m;
  m.topic = "bench.x";
  m.data.assign(bytes, 'x');
  return m;
}

std::unique_ptr<orivon::Runtime> host(const std::filesystem::path& dir, const std::string& name,
                                      const std::string& url) {
  orivon::RuntimeOptions options;
  options.state_dir = dir / name;
  if (!url.empty()) {
    options.cluster.nats_url = url;
    options.cluster.host_name = name;
  }
  return must(orivon::Runtime::create(options), "runtime");
}

orivon::ModuleId add_subscriber(
    orivon::Runtime& runtime, orivon::EventDurability durability = orivon::EventDurability::Ephemeral,
    const std::string& name = "bench.cluster.subscriber") {
  const std::filesystem::path guest =
      std::filesystem::path(ORIVON_BUILD_DIR) / "guests" / "events_probe.component.wasm";
  orivon::AddOptions add;
  add.id = id(name);
  must(runtime.add_module_file(guest, add), "add");
  must(runtime.allow_grant(*add.id, "topic:bench.x:subscribe"), "allow");
  must(runtime.subscribe_module(*add.id, "bench.x", durability), "subscribe");
  must(runtime.start_service(*add.id), "start");
  return *add.id;
}

struct Pair {
  orivon::Runtime& publisher;
  orivon::Runtime& subscriber_host;
  orivon::ModuleId subscriber;
  std::uint64_t delivered() { return subscriber_host.event_counters(subscriber).delivered; }
};

std::vector<double> publish_returns;  // how long publish itself took, per event

std::vector<double> latencies(Pair& p, std::size_t events, std::size_t bytes) {
  std::vector<double> out;
  publish_returns.clear();
  std::uint64_t expected = p.delivered();
  for (std::size_t i = 0; i < events; ++i) {
    const auto start = Clock::now();
    must(p.publisher.publish(message(bytes)), "publish");
    publish_returns.push_back(us_between(start, Clock::now()));
    ++expected;
    while (p.delivered() < expected) std::this_thread::yield();
    out.push_back(us_between(start, Clock::now()));
  }
  return out;
}

// At most `window` events in flight (below the ephemeral queue bound).
double rate(Pair& p, std::size_t events, std::size_t bytes, std::size_t window) {
  const std::uint64_t base = p.delivered();
  const auto start = Clock::now();
  for (std::size_t i = 0; i < events; ++i) {
    while (i > window && base + (i - window) > p.delivered()) std::this_thread::yield();
    must(p.publisher.publish(message(bytes)), "publish");
  }
  while (p.delivered() < base + events) std::this_thread::yield();
  return static_cast<double>(events) / (us_between(start, Clock::now()) / 1e6);
}

// The C client alone: core publish on one connection, received on another.
struct RawCore {
  natsConnection* sender = nullptr;
  natsConnection* receiver = nullptr;
  natsSubscription* subscription = nullptr;
  std::atomic<std::uint64_t> received{0};
  explicit RawCore(const std::string& url) {
    must_nats(natsConnection_ConnectTo(&sender, url.c_str()), "raw connect");
    must_nats(natsConnection_ConnectTo(&receiver, url.c_str()), "raw connect");
    must_nats(natsConnection_Subscribe(
                  &subscription, receiver, "raw.x",
                  [](natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
                    static_cast<RawCore*>(closure)->received.fetch_add(1);
                    natsMsg_Destroy(msg);
                  },
                  this),
              "raw subscribe");
    natsConnection_Flush(receiver);
  }
  ~RawCore() {
    natsSubscription_Destroy(subscription);
    natsConnection_Destroy(sender);
    natsConnection_Destroy(receiver);
  }
  std::vector<double> latencies(std::size_t count, const std::string& data) {
    std::vector<double> out;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t expected = received.load() + 1;
      const auto start = Clock::now();
      natsConnection_Publish(sender, "raw.x", data.data(), static_cast<int>(data.size()));
      natsConnection_Flush(sender);
      while (received.load() < expected) std::this_thread::yield();
      out.push_back(us_between(start, Clock::now()));
    }
    return out;
  }
  double rate(std::size_t count, const std::string& data) {
    const std::uint64_t base = received.load();
    const auto start = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      natsConnection_Publish(sender, "raw.x", data.data(), static_cast<int>(data.size()));
    }
    natsConnection_Flush(sender);
    while (received.load() < base + count) std::this_thread::yield();
    return static_cast<double>(count) / (us_between(start, Clock::now()) / 1e6);
  }
};

// A JetStream publish waiting for its acknowledgement, on a stream of its own.
std::vector<double> raw_jetstream(const std::string& url, std::size_t count,
                                  const std::string& data) {
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  must_nats(natsConnection_ConnectTo(&connection, url.c_str()), "raw connect");
  must_nats(natsConnection_JetStream(&js, connection, nullptr), "raw jetstream");
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {"rawjs.>"};
  config.Name = "RAWJS";
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  jsStreamInfo* info = nullptr;
  must_nats(js_AddStream(&info, js, &config, nullptr, nullptr), "raw add stream");
  jsStreamInfo_Destroy(info);
  std::vector<double> out;
  for (std::size_t i = 0; i < count; ++i) {
    const auto start = Clock::now();
    jsPubAck* ack = nullptr;
    must_nats(js_Publish(&ack, js, "rawjs.x", data.data(), static_cast<int>(data.size()), nullptr,
                         nullptr),
              "raw js publish");
    jsPubAck_Destroy(ack);
    out.push_back(us_between(start, Clock::now()));
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  return out;
}

void row(const char* what, const std::vector<double>& values, double rate_per_s,
         const char* unit) {
  std::printf("%-54s %9.1f us p50 %9.1f us p99 %10.0f %s\n", what, percentile(values, 0.5),
              percentile(values, 0.99), rate_per_s, unit);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: orivon_cluster_bench NATS_SERVER [EVENTS]\n");
    return 2;
  }
  const std::size_t events = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2000;
  constexpr std::size_t kBytes = 64;
  std::printf("cluster bench: %zu events of %zu bytes (load average: ", events, kBytes);
  std::printf("%s", orivon::bench::load_average().c_str());
  std::printf(")\n\n");

  const auto dir = std::filesystem::temp_directory_path() /
                   ("orivon-cluster-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    NatsServer server(argv[1], dir / "nats");
    const std::string data(kBytes, 'x');
    {
      RawCore raw(server.url);
      auto raw_latency = raw.latencies(events, data);
      const double raw_rate = raw.rate(events * 5, data);
      row("C client alone: core publish -> other connection", raw_latency, raw_rate, "msgs/s");
      auto js = raw_jetstream(server.url, events, data);
      row("C client alone: JetStream publish, acknowledged", js,
          1e6 / std::max(percentile(js, 0.5), 1e-3), "msgs/s (1/p50)");
    }
    {
      auto alone = host(dir, "alone", "");
      Pair local{*alone, *alone, add_subscriber(*alone)};
      auto local_latency = latencies(local, events, kBytes);
      row("one host: publish -> handler ack (in-process bus)", local_latency,
          rate(local, events * 2, kBytes, 256), "events/s");
    }
    {
      auto b = host(dir, "b", server.url);
      auto subscriber = add_subscriber(*b);
      auto a = host(dir, "a", server.url);
      std::this_thread::sleep_for(1s);  // a has read the (empty) registry of durable patterns
      Pair across{*a, *b, subscriber};
      auto across_latency = latencies(across, events, kBytes);
      auto returns = publish_returns;
      row("A -> B, ephemeral subscriber (core NATS): publish -> ack", across_latency,
          rate(across, events * 2, kBytes, 256), "events/s");
      row("  of which host A's publish", returns,
          1e6 / std::max(percentile(returns, 0.5), 1e-3), "events/s (1/p50)");
      // A durable subscriber on B: A stores every event in JetStream first.
      auto durable = add_subscriber(*b, orivon::EventDurability::Durable, "bench.cluster.durable");
      must(b->stop_service(subscriber), "stop");
      std::this_thread::sleep_for(1s);  // a has heard of b's durable pattern
      Pair stored{*a, *b, durable};
      auto stored_latency = latencies(stored, events, kBytes);
      returns = publish_returns;
      row("A -> B, durable subscriber (JetStream): publish -> ack", stored_latency,
          rate(stored, events * 2, kBytes, 256), "events/s");
      row("  of which host A's publish (stored, acknowledged)", returns,
          1e6 / std::max(percentile(returns, 0.5), 1e-3), "events/s (1/p50)");
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
