#pragma once

// The guest toolchain `scripts/setup.sh` installed when this orivon was
// built: what `orivon env` prints and `orivon build` runs with, so a module
// builds outside the repository with the same adapter and WASI WIT packages
// as the embedded Wasmtime. Each tool may be overridden by the environment
// variable of the same name (ORIVON_WASM_TOOLS=... orivon build).

#include <string>
#include <utility>
#include <vector>

namespace orivon::cli {

struct ToolchainEntry {
  std::string name;         // ORIVON_WASM_TOOLS, ...
  std::string what;         // "wasm-tools", for messages
  std::string path;         // empty: not found
  bool needed_for_c = true;  // else only for Go modules
};

// Every entry, each resolved (environment first, then the path recorded
// at build time); a path that does not exist is reported as not found.
std::vector<ToolchainEntry> guest_toolchain();

// The entries `needed` (C, or Go) that are missing, as one line each.
std::vector<std::string> missing_tools(const std::vector<ToolchainEntry>& entries, bool go);

// NAME='value' quoted for a POSIX shell.
std::string shell_quote(const std::string& value);

}  // namespace orivon::cli
