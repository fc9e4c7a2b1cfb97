// `orivon run [OPTIONS] FILE [ARGS...]`: runs one WASI program, a core module
// or a component, with nothing granted but what the options name.

#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "orivon/grants.h"
#include "orivon/net_rules.h"
#include "orivon/runtime.h"
#include "orivon/units.h"

namespace orivon::cli {
namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> dirs;
  std::vector<std::string> dirs_read_only;
  std::vector<std::string> env;
  bool network = false;
  std::vector<std::string> allow_connect;
  std::vector<std::string> allow_listen;
  std::vector<std::string> allow_http;
  std::string invoke;
  std::string timeout;
  std::string max_memory;
  std::string fuel;
  bool no_cache = false;
};

// "HOST[::GUEST]"; without a guest path the directory appears under the
// path as written, like `wasmtime run --dir`.
DirGrant parse_dir(const std::string& text, DirAccess access) {
  auto separator = text.find("::");
  if (separator == std::string::npos) return DirGrant{text, text, access};
  return DirGrant{text.substr(0, separator), text.substr(separator + 2), access};
}

int fail(std::ostream& err, const Error& error, int code = kExitError) {
  err << "error: " << noted(error).to_string() << "\n";
  return code;
}

int guest_failure(std::ostream& err, const Error& error) {
  const bool guest_fault = error.code() == ErrorCode::Trapped ||
                           error.code() == ErrorCode::DeadlineExceeded ||
                           error.code() == ErrorCode::ResourceExhausted;
  return fail(err, error, guest_fault ? kExitTrapped : kExitError);
}

// A guest exit status reported as a process exit status (0..255).
int exit_status(int code) { return code & 0xff; }

int run(const RunOptions& options, const std::vector<std::string>& guest_args, std::ostream& out,
        std::ostream& err) {
  WasiProfile profile;
  profile.args.push_back(options.file);
  profile.args.insert(profile.args.end(), guest_args.begin(), guest_args.end());
  for (const auto& entry : options.env) {
    auto equals = entry.find('=');
    if (equals == 0 || entry.empty()) {
      return fail(err, Error(ErrorCode::InvalidArgument,
                             "--env '" + entry + "': expected NAME=VALUE or NAME"), kExitUsage);
    }
    if (equals != std::string::npos) {
      profile.env.emplace_back(entry.substr(0, equals), entry.substr(equals + 1));
    } else if (const char* value = std::getenv(entry.c_str())) {
      profile.env.emplace_back(entry, value);
    }
  }
  for (const auto& dir : options.dirs) profile.dirs.push_back(parse_dir(dir, DirAccess::ReadWrite));
  for (const auto& dir : options.dirs_read_only) {
    profile.dirs.push_back(parse_dir(dir, DirAccess::ReadOnly));
  }
  profile.network = options.network ? Network::Full : Network::Denied;
  // A refused socket use says why on stderr (the guest only sees access-denied).
  profile.on_network_refused = [&err](std::string_view text) {
    err << "orivon: network: " << text << " (see --allow-connect, --allow-listen, --net)\n";
  };
  for (auto [kind, values, flag] : {std::tuple{NetRule::Kind::Connect, &options.allow_connect,
                                               "--allow-connect"},
                                    std::tuple{NetRule::Kind::Listen, &options.allow_listen,
                                               "--allow-listen"}}) {
    for (const auto& value : *values) {
      auto rule = parse_net_rule(kind, value);
      if (!rule) return fail(err, Error::wrap(flag, rule.error()), kExitUsage);
      profile.net_rules.push_back(*std::move(rule));
    }
  }
  if (!profile.net_rules.empty()) {
    if (options.network) {
      return fail(err, Error(ErrorCode::InvalidArgument,
                             "--net already grants all network access; use either --net or "
                             "--allow-connect/--allow-listen"), kExitUsage);
    }
    profile.network = Network::Rules;
  }
  for (const auto& origin : options.allow_http) {
    auto grant = parse_grant("http:" + origin);
    if (!grant) return fail(err, Error::wrap("--allow-http", grant.error()), kExitUsage);
    profile.http_origins.push_back(std::get<HttpGrant>(*grant).origin);
  }

  ExecutionLimits limits;
  if (!options.timeout.empty()) {
    auto timeout = parse_duration(options.timeout);
    if (!timeout) return fail(err, Error::wrap("--timeout", timeout.error()), kExitUsage);
    limits.timeout = *timeout;
  }
  if (!options.max_memory.empty()) {
    auto size = parse_size(options.max_memory);
    if (!size) return fail(err, Error::wrap("--max-memory", size.error()), kExitUsage);
    limits.max_memory_bytes = *size;
  }
  if (!options.fuel.empty()) {
    auto fuel = parse_count(options.fuel);
    if (!fuel) return fail(err, Error::wrap("--fuel", fuel.error()), kExitUsage);
    limits.fuel = *fuel;
  }

  RuntimeOptions runtime_options;
  runtime_options.fuel = limits.fuel ? FuelMetering::On : FuelMetering::Off;
  auto runtime = Runtime::create(runtime_options);
  if (!runtime) return fail(err, runtime.error());
  // Compiled code is kept by content hash (include/orivon/code_cache.h), so
  // running the same program again skips compilation.
  auto program = options.no_cache ? (*runtime)->load_file(options.file)
                                  : (*runtime)->load_file(options.file, CodeCacheOptions{});
  if (!program) return fail(err, program.error());

  if (!options.invoke.empty()) {
    auto outcome = (*runtime)->invoke(*program, options.invoke, profile, limits);
    if (!outcome) return guest_failure(err, outcome.error());
    if (outcome->exit_code) return exit_status(*outcome->exit_code);
    if (!outcome->results.empty()) out << outcome->results << "\n";
    return 0;
  }
  auto outcome = (*runtime)->run(*program, profile, limits);
  if (!outcome) return guest_failure(err, outcome.error());
  return exit_status(outcome->exit_code);
}

}  // namespace

