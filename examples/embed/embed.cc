// Embedding orivon in a C++ program: create a runtime with a state
// directory, install a module, run it as a service, listen to its state
// changes, call it, survive its crash, and stop it.
//
//   build/bin/orivon_embed_example STATE_DIR MODULE.wasm
//
// MODULE.wasm must export `add(i32, i32) -> i32` and `trap()`, like
// build/guests/service_probe.core.wasm.

#include <cstdio>
#include <string>
#include <thread>

#include "orivon/runtime.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR MODULE.wasm\n", argv[0]);
    return 2;
  }
  auto fail = [](const orivon::Error& error) {
    std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
    return 1;
  };

  orivon::RuntimeOptions options;
  options.state_dir = argv[1];
  auto runtime = orivon::Runtime::create(options);
  if (!runtime) return fail(runtime.error());

  // Every state change of every service, as it happens.
  (*runtime)->subscribe([](const orivon::StateChange& change) {
    std::printf("  [%s] %s -> %s%s%s\n", change.id.str().c_str(),
                std::string(orivon::module_state_name(change.from)).c_str(),
                std::string(orivon::module_state_name(change.to)).c_str(),
                change.cause.empty() ? "" : ": ", change.cause.c_str());
  });

  auto id = orivon::ModuleId::parse("example.embed.calculator");
  if (!id) return fail(id.error());
  orivon::AddOptions add;
  add.id = *id;
  auto installed = (*runtime)->add_module_file(argv[2], add);
  if (!installed && installed.error().code() != orivon::ErrorCode::AlreadyExists) {
    return fail(installed.error());
  }

  // The client decides the restart policy.
  orivon::ServiceSettings settings;
  settings.restart.policy = orivon::RestartPolicy::OnFailure;
  settings.restart.initial_backoff = std::chrono::milliseconds(50);
  (*runtime)->set_service_settings(*id, settings);

  if (auto started = (*runtime)->start_service(*id); !started) return fail(started.error());
  auto sum = (*runtime)->call_service(*id, "add(40, 2)");
  if (!sum) return fail(sum.error());
  std::printf("add(40, 2) = %s\n", sum->results.c_str());

  // A trap is the service's problem, not ours: the call fails, the service
  // restarts, and it answers again.
  auto trapped = (*runtime)->call_service(*id, "trap()");
  std::printf("trap() failed as expected: %s\n",
              trapped ? "no!" : std::string(orivon::error_code_name(trapped.error().code())).c_str());
  for (int i = 0; i < 100 && (*runtime)->service_metrics(*id).state != orivon::ModuleState::Running;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto again = (*runtime)->call_service(*id, "add(1, 2)");
  if (!again) return fail(again.error());
  const auto metrics = (*runtime)->service_metrics(*id);
  std::printf("add(1, 2) = %s after %llu restart(s), %llu trap(s)\n", again->results.c_str(),
              static_cast<unsigned long long>(metrics.restarts),
              static_cast<unsigned long long>(metrics.traps));

  if (auto stopped = (*runtime)->stop_service(*id); !stopped) return fail(stopped.error());
  return 0;
}
