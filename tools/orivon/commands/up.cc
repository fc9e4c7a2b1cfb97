// `orivon up`: runs the host in the foreground. It re-establishes every
// installed module (from the compiled-code cache when it can), then serves
// management commands on the control socket until Ctrl-C or SIGTERM; with
// --dashboard, also the web dashboard (dashboard/dashboard_server.h).

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "cli.h"
#include "commands/commands.h"
#include "dashboard/access.h"
#include "dashboard/dashboard_server.h"
#include "dashboard/host_snapshot.h"
#include "host/control_socket.h"
#include "host/requests.h"
#include "orivon/runtime.h"
#include "orivon/units.h"

namespace orivon::cli {
namespace {

// How long `up` waits for CLIs that are changing the state directly.
constexpr auto kLockWait = std::chrono::seconds(10);

struct UpOptions {
  std::string memory_budget;
  std::string max_mappings;
  std::string function_slots;  // --function-slots N; empty: the default
  std::string dashboard;  // --dashboard ADDR; empty: no dashboard
  std::string http;       // --http ADDR; empty: no HTTP
  std::string nats;       // --nats URL; empty: this host is alone
  std::string nats_credentials;
  std::string nats_prefix = "orivon";
  std::string host_name;
};

// --http's ADDR as the server reads it: "PORT" and "localhost:PORT" mean
// 127.0.0.1:PORT; the rest is IP:PORT or [IPV6]:PORT as written.
std::string http_address(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    return "127.0.0.1:" + text;
  }
  if (text.starts_with("localhost:")) return "127.0.0.1:" + text.substr(10);
  return text;
}

// The address file tells `orivon dashboard-url` where the dashboard is;
// removed when the host stops.
class AddressFile {
 public:
  explicit AddressFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~AddressFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  AddressFile(const AddressFile&) = delete;
  AddressFile& operator=(const AddressFile&) = delete;

  [[nodiscard]] Result<void> write(const std::string& address) {
    std::ofstream file(path_, std::ios::trunc);
    file << address << "\n";
    file.close();
    if (!file) {
      return Error(ErrorCode::Unavailable, "cannot write '" + path_.string() + "'");
    }
    return {};
  }

 private:
  std::filesystem::path path_;
};

// Below this vm.max_map_count, fewer than about 60,000 small services fit.
constexpr std::uint64_t kLowMaxMapCount = 262'144;

// One line on what fits, and a warning with the fix when the kernel's
// mapping limit is what will stop the host early.
void print_capacity(const CapacityReport& capacity, std::ostream& out, std::ostream& err) {
  out << "capacity: about " << format_count(capacity.more_instances)
      << " more instances; memory mappings " << format_count(capacity.mappings) << " of "
      << format_count(capacity.max_mappings) << ", resident memory "
      << format_count(capacity.resident_bytes >> 20) << " MiB of a "
      << format_count(capacity.memory_budget_bytes >> 20) << " MiB budget" << std::endl;
  if (capacity.kernel_max_map_count != 0 && capacity.kernel_max_map_count < kLowMaxMapCount) {
    err << "warning: the kernel allows " << format_count(capacity.kernel_max_map_count)
        << " memory mappings per process (vm.max_map_count), about 4 per running service;\n"
        << "         past them new instances are refused. To host more, as root:\n"
        << "         sysctl -w vm.max_map_count=1048576   (and put it in /etc/sysctl.d/ to keep it)"
        << std::endl;
  }
}

// The control socket's reply to {"op": "status"}: the snapshot that
// `orivon top` shows.
nlohmann::json status_reply(Runtime& runtime,
                            std::chrono::steady_clock::time_point host_started) noexcept {
  try {
    auto snapshot = take_snapshot(runtime, host_started);
    if (!snapshot) return error_reply(snapshot.error());
    return {{"ok", true}, {"result", to_json(*snapshot)}};
  } catch (const std::exception& e) {
    return error_reply(Error(ErrorCode::Internal, std::string("status: ") + e.what()));
  }
}

// What `up` prints as it happens: crashes (with their cause, which says
// when the restart budget is spent) and restarts. Runs on the thread where
// the change happened; `out` is shared with the serving thread's lines.
class StateChangePrinter {
 public:
  explicit StateChangePrinter(std::ostream& out) : out_(out) {}