const std::vector<std::string>& run_options_with_values() {
  static const std::vector<std::string> options = {
      "--dir",    "--dir-ro",  "--env",  "--allow-connect", "--allow-listen",
      "--allow-http", "--invoke", "--timeout", "--fuel", "--max-memory"};
  return options;
}

CommandAction setup_run(CLI::App& app, const std::vector<std::string>& guest_args) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run_command = app.add_subcommand(
      "run", "Run a WASI program (core module or component) with only the access granted here");
  run_command->footer(
      "Everything after FILE is passed to the program. Nothing is granted unless asked for.\n"
      "Exit status: the program's own; 1 if orivon could not run it; 2 for a bad command "
      "line;\n134 if the program trapped, ran past --timeout or out of --fuel.");
  run_command->add_option("FILE", options->file, "WebAssembly binary (or text) to run")
      ->required();
  run_command->add_option("--dir", options->dirs, "Grant read-write access to a host directory")
      ->type_name("HOST[::GUEST]");
  run_command
      ->add_option("--dir-ro", options->dirs_read_only, "Grant read-only access to a host directory")
      ->type_name("HOST[::GUEST]");
  run_command
      ->add_option("--env", options->env,
                   "Set an environment variable, or pass one through from orivon's")
      ->type_name("NAME[=VALUE]");
  run_command->add_flag("--net", options->network,
                        "Grant UNRESTRICTED network access: connect to and listen on any "
                        "address and port, UDP, name lookup. Prefer --allow-connect and "
                        "--allow-listen");
  run_command
      ->add_option("--allow-connect", options->allow_connect,
                   "Allow TCP connections and UDP datagrams to these addresses and ports; "
                   "repeatable. HOST: '*', an address, a CIDR block, [IPv6] or a host name")
      ->type_name("HOST:PORT[-PORT]");
  run_command
      ->add_option("--allow-listen", options->allow_listen,
                   "Allow binding and listening on these local addresses and ports; repeatable "
                   "(0.0.0.0:8080 or *:8080 for every interface)")
      ->type_name("HOST:PORT[-PORT]");
  run_command
      ->add_option("--allow-http", options->allow_http,
                   "Allow outbound HTTP requests (wasi:http) to this origin, like "
                   "https://api.example.com or http://127.0.0.1:8080; repeatable. Other origins "
                   "get HTTP-request-denied")
      ->type_name("ORIGIN");
  run_command
      ->add_option("--invoke", options->invoke,
                   "Call an export instead of running main; arguments in WAVE for components")
      ->type_name("'NAME(ARGS)'");
  run_command->add_option("--timeout", options->timeout, "Interrupt the program after this long")
      ->type_name("DURATION");
  run_command
      ->add_option("--fuel", options->fuel,
                   "Stop the program after it consumes this much fuel (about one unit per "
                   "instruction)")
      ->type_name("N");
  run_command
      ->add_option("--max-memory", options->max_memory,
                   "Largest size of each linear memory, like 64MiB")
      ->type_name("SIZE");
  run_command->add_flag("--no-cache", options->no_cache,
                        "Compile the program afresh and keep nothing: without it, compiled code "
                        "is kept in $XDG_CACHE_HOME/orivon/compiled (or ~/.cache/orivon/compiled, "
                        "at most 512 MiB) by content hash");
  return [options, guest_args](std::ostream& out, std::ostream& err) {
    return run(*options, guest_args, out, err);
  };
}

}  // namespace orivon::cli
