// Service lifecycle numbers, each measured in this run:
//  - runaway loop: how long after its deadline a looping call is stopped,
//    and how long a stop of a looping service takes beyond its grace period;
//  - restart latency: from a crash to running again (minus the configured
//    backoff), against a fresh start of the same module as the baseline;
//  - idle service overhead: resident memory per running, idle service.
//
//   build/bin/orivon_service_bench [IDLE_SERVICES]   (default 200)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "orivon/runtime.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

orivon::ModuleId id(const std::string& text) { return *orivon::ModuleId::parse(text); }

int fail(const orivon::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int idle = argc > 1 ? std::atoi(argv[1]) : 200;
  const auto guest = std::filesystem::path(ORIVON_BUILD_DIR) / "guests/service_probe.core.wasm";
  const auto state = std::filesystem::temp_directory_path() /
                     ("orivon-service-bench-" + std::to_string(::getpid()));
  orivon::RuntimeOptions options;
  options.state_dir = state;
  auto created = orivon::Runtime::create(options);
  if (!created) return fail(created.error());
  auto& runtime = **created;
  auto install = [&](const std::string& name) -> bool {
    orivon::AddOptions add;
    add.id = id(name);
    return static_cast<bool>(runtime.add_module_file(guest, add));
  };

  // Runaway loop under a call deadline.
  install("bench.loop.call");
  orivon::ServiceSettings settings;
  settings.restart.policy = orivon::RestartPolicy::Never;
  settings.stop_grace = 200ms;
  runtime.set_service_settings(id("bench.loop.call"), settings);
  if (auto started = runtime.start_service(id("bench.loop.call")); !started) return fail(started.error());
  double overshoot_total = 0;
  const int rounds = 10;
  for (int i = 0; i < rounds; ++i) {
    (void)runtime.start_service(id("bench.loop.call"));
    const auto start = Clock::now();
    (void)runtime.call_service(id("bench.loop.call"), "spin()", 100ms);
    overshoot_total += ms_since(start) - 100;
  }
  std::printf("runaway call, 100 ms deadline: stopped %.1f ms after the deadline (mean of %d)\n",
              overshoot_total / rounds, rounds);

  // Stop of a service stuck in a loop, 200 ms grace.
  double stop_total = 0;
  for (int i = 0; i < rounds; ++i) {
    orivon::ServiceSettings long_calls = settings;
    long_calls.call_deadline = 60s;
    runtime.set_service_settings(id("bench.loop.call"), long_calls);
    (void)runtime.start_service(id("bench.loop.call"));
    std::thread stuck([&] { (void)runtime.call_service(id("bench.loop.call"), "spin()"); });
    std::this_thread::sleep_for(20ms);
    const auto start = Clock::now();
    (void)runtime.stop_service(id("bench.loop.call"));
    stop_total += ms_since(start) - 200;
    stuck.join();
  }
  std::printf("stop of a looping service, 200 ms grace: done %.1f ms after the grace (mean of %d)\n",
              stop_total / rounds, rounds);

  // Restart latency against a cold start.
  install("bench.restart.one");
  orivon::ServiceSettings restart = settings;
  restart.restart.policy = orivon::RestartPolicy::OnFailure;
  restart.restart.initial_backoff = 1ms;
  restart.restart.max_backoff = 1ms;
  restart.restart.budget = 1000;
  runtime.set_service_settings(id("bench.restart.one"), restart);
  double start_total = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto start = Clock::now();
    (void)runtime.start_service(id("bench.restart.one"));
    start_total += ms_since(start);
    (void)runtime.stop_service(id("bench.restart.one"));
  }
  (void)runtime.start_service(id("bench.restart.one"));
  double restart_total = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto crash = Clock::now();
    (void)runtime.call_service(id("bench.restart.one"), "trap()");
    while (!runtime.call_service(id("bench.restart.one"), "ping()")) std::this_thread::sleep_for(100us);
    restart_total += ms_since(crash);
  }
  std::printf("start (baseline): %.2f ms; crash -> answering again (1 ms backoff): %.2f ms "
              "(means of %d)\n",
              start_total / rounds, restart_total / rounds, rounds);

  // Call throughput into one running service, against instantiating per
  // call (Runtime::invoke on the same program) as the baseline.
  {
    const int calls = 20000;
    auto start = Clock::now();
    for (int i = 0; i < calls; ++i) (void)runtime.call_service(id("bench.restart.one"), "add(1, 2)");
    const double service_us = ms_since(start) * 1000 / calls;
    auto program = runtime.program(id("bench.restart.one"));
    if (!program) return fail(program.error());
    const int fresh = 2000;
    start = Clock::now();
    for (int i = 0; i < fresh; ++i) (void)runtime.invoke(*program, "add(1, 2)", {}, {});
    const double fresh_us = ms_since(start) * 1000 / fresh;
    std::printf("call into a running service: %.2f us; fresh instance per call: %.2f us (%.1fx)\n",
                service_us, fresh_us, fresh_us / service_us);
  }

  // Idle services.
  for (int i = 0; i < idle; ++i) install("bench.idle.s" + std::to_string(i));
  (void)runtime.start_service(id("bench.idle.s0"));  // worker threads exist before the baseline
  const std::size_t before = resident_kib();
  const auto start = Clock::now();
  for (int i = 1; i < idle; ++i) {
    if (auto started = runtime.start_service(id("bench.idle.s" + std::to_string(i))); !started) {
      return fail(started.error());
    }
  }
  const double start_ms = ms_since(start);
  const std::size_t after = resident_kib();
  std::printf("%d idle services: %.1f KiB resident each, started at %.0f/s\n", idle - 1,
              static_cast<double>(after - before) / (idle - 1), (idle - 1) / (start_ms / 1000));
  created->reset();
  std::filesystem::remove_all(state);
  return 0;
}
