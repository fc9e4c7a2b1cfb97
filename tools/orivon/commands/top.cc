// `orivon top`: the running host in the terminal, refreshed every second:
// its figures on top, then its modules sorted by calls, memory or restarts
// (keys c, m, r; q quits). --once prints one table, --json the status
// itself; both are for scripts and tests. Reads the control socket's
// {"op": "status"} (dashboard/host_snapshot.h).
//
// Only what a module cannot shape reaches the terminal: ids are validated
// ([a-z0-9.-]), kinds and states are the runtime's words, numbers are
// numbers. Descriptions and crash causes (the module's own text, which
// could hold escape sequences) are left to `orivon inspect` and the
// dashboard.

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "commands/management.h"
#include "host/control_socket.h"
#include "host/module_table.h"
#include "host/requests.h"
#include "orivon/runtime.h"
#include "orivon/units.h"

namespace orivon::cli {
namespace {

using nlohmann::json;

enum class SortKey { Calls, Memory, Restarts };

struct TopOptions {
  std::string sort = "calls";
  bool once = false;
  bool json = false;
  std::size_t limit = 0;  // rows; 0: every module the host sent
};

constexpr auto kRefresh = std::chrono::seconds(1);

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted = true; }

std::uint64_t number(const json& object, std::string_view key) {
  const json& value = field(object, key);
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, value.get<std::int64_t>()));
  }
  if (value.is_number_float()) {
    return static_cast<std::uint64_t>(std::max(0.0, value.get<double>()));
  }
  return 0;
}

double real(const json& object, std::string_view key) {
  const json& value = field(object, key);
  return value.is_number() ? value.get<double>() : 0.0;
}

std::string text(const json& object, std::string_view key) {
  const json& value = field(object, key);
  return value.is_string() ? value.get<std::string>() : std::string("?");
}

