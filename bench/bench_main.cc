// orivon_bench's entry point: Google Benchmark's, plus
//   orivon_bench --write-wasm=DIR
// which writes the benchmark core modules as binaries (small.wasm,
// core.wasm) for the peers that run them (bench/node/wasm_bench.mjs).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <utility>

#include "bench/bench_support.h"

namespace {

int write_wasm(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (auto [name, text] : {std::pair{"small.wasm", orivon::bench::kSmallModule},
                            std::pair{"core.wasm", orivon::bench::kCoreModule}}) {
    auto binary = wasmtime::wat2wasm(text);
    if (!binary) {
      std::fprintf(stderr, "%s: %s\n", name, binary.err().message().c_str());
      return 1;
    }
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(binary.ok().data()),
              static_cast<std::streamsize>(binary.ok().size()));
    if (!out) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::string_view kWriteWasm = "--write-wasm=";
  if (argc == 2 && std::string_view(argv[1]).starts_with(kWriteWasm)) {
    return write_wasm(std::string_view(argv[1]).substr(kWriteWasm.size()));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
