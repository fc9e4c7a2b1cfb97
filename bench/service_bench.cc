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
//   build/bin/orivon_service_bench --density 1000,10000,30000,100000 [--memory-only-logs]
//
// installs distinct small service modules (each its own compiled code) and
// starts them in steps up to each N in one runtime, reporting per step:
// memory and memory mappings per service, start rate (of the step's new
// services, and `steady/s`: 2,000 starts of stopped live services, the same
// count at every step), the latency of a call to a random live service, and
// whether every live service answers. The
// state directory is on /dev/shm when it exists, so what is measured is the
// runtime, not fsync. vm.max_map_count bounds the mappings. Each service has
// its log file, but the files share a bounded set of open descriptors
// (supervisor/log_file_cache.h); --memory-only-logs drives orivon's
// Supervisor directly with memory-only logs, to compare (bench/README.md).
// --raw-wasmtime is the baseline: the same modules in plain Wasmtime stores
// (orivon's engine configuration, WASI, one instance each), no orivon.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/limits.h"
#include "engine/engine.h"
#include "orivon/runtime.h"
#include "registry/module_registry.h"
#include "supervisor/supervisor.h"
#include "values/call_expression.h"

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

// /proc readers that keep their files open from the start: near the open
// files limit, opening /proc/self/maps would fail just when it matters.
class ProcReader {
 public:
  ProcReader()
      : maps_fd_(::open("/proc/self/maps", O_RDONLY | O_CLOEXEC)),
        status_fd_(::open("/proc/self/status", O_RDONLY | O_CLOEXEC)),
        fd_dir_(::opendir("/proc/self/fd")) {}
  ~ProcReader() {
    if (maps_fd_ >= 0) ::close(maps_fd_);
    if (status_fd_ >= 0) ::close(status_fd_);
    if (fd_dir_) ::closedir(fd_dir_);
  }
  ProcReader(const ProcReader&) = delete;
  ProcReader& operator=(const ProcReader&) = delete;

  std::size_t mappings() {
    std::size_t lines = 0;
    read_all(maps_fd_, [&](std::string_view chunk) {
      lines += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    });
    return lines;
  }
  std::size_t resident_kib() {
    std::string text;
    read_all(status_fd_, [&](std::string_view chunk) { text += chunk; });
    const auto at = text.find("VmRSS:");
    return at == std::string::npos ? 0 : std::stoul(text.substr(at + 6));
  }
  std::size_t open_files() {
    if (!fd_dir_) return 0;
    ::rewinddir(fd_dir_);
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(fd_dir_)) count += entry->d_name[0] != '.';
    return count;
  }

 private:
  template <typename F>
  static void read_all(int fd, F&& consume) {
    if (fd < 0 || ::lseek(fd, 0, SEEK_SET) != 0) return;
    char buffer[1 << 16];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      consume(std::string_view(buffer, static_cast<std::size_t>(n)));
    }
  }

  int maps_fd_;
  int status_fd_;
  DIR* fd_dir_;
};

// Services' log files no longer take a descriptor each, but the sweep still
// raises the soft limit to the hard one, and as root the hard one too (to
// fs.nr_open), so that a low soft limit (often 1,024) is not what it
// measures. Returns the limit in force.
std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  std::size_t wanted = 0;
  std::ifstream("/proc/sys/fs/nr_open") >> wanted;
  if (wanted > limit.rlim_max) {
    rlimit raised{wanted, wanted};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  }
  limit.rlim_cur = limit.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
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

// The services under test, reached one of two ways: the public Runtime API
// (a log file per service), or orivon's Supervisor and ModuleRegistry
// directly with memory-only logs, the same code minus the per-service log
// file, to show what the log files cost. `open` makes a host on the state
// directory: again after a shutdown, it loads what is installed from the
// compiled-code cache, as `orivon up` does.
enum class Logs { Files, MemoryOnly, RawWasmtime };

using Modules = std::vector<std::pair<orivon::ModuleId, std::string>>;

