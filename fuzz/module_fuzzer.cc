// Fuzzes module loading: each input is a WebAssembly binary (core module or component) or
// WebAssembly text, taken through what `orivon add`, `orivon inspect` and a start do with
// it: load_program (header sniffing, text conversion, compilation with orivon's engine
// configuration, program facts), describe_program (the interface text `inspect` prints) and
// LiveInstance::create (linking WASI, instantiating, running the start function or a
// reactor's _initialize), then a call of up to four exported functions with no arguments.
//
// Guests run with nothing granted, output discarded, 64 MiB per memory and a 100 ms deadline.
// Properties: loading never fails with anything but InvalidArgument; a program that loads can
// always be described; instantiation and calls fail, if they do, with an Error, never more.
//
// Seeds: WebAssembly text in the tree (fuzz/corpus/module), plus the build's guests and
// `wasm-tools smith` modules generated into the build directory (fuzz/CMakeLists.txt).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/interface_text.h"
#include "engine/program_loader.h"
#include "fuzz_check.h"
#include "instance/live_instance.h"
#include "values/call_expression.h"

namespace orivon::fuzz {
namespace {

constexpr std::size_t kMaxCalls = 4;

engine::Engine& shared_engine() {
  // Leaked on purpose: the ticker thread runs until the process exits.
  static engine::Engine* const engine = [] {
    auto created = engine::Engine::create(RuntimeOptions{});
    if (!created) {
      std::fprintf(stderr, "module_fuzzer: %s\n", created.error().to_string().c_str());
      std::abort();
    }
    return created->release();
  }();
  return *engine;
}

// The functions to try calling: a component's function exports, or a core module's
// exports (which may not all be functions; those fail to call, which is fine).
std::vector<std::string> callable_names(const internal::ProgramData& program,
                                        const engine::InterfaceDescription& description) {
  if (program.kind == ProgramKind::Component) return program.function_exports;
  std::vector<std::string> names;
  for (const std::string& line : description.exports) {
    // "export NAME: func(...)"
    const std::size_t colon = line.find(": func(");
    if (line.starts_with("export ") && colon != std::string::npos) {
      names.push_back(line.substr(7, colon - 7));
    }
  }
  return names;
}

void check(std::span<const std::byte> bytes) {
  engine::Engine& engine = shared_engine();
  auto program = engine::load_program(engine.wasmtime_engine(), bytes, "fuzz.wasm");
  if (!program) {
    ORIVON_FUZZ_CHECK(program.error().code() == ErrorCode::InvalidArgument,
                      "loading fails with " + program.error().to_string());
    return;
  }
  auto description = engine::describe_program(engine.wasmtime_engine(), program->data());
  ORIVON_FUZZ_CHECK(description.has_value(),
                    "a program that loads cannot be described: " + description.error().to_string());

  WasiProfile profile;
  profile.args = {"fuzz.wasm"};
  profile.stdio = Stdio::Null;
  ExecutionLimits limits;
  limits.timeout = std::chrono::milliseconds(100);
  limits.max_memory_bytes = std::uint64_t{64} << 20;
  auto instance = instance::LiveInstance::create(engine, program->shared_data(), profile, limits);
  if (!instance || instance->exit_code()) return;
  std::size_t calls = 0;
  for (const std::string& name : callable_names(program->data(), *description)) {
    if (calls++ == kMaxCalls) break;
    // A call with no arguments, as the text edge would make it.
    auto outcome = instance::call_by_name(*instance, name, {});
    if (instance->exit_code()) break;  // the guest exited: nothing more can be called
    (void)outcome;
  }
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  orivon::fuzz::shared_engine();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  orivon::fuzz::check(std::span(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}