  void print(const StateChange& change) {
    std::string line;
    if (change.to == ModuleState::Crashed) {
      line = change.id.str() + " crashed" + (change.cause.empty() ? "" : ": " + change.cause);
    } else if (change.from == ModuleState::Crashed && change.to == ModuleState::Starting) {
      line = change.id.str() + " restarting";
    } else if (change.to == ModuleState::Stopped && !change.cause.empty()) {
      line = change.id.str() + " stopped: " + change.cause;  // it ended by itself
    } else {
      return;
    }
    std::lock_guard lock(mutex_);
    out_ << line << std::endl;
  }

 private:
  std::ostream& out_;
  std::mutex mutex_;
};

// The host's cap on live function instances (RuntimeOptions::function_pool_slots):
// more slots than that could never be used.
constexpr std::uint64_t kMaxFunctionSlots = 1024;

long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - since)
                               .count());
}

int run_up(const GlobalOptions& global, const UpOptions& command, std::ostream& out,
             std::ostream& err) {
  RuntimeOptions options;
  for (const auto& [flag, text, parse, limit] :
       {std::tuple{"--memory-budget", &command.memory_budget, &parse_size,
                   &options.capacity.memory_bytes},
        std::tuple{"--max-mappings", &command.max_mappings, &parse_count,
                   &options.capacity.max_mappings}}) {
    if (text->empty()) continue;
    auto value = parse(*text);
    if (!value || *value == 0) {
      err << "error: " << flag << ": " << (value ? "must be more than 0" : value.error().message())
          << "\n";
      return kExitUsage;
    }
    *limit = *value;
  }
  if (!command.function_slots.empty()) {
    auto slots = parse_count(command.function_slots);
    if (!slots || *slots == 0 || *slots > kMaxFunctionSlots) {
      err << "error: --function-slots: must be a whole number from 1 to "
          << kMaxFunctionSlots << "\n";
      return kExitUsage;
    }
    options.function_pool_slots = static_cast<std::uint32_t>(*slots);
  }
  if (!command.nats.empty()) {
    options.cluster.nats_url = command.nats;
    options.cluster.credentials_file = command.nats_credentials;
    options.cluster.subject_prefix = command.nats_prefix;
    options.cluster.host_name = command.host_name;
  } else if (!command.nats_credentials.empty() || command.nats_prefix != "orivon" ||
             !command.host_name.empty()) {
    err << "error: --nats-creds, --nats-prefix and --host-name need --nats URL\n";
    return kExitUsage;
  }
  std::optional<DashboardAddress> dashboard_address;
  if (!command.dashboard.empty()) {
    auto parsed = parse_dashboard_address(command.dashboard);
    if (!parsed) {
      err << "error: " << noted(parsed.error()).message() << "\n";
      return kExitUsage;
    }
    dashboard_address = *parsed;
  }

  // SIGINT and SIGTERM are read from a signalfd by the serving loop, so they
  // must be blocked in every thread: block them before any thread exists.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  int stop_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (stop_fd < 0) {
    err << "error: signalfd: " << std::strerror(errno) << "\n";
    return kExitError;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{stop_fd};

  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << noted(state_dir.error()).to_string() << "\n";
    return kExitError;
  }
  if (::mkdir(state_dir->c_str(), 0700) != 0 && errno != EEXIST) {
    err << "error: cannot create state directory '" << state_dir->string()
        << "': " << std::strerror(errno) << "\n";
    return kExitError;
  }
  auto lock = HostLock::acquire_for_host(*state_dir, kLockWait, [&] {
    err << "waiting up to " << kLockWait.count() << " s for commands acting on "
        << state_dir->string() << " directly to finish..." << std::endl;
  });
  if (!lock) {
    err << "error: " << noted(lock.error()).to_string() << "\n";
    return kExitError;
  }

  const auto start = std::chrono::steady_clock::now();
  options.state_dir = *state_dir;
  // The host exits right after it closes: the kernel frees its instances'
  // memory at once, faster than unmapping them one by one (seconds at
  // 100,000 services).
  options.release_memory_on_destroy = false;
  // Declared before the runtime: its services tell it of changes until the
  // runtime is gone.
  StateChangePrinter changes(out);
  auto runtime = Runtime::create(options);
  if (!runtime) {
    err << "error: " << noted(runtime.error()).to_string() << "\n";
    return runtime.error().code() == ErrorCode::InvalidArgument ? kExitUsage : kExitError;
  }
  if (!command.nats.empty()) {
    // The bus (and with it the link's consumer) exists from here on, even
    // with no service to start.
    auto events = (*runtime)->events();
    if (!events || !events->cluster) {
      err << "error: events through NATS: "
          << (events ? std::string("no link") : noted(events.error()).to_string()) << "\n";
      return kExitError;
    }
    out << "events shared through NATS at " << events->cluster->url << " as host '"
        << events->cluster->host << "' (" << events->cluster->state << ")" << std::endl;
  }
  auto report = (*runtime)->load_installed();
  if (!report) {
    err << "error: " << noted(report.error()).to_string() << "\n";
    return kExitError;
  }
  out << "loaded " << report->modules << " modules (" << report->from_cache
      << " from the compiled-code cache, " << report->compiled << " compiled) in "
      << elapsed_ms(start) << " ms" << std::endl;
  const std::uint64_t subscription =
      (*runtime)->subscribe([&changes](const StateChange& change) { changes.print(change); });
  auto started = (*runtime)->start_autostart_services();
  if (!started) {
    err << "error: " << noted(started.error()).to_string() << "\n";
    return kExitError;
  }
  out << "started " << *started << " services" << std::endl;
  if (auto triggers = (*runtime)->start_triggers(); !triggers) {
    err << "error: " << noted(triggers.error()).to_string() << "\n";
    return kExitError;
  }
  print_capacity((*runtime)->capacity(), out, err);

  const auto socket = control_socket_path(*state_dir);
  auto server = ControlServer::listen(socket);
  if (!server) {
    err << "error: " << noted(server.error()).to_string() << "\n";
    return kExitError;
  }

  std::unique_ptr<Dashboard> dashboard;
  std::optional<AddressFile> address_file;
  if (dashboard_address) {
    auto token = ensure_dashboard_token(*state_dir);
    if (!token) {
      err << "error: " << noted(token.error()).to_string() << "\n";
      return kExitError;
    }
    auto started_dashboard = Dashboard::start(**runtime, *dashboard_address, *token, start);
    if (!started_dashboard) {
      err << "error: dashboard: " << started_dashboard.error().to_string() << "\n";
      return kExitError;
    }
    dashboard = std::move(*started_dashboard);
    address_file.emplace(dashboard_address_path(*state_dir));
    if (auto written = address_file->write(dashboard->address()); !written) {
      err << "error: " << noted(written.error()).to_string() << "\n";
      return kExitError;
    }
    out << "dashboard on http://" << dashboard->address()
        << "/ (needs its token: 'orivon dashboard-url' prints the whole URL)" << std::endl;
  }

  // Routes apply as they change; a request never reaches a guest before
  // the host is fully up.
  std::optional<AddressFile> http_file;
  if (!command.http.empty()) {
    auto bound = (*runtime)->serve_http(http_address(command.http));
    if (!bound) {
      err << "error: --http: " << bound.error().message() << "\n";
      return bound.error().code() == ErrorCode::InvalidArgument ? kExitUsage : kExitError;
    }
    http_file.emplace(*state_dir / "http-address");
    if (auto written = http_file->write(*bound); !written) {
      err << "error: " << written.error().to_string() << "\n";
      return kExitError;
    }
    out << "http on http://" << *bound << "/ (routes: 'orivon routes')" << std::endl;
  }

  out << "orivon host up (pid " << ::getpid() << "): state " << state_dir->string()
      << ", control socket " << socket.string() << "; Ctrl-C or SIGTERM stops it" << std::endl;

  auto served = server->serve(stop_fd, [&](const nlohmann::json& request) {
    // `status` is the running host's own: what `orivon top` shows.
    if (const auto op = request.find("op"); op != request.end() && *op == "status") {
      return to_line(status_reply(**runtime, start));
    }
    return handle_request_line(**runtime, request, Responder::Host);
  });
  dashboard.reset();  // no more requests from the page while the services stop
  address_file.reset();
  if (!served) {
    err << "error: " << noted(served.error()).to_string() << "\n";
    return kExitError;
  }
  (*runtime)->unsubscribe(subscription);
  out << "stopping: services newest first, sharing one grace period" << std::endl;
  // One line for them all: a service's own log says it stopped only when
  // its `stop` export ran.
  const ShutdownSummary stopped = (*runtime)->shut_down();
  out << "stopped " << stopped.services << " services in " << stopped.took.count() << " ms ("
      << stopped.stop_exports << " ran their stop export, " << stopped.stop_failures
      << " failed in it, " << stopped.interrupted << " interrupted)" << std::endl;
  runtime->reset();  // closes the state
  out << "host stopped" << std::endl;
  return 0;
}

}  // namespace