struct DensityHost {
  std::function<orivon::Result<void>(const Modules&)> install;  // one bulk install
  std::function<orivon::Result<void>()> load;                   // load_installed
  std::function<orivon::Result<void>(const orivon::ModuleId&)> start;
  std::function<orivon::Result<void>(const orivon::ModuleId&)> stop;
  std::function<bool(const orivon::ModuleId&, std::string_view)> call;
  std::function<void()> shut_down;  // stops every service (Runtime::shut_down)
  std::function<void()> close;      // frees the host, as destroying a Runtime does
};

std::vector<orivon::ModuleSource> sources_of(const Modules& modules) {
  std::vector<orivon::ModuleSource> sources;
  sources.reserve(modules.size());
  for (const auto& [module_id, code] : modules) {
    orivon::ModuleSource source;
    source.code = std::as_bytes(std::span(code));
    source.options.id = module_id;
    sources.push_back(std::move(source));
  }
  return sources;
}

DensityHost public_api_host(const std::filesystem::path& state) {
  orivon::RuntimeOptions options;
  options.state_dir = state;
  // One owner the lambdas share, so shut_down destroys the runtime (and the
  // time it prints is the shutdown's) instead of dropping one copy of many.
  auto runtime = std::make_shared<std::unique_ptr<orivon::Runtime>>(
      orivon::Runtime::create(options).value());
  return {
      [runtime](const Modules& modules) -> orivon::Result<void> {
        auto added = (*runtime)->add_modules(sources_of(modules));
        if (!added) return added.error();
        return orivon::ok();
      },
      [runtime]() -> orivon::Result<void> {
        auto loaded = (*runtime)->load_installed();
        if (!loaded) return loaded.error();
        return orivon::ok();
      },
      [runtime](const orivon::ModuleId& id) { return (*runtime)->start_service(id); },
      [runtime](const orivon::ModuleId& id) { return (*runtime)->stop_service(id); },
      [runtime](const orivon::ModuleId& id, std::string_view call) {
        return static_cast<bool>((*runtime)->call_service(id, call));
      },
      [runtime]() { (void)(*runtime)->shut_down(); },
      [runtime]() { runtime->reset(); }};
}

DensityHost memory_only_logs_host(const std::filesystem::path& state) {
  struct Parts {
    std::unique_ptr<orivon::engine::Engine> engine;
    std::unique_ptr<orivon::registry::ModuleRegistry> registry;
    std::unique_ptr<orivon::supervisor::Supervisor> supervisor;
  };
  auto parts = std::make_shared<Parts>();
  parts->engine = orivon::engine::Engine::create({}).value();
  parts->registry = orivon::registry::ModuleRegistry::open(*parts->engine, state).value();
  parts->supervisor = std::make_unique<orivon::supervisor::Supervisor>(
      *parts->engine, *parts->registry, std::filesystem::path(),
      std::max<std::size_t>(orivon::limits::kMinServiceWorkers, std::thread::hardware_concurrency()));
  return {
      [parts](const Modules& modules) -> orivon::Result<void> {
        auto added = parts->registry->add_many(sources_of(modules));
        if (!added) return added.error();
        return orivon::ok();
      },
      [parts]() -> orivon::Result<void> {
        auto loaded = parts->registry->load_installed();
        if (!loaded) return loaded.error();
        return orivon::ok();
      },
      [parts](const orivon::ModuleId& id) { return parts->supervisor->start(id); },
      [parts](const orivon::ModuleId& id) { return parts->supervisor->stop(id); },
      [parts](const orivon::ModuleId& id, std::string_view call) {
        // The density run calls `ping()` and `add(1, 2)` (the latencies).
        auto expression = orivon::values::parse_call_expression(call);
        if (!expression) return false;
        std::vector<orivon::Value> arguments;
        if (expression->arguments == "1, 2") {
          arguments = {orivon::Value::s32(1), orivon::Value::s32(2)};
        } else if (!expression->arguments.empty()) {
          return false;
        }
        return static_cast<bool>(parts->supervisor->call(
            id, expression->name, arguments, orivon::supervisor::Supervisor::CallOptions{}));
      },
      [parts]() { (void)parts->supervisor->stop_all(); },
      [parts]() {
        auto t0 = Clock::now();
        parts->supervisor.reset();
        auto t1 = Clock::now();
        parts->registry.reset();
        auto t2 = Clock::now();
        parts->engine.reset();
        if (std::getenv("ORIVON_BENCH_SHUTDOWN_PARTS")) {
          std::fprintf(stderr, "supervisor %.0f ms, registry %.0f ms, engine %.0f ms\n",
                       std::chrono::duration<double, std::milli>(t1 - t0).count(),
                       std::chrono::duration<double, std::milli>(t2 - t1).count(), ms_since(t2));
        }
      }};
}

