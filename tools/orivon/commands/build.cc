// `orivon build [DIR]`: runs make in a module's directory (from `orivon new`)
// with the guest toolchain orivon was set up with in the environment.

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "commands/commands.h"
#include "scaffold/toolchain.h"

extern char** environ;

namespace orivon::cli {
namespace {

struct BuildOptions {
  std::string dir = ".";
  bool json = false;
};

// The component or module files in `dir`, not the intermediate *.core.wasm.
std::vector<std::filesystem::path> built_modules(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const bool wasm = name.size() > 5 && name.ends_with(".wasm");
    if (wasm && !name.ends_with(".core.wasm") && entry.is_regular_file(ec)) {
      found.push_back(entry.path());
    }
  }
  return found;
}

// Runs make -C dir with `entries` in its environment; make's own output goes
// to stderr (stdout stays for --json). Its exit status, or -1 with `why`.
int run_make(const std::filesystem::path& dir, const std::vector<ToolchainEntry>& entries,
             std::string& why) {
  std::vector<std::string> env;
  std::string path_prefix;
  for (const auto& entry : entries) {
    if (entry.path.empty()) continue;
    env.push_back(entry.name + "=" + entry.path);
    if (entry.name == "ORIVON_WASM_TOOLS" || entry.name == "ORIVON_WIT_BINDGEN") {
      path_prefix += std::filesystem::path(entry.path).parent_path().string() + ":";
    }
  }
  for (char** it = environ; *it != nullptr; ++it) {
    std::string variable(*it);
    const std::string key = variable.substr(0, variable.find('='));
    bool ours = false;
    for (const auto& entry : entries) ours = ours || (key == entry.name && !entry.path.empty());
    if (ours) continue;
    if (key == "PATH") variable = "PATH=" + path_prefix + variable.substr(5);
    env.push_back(std::move(variable));
  }
  std::vector<char*> envp;
  for (auto& variable : env) envp.push_back(variable.data());
  envp.push_back(nullptr);

  std::string make = "make", flag = "-C", where = dir.string();
  std::vector<char*> argv = {make.data(), flag.data(), where.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "make", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    why = std::string("cannot run make: ") + std::strerror(spawned) +
          " (install it: apt-get install make)";
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      why = std::string("waiting for make: ") + std::strerror(errno);
      return -1;
    }
  }
  if (WIFSIGNALED(status)) {
    why = "make was killed by signal " + std::to_string(WTERMSIG(status));
    return -1;
  }
  return WEXITSTATUS(status);
}

int run_build(const BuildOptions& options, std::ostream& out, std::ostream& err) {
  const std::filesystem::path dir = options.dir;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "Makefile", ec)) {
    err << "error: '" << dir.string()
        << "' has no Makefile; make a module with 'orivon new KIND NAME', or build it your own "
           "way (orivon env prints the toolchain)\n";
    return kExitError;
  }
  const auto entries = guest_toolchain();
  const bool go = std::filesystem::exists(dir / "go.mod", ec);
  if (const auto missing = missing_tools(entries, go); !missing.empty()) {
    for (const auto& what : missing) err << "error: not found: " << what << "\n";
    err << "run scripts/setup.sh of the orivon checkout this binary came from, or set the "
           "variables to the tools' paths (orivon env --help)\n";
    return kExitError;
  }
  std::string why;
  const int status = run_make(dir, entries, why);
  if (status < 0) {
    err << "error: " << why << "\n";
    return kExitError;
  }
  if (status != 0) {
    err << "error: the build failed (make exited with " << status << "); its output is above\n";
    return kExitError;
  }
  const auto modules = built_modules(dir);
  if (options.json) {
    nlohmann::json built = nlohmann::json::array();
    for (const auto& module : modules) built.push_back(module.string());
    out << nlohmann::json{{"dir", dir.string()}, {"built", built}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& module : modules) out << "built " << module.string() << "\n";
  return 0;
}

}  // namespace

CommandAction setup_build(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<BuildOptions>();
  CLI::App* command = app.add_subcommand(
      "build", "Build a module's directory (from 'orivon new') with orivon's guest toolchain");
  command->add_option("DIR", options->dir, "The module's directory (default: .)");
  command->add_flag("--json", options->json, "Print the built files as JSON");
  command->footer(
      "Runs 'make -C DIR' with the variables 'orivon env' prints in its environment and their\n"
      "directories first on PATH; make's output goes to stderr. Exit status 1 when the build\n"
      "fails or a tool is missing.");
  return [options](std::ostream& out, std::ostream& err) { return run_build(*options, out, err); };
}

}  // namespace orivon::cli