std::string duration_text(std::uint64_t ms) {
  if (ms == 0) return "-";
  std::uint64_t s = ms / 1000;
  char out[32];
  if (s >= 86400) {
    std::snprintf(out, sizeof out, "%llud%lluh", static_cast<unsigned long long>(s / 86400),
                  static_cast<unsigned long long>(s % 86400 / 3600));
  } else if (s >= 3600) {
    std::snprintf(out, sizeof out, "%lluh%llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(out, sizeof out, "%llum%llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(out, sizeof out, "%llus", static_cast<unsigned long long>(s));
  }
  return out;
}

// The host's status, or why there is none.
Result<json> fetch_status(const std::filesystem::path& socket) {
  ORIVON_TRY(auto reply, send_to_host(socket, {{"op", "status"}}));
  if (!reply) {
    return Error(ErrorCode::FailedPrecondition,
                 "no host is up: 'orivon top' shows a running host; start one with 'orivon up'");
  }
  if (!reply->value("ok", false)) return error_from_reply(*reply);
  const json& result = field(*reply, "result");
  if (!result.is_object() || !field(result, "modules").is_array()) {
    return Error(ErrorCode::Internal, "malformed status from the host");
  }
  return result;
}

struct Sample {
  json status;
  std::chrono::steady_clock::time_point time;
};

// One screen: the host's figures, then the modules sorted by `key`. With a
// previous sample, rates (calls/s, CPU) over the time between the two.
std::string render(const Sample& now, const std::optional<Sample>& before, SortKey key,
                   std::size_t limit) {
  const json& host = field(now.status, "host");
  double seconds = 0;
  std::map<std::string, std::uint64_t> calls_before;
  if (before) {
    seconds = std::chrono::duration<double>(now.time - before->time).count();
    for (const auto& module : field(before->status, "modules")) {
      calls_before[text(module, "id")] = number(module, "calls");
    }
  }
  const auto rate = [&](std::uint64_t now_count, std::uint64_t before_count) -> std::string {
    if (!before || seconds <= 0 || now_count < before_count) return "-";
    char out[32];
    std::snprintf(out, sizeof out, "%.1f", static_cast<double>(now_count - before_count) / seconds);
    return out;
  };

  std::ostringstream out;
  const json& states = field(host, "modules_by_state");
  char cpu[32] = "-";
  if (before && seconds > 0) {
    const double used =
        real(host, "cpu_seconds") - real(field(before->status, "host"), "cpu_seconds");
    std::snprintf(cpu, sizeof cpu, "%.1f%%", 100 * used / seconds);
  }
  out << "orivon host  up " << duration_text(number(host, "uptime_ms")) << "  cpu " << cpu
      << "  resident " << size_text(number(host, "resident_bytes")) << "  instances "
      << format_count(number(host, "live_instances")) << "\n";
  out << "modules " << format_count(number(now.status, "module_count")) << ": "
      << number(states, "running") << " running, " << number(states, "stopped") << " stopped, "
      << number(states, "crashed") << " crashed, " << number(states, "installed")
      << " installed   calls/s "
      << rate(number(host, "calls"), before ? number(field(before->status, "host"), "calls") : 0)
      << "  traps " << number(host, "traps") << "  denied " << number(host, "denied_calls")
      << "  restarts " << number(host, "restarts") << "\n";
  const json& events = field(host, "events");
  out << "events " << number(events, "published") << " published, " << number(events, "delivered")
      << " delivered, " << number(events, "failed") << " failed, " << number(events, "dropped")
      << " dropped, " << number(host, "events_pending") << " pending   kv "
      << number(host, "kv_buckets") << " buckets, " << number(host, "kv_keys") << " keys\n\n";

  std::vector<const json*> modules;
  for (const auto& module : field(now.status, "modules")) modules.push_back(&module);
  const char* sort_field = key == SortKey::Calls    ? "calls"
                           : key == SortKey::Memory ? "memory_bytes"
                                                    : "restarts";
  std::stable_sort(modules.begin(), modules.end(), [&](const json* a, const json* b) {
    return number(*a, sort_field) > number(*b, sort_field);
  });
  if (limit != 0 && modules.size() > limit) modules.resize(limit);

  char line[512];
  std::snprintf(line, sizeof line, "%-40s %-8s %-9s %8s %8s %10s %8s %6s %10s %11s %11s\n",
                "MODULE", "KIND", "STATE", "UPTIME", "RESTARTS", "CALLS", "CALLS/S", "TRAPS",
                "MEMORY", "P50", "P99");
  out << line;
  for (const json* module : modules) {
    const std::string id = text(*module, "id");
    auto previous = calls_before.find(id);
    const std::string calls_rate =
        previous == calls_before.end() ? "-" : rate(number(*module, "calls"), previous->second);
    const bool service = text(*module, "kind") == "service";
    std::snprintf(line, sizeof line, "%-40s %-8s %-9s %8s %8llu %10llu %8s %6llu %10s %11s %11s\n",
                  id.c_str(), text(*module, "kind").c_str(), text(*module, "state").c_str(),
                  duration_text(number(*module, "uptime_ms")).c_str(),
                  static_cast<unsigned long long>(number(*module, "restarts")),
                  static_cast<unsigned long long>(number(*module, "calls")), calls_rate.c_str(),
                  static_cast<unsigned long long>(number(*module, "traps")),
                  service && module->contains("memory_bytes")
                      ? size_text(number(*module, "memory_bytes")).c_str()
                      : "-",
                  text(*module, "latency_p50").c_str(), text(*module, "latency_p99").c_str());
    out << line;
  }
  if (number(now.status, "modules_shown") < number(now.status, "module_count")) {
    out << "(the host sent the first " << number(now.status, "modules_shown")
        << " modules by id)\n";
  }
  return out.str();
}

// Raw keys from the terminal while it lives (no line buffering, no echo);
// Ctrl-C still interrupts.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

int run_top(const GlobalOptions& global, const TopOptions& options, std::ostream& out,
            std::ostream& err) {
  SortKey key = options.sort == "memory"     ? SortKey::Memory
                : options.sort == "restarts" ? SortKey::Restarts
                                             : SortKey::Calls;
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << noted(state_dir.error()).to_string() << "\n";
    return kExitError;
  }
  const auto socket = control_socket_path(*state_dir);
  const auto sample = [&]() -> Result<Sample> {
    ORIVON_TRY(auto status, fetch_status(socket));
    return Sample{std::move(status), std::chrono::steady_clock::now()};
  };

  if (options.once || options.json) {
    auto now = sample();
    if (!now) {
      err << "error: " << noted(now.error()).to_string() << "\n";
      return kExitError;
    }
    if (options.json) {
      out << to_line(now->status);
    } else {
      out << render(*now, std::nullopt, key, options.limit);
    }
    return 0;
  }

  // Ctrl-C ends the loop (and restores the terminal) instead of the process.
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  const bool keys = ::isatty(STDIN_FILENO) != 0;
  const bool screen = ::isatty(STDOUT_FILENO) != 0;
  std::optional<RawTerminal> terminal;
  if (keys) terminal.emplace();

  const auto show = [&](const std::string& frame) {
    if (screen) out << "\x1b[H\x1b[2J";  // home, clear
    out << frame;
    if (keys) {
      const char* sort = key == SortKey::Calls    ? "calls"
                         : key == SortKey::Memory ? "memory"
                                                  : "restarts";
      out << "\nsorted by " << sort << "; keys: c calls, m memory, r restarts, q quits\n";
    }
    if (!screen) out << "\n";
    out.flush();
  };
  std::optional<Sample> older;   // the reading before `before`, for rates after a key
  std::optional<Sample> before;
  while (!interrupted) {
    auto now = sample();
    if (!now) {
      err << "error: " << noted(now.error()).to_string() << "\n";
      return kExitError;
    }
    show(render(*now, before, key, options.limit));
    older = std::move(before);
    before = std::move(*now);
    // Wait for the next refresh, reading keys meanwhile.
    const auto next = std::chrono::steady_clock::now() + kRefresh;
    while (!interrupted) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd entry{STDIN_FILENO, POLLIN, 0};
      if (!keys || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) {
        if (!keys) ::poll(nullptr, 0, static_cast<int>(left.count()));
        continue;
      }
      char typed = 0;
      if (::read(STDIN_FILENO, &typed, 1) != 1) continue;
      if (typed == 'q' || typed == 'Q') return 0;
      if (typed == 'c') key = SortKey::Calls;
      if (typed == 'm') key = SortKey::Memory;
      if (typed == 'r') key = SortKey::Restarts;
      show(render(*before, older, key, options.limit));
    }
  }
  return 0;
}

}  // namespace

CommandAction setup_top(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<TopOptions>();
  CLI::App* command = app.add_subcommand(
      "top", "Watch the running host: its figures and its modules, refreshed every second");
  command->add_option("--sort", options->sort, "Sort modules by calls, memory or restarts")
      ->check(CLI::IsMember({"calls", "memory", "restarts"}))
      ->capture_default_str();
  command->add_option("-n,--limit", options->limit, "Show at most N modules (default: all)")
      ->type_name("N")
      ->check(kAtLeastOne);
  command->add_flag("--once", options->once, "Print one table and exit");
  command->add_flag("--json", options->json, "Print the host's status as JSON once and exit");
  command->footer(
      "Keys while it runs: c, m, r sort by calls, memory, restarts; q (or Ctrl-C) quits.\n"
      "Rates (calls/s, CPU) need two readings, so --once shows '-' for them. p50/p99 are the\n"
      "bounds of the doubling buckets call durations are counted in.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_top(global, *options, out, err);
  };
}

}  // namespace orivon::cli
