// Loading installed modules from the compiled-code cache, for 1 and 1,000
// modules: what a host does when it starts. orivon: a fresh Runtime on the
// state directory (engine, registry open) and load_installed(). Raw: a fresh
// engine with the same configuration and Module::deserialize_file of the
// same cache files orivon wrote.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench/bench_support.h"

namespace orivon::bench {
namespace {

// A state directory with `count` distinct installed modules (distinct so
// that each has its own compiled code), made once per count and removed at
// exit.
class InstalledModules {
 public:
  explicit InstalledModules(int count)
      : dir_(std::filesystem::temp_directory_path() /
             ("orivon-bench-cache-" + std::to_string(::getpid()) + "-" + std::to_string(count))) {
    RuntimeOptions options;
    options.state_dir = dir_;
    auto runtime = must(Runtime::create(options), "creating the runtime");
    for (int i = 0; i < count; ++i) {
      const std::string wat = "(module (memory 1) (func (export \"id\") (result i32) i32.const " +
                              std::to_string(i) + "))";
      AddOptions add;
      add.id = must(ModuleId::parse("lib.bench.m" + std::to_string(i)), "module id");
      must(runtime->add_module(as_bytes(wat), add), "installing");
    }
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_ / "cache")) {
      if (entry.path().extension() == ".cwasm") cache_files_.push_back(entry.path());
    }
  }
  ~InstalledModules() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::filesystem::path& dir() const { return dir_; }
  const std::vector<std::filesystem::path>& cache_files() const { return cache_files_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::filesystem::path> cache_files_;
};

InstalledModules& installed(int count) {
  // Destroyed at exit, which removes the state directories.
  static std::map<int, std::unique_ptr<InstalledModules>> sets;
  auto& set = sets[count];
  if (!set) set = std::make_unique<InstalledModules>(count);
  return *set;
}

void cache_load_orivon(benchmark::State& state, int count) {
  auto& modules = installed(count);
  RuntimeOptions options;
  options.state_dir = modules.dir();
  for (auto _ : state) {
    auto runtime = must(Runtime::create(options), "creating the runtime");
    auto report = must(runtime->load_installed(), "loading");
    if (report.from_cache != static_cast<std::size_t>(count)) {
      state.SkipWithError("not every module came from the cache");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * count);
}

void cache_load_raw(benchmark::State& state, int count) {
  auto& modules = installed(count);
  if (modules.cache_files().size() != static_cast<std::size_t>(count)) {
    state.SkipWithError("unexpected number of cache files");
    return;
  }
  for (auto _ : state) {
    auto engine = raw_engine();
    std::vector<wasmtime::Module> loaded;
    loaded.reserve(modules.cache_files().size());
    for (const auto& file : modules.cache_files()) {
      loaded.push_back(wasmtime::Module::deserialize_file(engine, file.string()).unwrap());
    }
    benchmark::DoNotOptimize(loaded);
  }
  state.SetItemsProcessed(state.iterations() * count);
}

[[maybe_unused]] const bool registered = [] {
  for (int count : {1, 1000}) {
    const std::string name = "cache_load_" + std::to_string(count);
    auto* orivon = benchmark::RegisterBenchmark((name + "/orivon").c_str(), cache_load_orivon, count);
    auto* raw = benchmark::RegisterBenchmark((name + "/raw").c_str(), cache_load_raw, count);
    if (count > 1) {
      orivon->Unit(benchmark::kMillisecond);
      raw->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace orivon::bench