// The baseline: what Wasmtime itself costs for the same live instances, with
// the engine configured as orivon configures it (engine/engine.cc). Install
// compiles; start makes a store with a default WASI context and instantiates
// through a linker with WASI defined (epoch interruption is on, as in
// orivon, with a deadline nothing reaches); the instance stays live until shut_down.
// The compiled modules outlive a shut_down and close, as orivon's
// compiled-code cache does, so load does nothing.
DensityHost raw_wasmtime_host() {
  struct Live {
    wasmtime::Store store;
    wasmtime::Instance instance;
  };
  struct Parts {
    wasmtime::Engine engine{orivon::engine::Engine::make_config(orivon::FuelMetering::Off)};
    wasmtime::Linker linker{engine};
    std::unordered_map<std::string, wasmtime::Module> modules;
    std::unordered_map<std::string, std::unique_ptr<Live>> live;
  };
  static std::shared_ptr<Parts> parts;  // the compiled modules, kept as a cache keeps them
  if (!parts) {
    parts = std::make_shared<Parts>();
    if (auto defined = parts->linker.define_wasi(); !defined) {
      std::fprintf(stderr, "error: defining WASI: %s\n", defined.err().message().c_str());
      std::exit(1);
    }
  }
  auto error = [](const std::string& what, const std::string& message) {
    return orivon::Error(orivon::ErrorCode::Internal, what + ": " + message);
  };
  return {
      [error](const Modules& modules) -> orivon::Result<void> {
        for (const auto& [module_id, code] : modules) {
          auto compiled = wasmtime::Module::compile(parts->engine, code);
          if (!compiled) return error("compiling " + module_id.str(), compiled.err().message());
          parts->modules.insert_or_assign(module_id.str(), compiled.unwrap());
        }
        return orivon::ok();
      },
      []() -> orivon::Result<void> { return orivon::ok(); },
      [error](const orivon::ModuleId& id) -> orivon::Result<void> {
        auto module = parts->modules.find(id.str());
        if (module == parts->modules.end()) return error(id.str(), "not installed");
        wasmtime::Store store(parts->engine);
        store.context().set_epoch_deadline(1);  // the engine's epoch never advances here
        if (auto set = store.context().set_wasi(wasmtime::WasiConfig()); !set) {
          return error("WASI for " + id.str(), set.err().message());
        }
        auto instance = parts->linker.instantiate(store, module->second);
        if (!instance) return error("instantiating " + id.str(), instance.err().message());
        parts->live.insert_or_assign(
            id.str(), std::make_unique<Live>(Live{std::move(store), instance.unwrap()}));
        return orivon::ok();
      },
      [](const orivon::ModuleId& id) -> orivon::Result<void> {
        parts->live.erase(id.str());
        return orivon::ok();
      },
      [](const orivon::ModuleId& id, std::string_view call) {
        auto live = parts->live.find(id.str());
        if (live == parts->live.end()) return false;
        auto& [store, instance] = *live->second;
        const bool ping = call == "ping()";
        auto exported = instance.get(store, ping ? "ping" : "add");
        if (!exported || !std::holds_alternative<wasmtime::Func>(*exported)) return false;
        std::vector<wasmtime::Val> arguments;
        if (!ping) arguments = {wasmtime::Val(std::int32_t{1}), wasmtime::Val(std::int32_t{2})};
        return static_cast<bool>(std::get<wasmtime::Func>(*exported).call(store, arguments));
      },
      []() { parts->live.clear(); },
      []() {}};
}

