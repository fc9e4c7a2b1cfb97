// `orivon env`: the guest toolchain orivon was set up with, as shell
// variables (eval "$(orivon env)"), so a module's Makefile builds with the
// same wit-bindgen, wasm-tools and WASI adapter as the embedded Wasmtime.

#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "commands/commands.h"
#include "scaffold/toolchain.h"

namespace orivon::cli {
namespace {

int run_env(bool json, std::ostream& out, std::ostream& err) {
  const auto entries = guest_toolchain();
  if (json) {
    nlohmann::json tools = nlohmann::json::object();
    for (const auto& entry : entries) {
      tools[entry.name] = entry.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(entry.path);
    }
    out << tools.dump(2) << "\n";
  } else {
    // The tools' own directories go first on PATH, so the bare names of the
    // guide (wasm-tools, wit-bindgen) are these.
    std::string path_dirs;
    std::set<std::string> seen;
    for (const auto& entry : entries) {
      if (entry.path.empty()) continue;
      out << "export " << entry.name << "=" << shell_quote(entry.path) << "\n";
      if (entry.name == "ORIVON_WASM_TOOLS" || entry.name == "ORIVON_WIT_BINDGEN") {
        const std::string dir = std::filesystem::path(entry.path).parent_path().string();
        if (seen.insert(dir).second) path_dirs += shell_quote(dir) + ":";
      }
    }
    if (!path_dirs.empty()) out << "export PATH=" << path_dirs << "\"$PATH\"\n";
  }
  const auto missing = missing_tools(entries, /*go=*/true);
  for (const auto& what : missing) {
    err << "warning: not found: " << what
        << "; run scripts/setup.sh, or set the variable to the tool's path\n";
  }
  return missing.empty() ? 0 : kExitError;
}

}  // namespace

CommandAction setup_env(CLI::App& app, const GlobalOptions&) {
  auto json = std::make_shared<bool>(false);
  CLI::App* command =
      app.add_subcommand("env", "Print the guest toolchain as shell variables: eval \"$(orivon env)\"");
  command->add_flag("--json", *json, "Print the tools' paths as JSON (null: not found)");
  command->footer(
      "ORIVON_WASM_CC, ORIVON_WASM_TOOLS, ORIVON_WIT_BINDGEN, ORIVON_WASI_ADAPTER_REACTOR,\n"
      "ORIVON_WASI_ADAPTER_COMMAND, ORIVON_WASI_WIT_DEPS and ORIVON_GO: where scripts/setup.sh\n"
      "put them when this orivon was built; a variable already set in the environment wins.\n"
      "Exit status 1 when one is missing (each is named on stderr).");
  return [json](std::ostream& out, std::ostream& err) { return run_env(*json, out, err); };
}

}  // namespace orivon::cli
