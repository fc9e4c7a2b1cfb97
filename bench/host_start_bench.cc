// How long a host takes to start with many installed modules: a state
// directory with N distinct modules (copies of a real guest, each made unique
// by a custom section), then Runtime::create + load_installed (what
// `orivon up` does before it listens), with the compiled-code cache cold
// (emptied) and warm. Cold is the baseline warm is measured against.
//
//   build/bin/orivon_host_start_bench [N] [GUEST.wasm]
// Defaults: N = 1000, build/guests/cli_probe.component.wasm.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "orivon/runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void append_leb128(std::string& out, std::size_t value) {
  do {
    unsigned char byte = value & 0x7f;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
}

// The binary plus a custom section "orivon-bench" holding `n`: valid for
// core modules and components alike, and a different content hash.
std::string unique_copy(const std::string& binary, int n) {
  const std::string name = "orivon-bench";
  const std::string payload = std::to_string(n);
  std::string section;
  append_leb128(section, name.size());
  section += name + payload;
  std::string out = binary;
  out.push_back('\0');
  append_leb128(out, section.size());
  return out + section;
}

int fail(const orivon::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  const std::filesystem::path guest =
      argc > 2 ? argv[2] : std::filesystem::path(ORIVON_BUILD_DIR) / "guests/cli_probe.component.wasm";
  std::ifstream file(guest, std::ios::binary);
  const std::string binary((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (binary.empty() || count <= 0) {
    std::fprintf(stderr, "usage: %s [N > 0] [GUEST.wasm]\n", argv[0]);
    return 2;
  }
  const auto state = std::filesystem::temp_directory_path() /
                     ("orivon-host-start-bench-" + std::to_string(::getpid()));
  orivon::RuntimeOptions options;
  options.state_dir = state;

  std::printf("installing %d modules (%zu bytes each, %s)...\n", count, binary.size(),
              guest.filename().c_str());
  std::fflush(stdout);
  const auto install_start = Clock::now();
  {
    auto runtime = orivon::Runtime::create(options);
    if (!runtime) return fail(runtime.error());
    for (int i = 0; i < count; ++i) {
      const std::string code = unique_copy(binary, i);
      orivon::AddOptions add;
      add.id = *orivon::ModuleId::parse("bench.module.m" + std::to_string(i));
      auto added = (*runtime)->add_module(std::as_bytes(std::span(code)), add);
      if (!added) return fail(added.error());
    }
  }
  const double install_seconds = seconds_since(install_start);

  auto start_host = [&](const char* label) -> int {
    const auto start = Clock::now();
    auto runtime = orivon::Runtime::create(options);
    if (!runtime) return fail(runtime.error());
    auto report = (*runtime)->load_installed();
    if (!report) return fail(report.error());
    const double elapsed = seconds_since(start);
    std::printf("%-28s %8.3f s  %7.2f ms/module  (%zu from cache, %zu compiled)\n", label, elapsed,
                1000 * elapsed / count, report->from_cache, report->compiled);
    return 0;
  };

  std::printf("%-28s %8.3f s  %7.2f ms/module\n", "install (compile + store)", install_seconds,
              1000 * install_seconds / count);
  for (const auto& entry : std::filesystem::directory_iterator(state / "cache")) {
    std::filesystem::remove(entry.path());
  }
  if (int rc = start_host("start, cold cache")) return rc;
  if (int rc = start_host("start, warm cache")) return rc;
  std::filesystem::remove_all(state);
  return 0;
}
