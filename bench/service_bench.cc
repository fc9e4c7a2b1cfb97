// Service lifecycle numbers, each measured in this run:
//  - runaway loop: how long after its deadline a looping call is stopped,
//    and how long a stop of a looping service takes beyond its grace period;
//  - restart latency: from a crash to running again (minus the configured
//    backoff), against a fresh start of the same module as the baseline;
//  - idle service overhead: resident memory per running, idle service.
//
//   build/bin/orivon_service_bench [IDLE_SERVICES]   (default 200)
//
// Density: how many live, idle, callable services one process holds.
//
//   build/bin/orivon_service_bench --density 1000,10000,30000,100000
//
// installs distinct small service modules (each its own compiled code) and
// starts them in steps up to each N in one runtime, reporting per step:
// memory and memory mappings per service, start rate, the latency of a call
// to a random live service, and whether every live service answers. The
// state directory is on /dev/shm when it exists, so what is measured is the
// runtime, not fsync. vm.max_map_count bounds the mappings (bench/README.md).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

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

std::size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  std::size_t lines = 0;
  std::string line;
  while (std::getline(maps, line)) ++lines;
  return lines;
}

std::size_t read_max_map_count() {
  std::ifstream file("/proc/sys/vm/max_map_count");
  std::size_t value = 0;
  file >> value;
  return value;
}

int fail(const orivon::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

// A small service module, distinct per `n` so each has its own compiled
// code as distinct modules would: one page of memory with a data segment, a
// counter, and the exports the density run calls.
std::string density_module(int n) {
  return "(module (memory (export \"memory\") 1) (data (i32.const 1024) \"service " +
         std::to_string(n) + "\") (global $calls (mut i32) (i32.const 0))" +
         " (func (export \"ping\") (result i32) (global.set $calls (i32.add (global.get $calls)"
         " (i32.const 1))) (i32.const " + std::to_string(n) + "))" +
         " (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))";
}

int run_density(const std::vector<int>& steps) {
  const std::filesystem::path base =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const auto state = base / ("orivon-density-bench-" + std::to_string(::getpid()));
  orivon::RuntimeOptions options;
  options.state_dir = state;
  auto created = orivon::Runtime::create(options);
  if (!created) return fail(created.error());
  auto& runtime = **created;
  auto name = [](int i) { return "bench.density.s" + std::to_string(i); };

  std::printf("vm.max_map_count = %zu\n", read_max_map_count());
  std::printf("%9s %12s %12s %11s %11s %12s %12s %12s %10s\n", "services", "KiB/service",
              "maps/service", "installs/s", "starts/s", "call p50 us", "call p99 us", "answering",
              "maps");
  std::fflush(stdout);
  // Warm-up: the worker pool and the runtime's own allocations exist before
  // the baseline.
  int live = 0;
  std::size_t base_rss = 0;
  std::size_t base_maps = 0;
  std::mt19937 random(7);
  for (int step : steps) {
    const auto install_start = Clock::now();
    for (int i = live; i < step; ++i) {
      const std::string code = density_module(i);
      orivon::AddOptions add;
      add.id = id(name(i));
      if (auto added = runtime.add_module(std::as_bytes(std::span(code)), add); !added) {
        return fail(added.error());
      }
      if (i == 0) {
        if (auto started = runtime.start_service(add.id.value()); !started) return fail(started.error());
        base_rss = resident_kib();
        base_maps = mapping_count();
      }
    }
    const double install_seconds = ms_since(install_start) / 1000;
    const int first = live == 0 ? 1 : live;
    const auto start = Clock::now();
    int started_count = first;
    for (int i = first; i < step; ++i, ++started_count) {
      if (auto started = runtime.start_service(id(name(i))); !started) {
        std::printf("stopped at %d live services: %s\n", i, started.error().to_string().c_str());
        break;
      }
    }
    const double start_seconds = ms_since(start) / 1000;
    const int previous = live;
    live = started_count;
    const std::size_t rss = resident_kib();
    const std::size_t maps = mapping_count();
    // Every live service answers.
    int answering = 0;
    for (int i = 0; i < live; ++i) answering += runtime.call_service(id(name(i)), "ping()") ? 1 : 0;
    // Latency of a call to a random live service.
    std::vector<double> latencies;
    std::uniform_int_distribution<int> pick(0, live - 1);
    for (int i = 0; i < 2000; ++i) {
      const auto target = id(name(pick(random)));
      const auto call_start = Clock::now();
      (void)runtime.call_service(target, "add(1, 2)");
      latencies.push_back(ms_since(call_start) * 1000);
    }
    std::sort(latencies.begin(), latencies.end());
    std::printf("%9d %12.1f %12.2f %11.0f %11.0f %12.1f %12.1f %12d %10zu\n", live,
                static_cast<double>(rss - base_rss) / (live - 1),
                static_cast<double>(maps - base_maps) / (live - 1),
                (step - previous) / install_seconds, (live - first) / start_seconds,
                latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100], answering,
                maps);
    std::fflush(stdout);
    if (live < step) break;
  }
  const auto stop_start = Clock::now();
  created->reset();
  std::printf("runtime shut down with %d services in %.1f s\n", live, ms_since(stop_start) / 1000);
  std::filesystem::remove_all(state);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--density") {
    std::vector<int> steps;
    std::stringstream list(argv[2]);
    for (std::string item; std::getline(list, item, ',');) steps.push_back(std::atoi(item.c_str()));
    if (steps.empty() || !std::is_sorted(steps.begin(), steps.end()) || steps.front() < 2) {
      std::fprintf(stderr, "usage: %s --density N1,N2,... (ascending, each >= 2)\n", argv[0]);
      return 2;
    }
    return run_density(steps);
  }
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