// Seconds `orivon list --json` takes on the state directory (no host: it
// opens the state itself), or a negative number without the CLI.
double time_cli_list(const std::filesystem::path& state) {
  const auto cli = std::filesystem::path(ORIVON_BUILD_DIR) / "bin/orivon";
  if (!std::filesystem::exists(cli)) return -1;
  const std::string command =
      cli.string() + " --state " + state.string() + " list --json >/dev/null 2>&1";
  const auto start = Clock::now();
  const int status = std::system(command.c_str());
  return status == 0 ? ms_since(start) / 1000 : -1;
}

// Bulk installs of copies of one module into a state directory of their
// own, beside installing the first 1,000 of them one at a time.
void measure_copy_installs(const std::filesystem::path& base, int copies) {
  const std::string code = density_module(0);
  auto install_rate = [&](const char* dir_name, int count, bool bulk) {
    const auto state = base / dir_name;
    double seconds = 0;
    {
      DensityHost host = public_api_host(state);
      const auto start = Clock::now();
      if (bulk) {
        Modules modules;
        modules.reserve(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
          modules.emplace_back(id("bench.copy.s" + std::to_string(i)), code);
        }
        if (auto added = host.install(modules); !added) (void)fail(added.error());
      } else {
        for (int i = 0; i < count; ++i) {
          Modules one = {{id("bench.copy.s" + std::to_string(i)), code}};
          if (auto added = host.install(one); !added) (void)fail(added.error());
        }
      }
      seconds = ms_since(start) / 1000;
      host.shut_down();
      host.close();
    }
    std::error_code ignored;
    std::filesystem::remove_all(state, ignored);
    return count / std::max(seconds, 1e-9);
  };
  const double bulk = install_rate("copies-bulk", copies, true);
  const double single = install_rate("copies-single", std::min(copies, 1000), false);
  std::printf("copies of one module: %d in one bulk install at %.0f/s; one at a time %.0f/s\n",
              copies, bulk, single);
}