CommandAction setup_up(CLI::App& app, const GlobalOptions& global) {
  CLI::App* command = app.add_subcommand(
      "up", "Run the host in the foreground: load every installed module, serve management "
            "commands");
  command->footer(
      "The state directory is --state, else $ORIVON_STATE, else $XDG_STATE_HOME/orivon, else\n"
      "~/.local/state/orivon. Management commands (add, remove, update, list, inspect) reach\n"
      "the host through its control socket there; with no host up they change the state "
      "directly.\n"
      "Capacity: an instance that would pass a limit is refused (the service is crashed with\n"
      "the limit as its cause) and everything running carries on. Limits: memory mappings\n"
      "(vm.max_map_count less a reserve), address space, and the memory budget.");
  auto options = std::make_shared<UpOptions>();
  command
      ->add_option("--memory-budget", options->memory_budget,
                   "Refuse new instances once the host's resident memory reaches SIZE "
                   "(default: 80% of physical memory)")
      ->type_name("SIZE");
  command
      ->add_option("--max-mappings", options->max_mappings,
                   "Refuse new instances once the process holds N memory mappings (default: "
                   "vm.max_map_count less 5%)")
      ->type_name("N");
  command
      ->add_option("--function-slots", options->function_slots,
                   "Pooled slots for function instances (HTTP requests, calls, timer and event "
                   "runs) at once; more are refused as busy (503 over HTTP). Default: 1024")
      ->type_name("N");
  command
      ->add_option("--dashboard", options->dashboard,
                   "Serve the web dashboard and /metrics on ADDR: PORT (on 127.0.0.1), "
                   "HOST:PORT or [IPV6]:PORT; port 0 picks a free one. Off by default; "
                   "'orivon dashboard-url' prints its URL with the access token")
      ->type_name("ADDR");
  command
      ->add_option("--http", options->http,
                   "Serve HTTP on ADDR: PORT (on 127.0.0.1), IP:PORT or [IPV6]:PORT; port 0 "
                   "picks a free one (printed, and written to STATE/http-address). Requests go "
                   "to function modules by route: see 'orivon route --help'")
      ->type_name("ADDR");
  command
      ->add_option("--nats", options->nats,
                   "Share events with other hosts through the NATS server (with JetStream) at "
                   "URL, e.g. nats://127.0.0.1:4222. The host starts even if the server is away "
                   "and connects when it can")
      ->type_name("URL");
  command
      ->add_option("--nats-creds", options->nats_credentials,
                   "Credentials for --nats, read from FILE (never from the command line): a NATS "
                   ".creds file, or one line `user:password` or a token")
      ->type_name("FILE");
  command
      ->add_option("--nats-prefix", options->nats_prefix,
                   "Topics are NATS subjects under PREFIX (default orivon); hosts with the same "
                   "prefix share events")
      ->type_name("PREFIX");
  command
      ->add_option("--host-name", options->host_name,
                   "This host's name among the hosts on --nats (default: a random one kept in "
                   "STATE/host-id)")
      ->type_name("NAME");
  return [&global, options](std::ostream& out, std::ostream& err) {
    return run_up(global, *options, out, err);
  };
}

}  // namespace orivon::cli
