#include "scaffold/toolchain.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "scaffold/toolchain_paths.h"  // generated: where the set-up put each tool

namespace orivon::cli {

std::vector<ToolchainEntry> guest_toolchain() {
  std::vector<ToolchainEntry> entries = {
      {"ORIVON_WASM_CC", "clang for wasm32-wasi", std::string(kBuiltWasmCc)},
      {"ORIVON_WASM_TOOLS", "wasm-tools", std::string(kBuiltWasmTools)},
      {"ORIVON_WIT_BINDGEN", "wit-bindgen", std::string(kBuiltWitBindgen)},
      {"ORIVON_WASI_ADAPTER_REACTOR", "the WASI preview1 reactor adapter",
       std::string(kBuiltAdapterReactor)},
      {"ORIVON_WASI_ADAPTER_COMMAND", "the WASI preview1 command adapter",
       std::string(kBuiltAdapterCommand)},
      {"ORIVON_WASI_WIT_DEPS", "the WASI 0.2 WIT packages", std::string(kBuiltWasiWitDeps)},
      {"ORIVON_GO", "Go 1.24 or newer", std::string(kBuiltGo), false},
  };
  for (auto& entry : entries) {
    if (const char* from_env = std::getenv(entry.name.c_str()); from_env && *from_env) {
      entry.path = from_env;
    }
    std::error_code ec;
    if (!entry.path.empty() && !std::filesystem::exists(entry.path, ec)) entry.path.clear();
  }
  return entries;
}

std::vector<std::string> missing_tools(const std::vector<ToolchainEntry>& entries, bool go) {
  std::vector<std::string> missing;
  for (const auto& entry : entries) {
    if (!entry.path.empty() || (!entry.needed_for_c && !go)) continue;
    missing.push_back(entry.what + " (" + entry.name + ")");
  }
  return missing;
}

std::string shell_quote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace orivon::cli