int run_density(const std::vector<int>& steps, Logs logs) {
  const std::filesystem::path base =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const auto root = base / ("orivon-density-bench-" + std::to_string(::getpid()));
  const auto state = root / "state";
  const std::size_t file_limit = raise_open_file_limit();
  ProcReader proc;
  auto open_host = [&] {
    switch (logs) {
      case Logs::Files: return public_api_host(state);
      case Logs::MemoryOnly: return memory_only_logs_host(state);
      case Logs::RawWasmtime: break;
    }
    return raw_wasmtime_host();
  };
  DensityHost host = open_host();
  auto name = [](int i) { return "bench.density.s" + std::to_string(i); };

  std::printf("%s; vm.max_map_count = %zu, open files limit = %zu\n",
              logs == Logs::Files        ? "public API, a log file per service"
              : logs == Logs::MemoryOnly ? "Supervisor with memory-only logs"
                                         : "raw Wasmtime (the baseline: no orivon)",
              read_max_map_count(), file_limit);
  std::printf("Each step installs the new services in one bulk install (distinct modules), "
              "starts them, calls them,\nthen shuts the host down, lists with the CLI, and "
              "starts it again from the compiled-code cache.\n");
  std::printf("%9s %11s %9s %9s %10s %10s %9s %10s %10s %10s %9s %9s %9s %9s %9s\n", "services",
              "KiB/service", "maps/svc", "fds/svc", "installs/s", "starts/s", "steady/s",
              "call p50us", "call p99us", "answering", "shutdown", "free s", "list s", "load s",
              "restart/s");
  std::fflush(stdout);
  int live = 0;
  std::size_t base_rss = 0;
  std::size_t base_maps = 0;
  std::size_t base_files = 0;
  std::mt19937 random(7);
  std::string stopped;
  auto start_range = [&](int from, int to) {
    int started = from;
    for (int i = from; i < to; ++i, ++started) {
      if (auto result = host.start(id(name(i))); !result) {
        stopped = "starting service " + std::to_string(i) + ": " + result.error().to_string();
        break;
      }
    }
    return started;
  };
  // Starts with `live` services live: rounds of stopping a random sample of
  // them and starting it again, kSteadyStarts starts timed in all (the
  // stops are not timed). The same count at every step, so that the rates
  // of two steps compare; the first starts of a small step are few and
  // include the warm-up.
  auto steady_start_rate = [&](int live) -> double {
    constexpr int kSteadyStarts = 2000;
    const int sample = std::max(1, std::min(500, live / 2));
    std::vector<int> order(static_cast<std::size_t>(live));
    for (int i = 0; i < live; ++i) order[static_cast<std::size_t>(i)] = i;
    double seconds = 0;
    int started = 0;
    while (started < kSteadyStarts) {
      for (int i = 0; i < sample; ++i) {
        std::uniform_int_distribution<int> rest(i, live - 1);
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(rest(random))]);
      }
      for (int i = 0; i < sample; ++i) {
        if (!host.stop(id(name(order[static_cast<std::size_t>(i)])))) return -1;
      }
      const auto begin = Clock::now();
      for (int i = 0; i < sample; ++i) {
        if (!host.start(id(name(order[static_cast<std::size_t>(i)])))) return -1;
      }
      seconds += ms_since(begin) / 1000;
      started += sample;
    }
    return started / std::max(seconds, 1e-9);
  };
  for (int step : steps) {
    Modules modules;
    for (int i = live; i < step; ++i) modules.emplace_back(id(name(i)), density_module(i));
    const auto install_start = Clock::now();
    if (auto added = host.install(modules); !added) {
      std::printf("stopped: installing services %d to %d: %s\n", live, step,
                  added.error().to_string().c_str());
      break;
    }
    const double install_seconds = ms_since(install_start) / 1000;
    modules.clear();
    int first = live;
    if (live == 0) {
      // The first service starts the worker pool: the baseline is taken
      // after it.
      if (auto started = host.start(id(name(0))); !started) return fail(started.error());
      base_rss = proc.resident_kib();
      base_maps = proc.mappings();
      base_files = proc.open_files();
      first = 1;
    }
    const auto start = Clock::now();
    const int started_count = start_range(first, step);
    const double start_seconds = ms_since(start) / 1000;
    const int previous = live;
    live = started_count;
    const std::size_t rss = proc.resident_kib();
    const std::size_t maps = proc.mappings();
    const std::size_t files = proc.open_files();
    // Every live service answers.
    int answering = 0;
    for (int i = 0; i < live; ++i) answering += host.call(id(name(i)), "ping()") ? 1 : 0;
    // Latency of a call to a random live service.
    std::vector<double> latencies;
    std::uniform_int_distribution<int> pick(0, live - 1);
    for (int i = 0; i < 2000; ++i) {
      const auto target = id(name(pick(random)));
      const auto call_start = Clock::now();
      (void)host.call(target, "add(1, 2)");
      latencies.push_back(ms_since(call_start) * 1000);
    }
    std::sort(latencies.begin(), latencies.end());
    const double steady = steady_start_rate(live);

    // The whole host again: shut down, list, load from the cache, restart.
    const auto stop_start = Clock::now();
    host.shut_down();
    const double shutdown_seconds = ms_since(stop_start) / 1000;
    const auto close_start = Clock::now();
    host.close();
    // The baseline has no state directory to list or load, and frees its
    // instances in shut_down: those cells are '-'.
    const bool raw = logs == Logs::RawWasmtime;
    const double close_seconds = raw ? -1 : ms_since(close_start) / 1000;
    const double list_seconds = raw ? -1 : time_cli_list(state);
    const auto load_start = Clock::now();
    host = open_host();
    if (auto loaded = host.load(); !loaded) return fail(loaded.error());
    const double load_seconds = raw ? -1 : ms_since(load_start) / 1000;
    const auto restart_start = Clock::now();
    const int restarted = start_range(0, live);
    const double restart_seconds = ms_since(restart_start) / 1000;

    const double per = live > 1 ? live - 1 : 1;
    auto seconds = [](double value) {
      char cell[32];
      if (value < 0) return std::string("        -");
      std::snprintf(cell, sizeof cell, "%8.2fs", value);
      return std::string(cell);
    };
    std::printf(
        "%9d %11.1f %9.2f %9.2f %10.0f %10.0f %9.0f %10.1f %10.1f %10d %s %s %s %s %9.0f\n", live,
        (static_cast<double>(rss) - static_cast<double>(base_rss)) / per,
        (static_cast<double>(maps) - static_cast<double>(base_maps)) / per,
        (static_cast<double>(files) - static_cast<double>(base_files)) / per,
        (step - previous) / std::max(install_seconds, 1e-9),
        (live - first) / std::max(start_seconds, 1e-9), steady, latencies[latencies.size() / 2],
        latencies[latencies.size() * 99 / 100], answering, seconds(shutdown_seconds).c_str(),
        seconds(close_seconds).c_str(), seconds(list_seconds).c_str(),
        seconds(load_seconds).c_str(), restarted / std::max(restart_seconds, 1e-9));
    std::fflush(stdout);
    if (!stopped.empty()) {
      std::printf("stopped: %s\n", stopped.c_str());
      break;
    }
  }
  host.shut_down();
  host.close();
  if (logs == Logs::Files && !steps.empty()) measure_copy_installs(root, steps.back());
  if (std::getenv("ORIVON_BENCH_KEEP_STATE") != nullptr) {
    // For timing other commands on the same state (orivon list, orivon up).
    std::printf("state directory kept: %s\n", state.c_str());
    return 0;
  }
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  return 0;
}

}  // namespace

// A whole decimal count, from 0 to a million.
bool parse_count(const char* text, int& count) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > 1'000'000) return false;
  count = static_cast<int>(value);
  return true;
}

void usage(const char* program) {
  std::printf(
      "usage: %s [IDLE]                 supervision costs with IDLE idle services (default 200)\n"
      "       %s --density N1,N2,... [--memory-only-logs | --raw-wasmtime]\n"
      "                                  the density sweep (ascending steps, each >= 2)\n",
      program, program);
}

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    usage(argv[0]);
    return 0;
  }
  if ((argc == 3 || argc == 4) && std::string(argv[1]) == "--density") {
    Logs logs = Logs::Files;
    if (argc == 4 && std::string(argv[3]) == "--memory-only-logs") logs = Logs::MemoryOnly;
    if (argc == 4 && std::string(argv[3]) == "--raw-wasmtime") logs = Logs::RawWasmtime;
    if (argc == 4 && logs == Logs::Files) {
      std::fprintf(stderr, "error: unknown option '%s'\n", argv[3]);
      usage(argv[0]);
      return 2;
    }
    std::vector<int> steps;
    std::stringstream list(argv[2]);
    for (std::string item; std::getline(list, item, ',');) steps.push_back(std::atoi(item.c_str()));
    if (steps.empty() || !std::is_sorted(steps.begin(), steps.end()) || steps.front() < 2) {
      std::fprintf(stderr,
                   "usage: %s --density N1,N2,... [--memory-only-logs | --raw-wasmtime] "
                   "(ascending, each >= 2)\n",
                   argv[0]);
      return 2;
    }
    return run_density(steps, logs);
  }
  int idle = 200;
  if (argc > 2 || (argc == 2 && !parse_count(argv[1], idle))) {
    std::fprintf(stderr, "error: IDLE must be a count of services, from 0\n");
    usage(argv[0]);
    return 2;
  }
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
