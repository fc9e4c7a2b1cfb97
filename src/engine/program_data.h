#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/program.h"

namespace orivon::engine {
class FunctionTypeCache;
}

namespace orivon::internal {

// What a Program holds: exactly one of `module` or `component`, chosen by
// `kind`. Immutable after loading, so Programs share it across threads.
struct ProgramData {
  ProgramKind kind = ProgramKind::CoreModule;
  std::string name;
  std::uint64_t size_bytes = 0;
  std::optional<wasmtime::Module> module;
  std::optional<wasmtime::component::Component> component;
  // Whether it imports functions of other orivon modules (a core import
  // module named by a module id, or a component's non-WASI interface):
  // then each instance needs its own linker; otherwise the engine's shared
  // WASI linker serves every instance.
  bool imports_modules = false;
  // Components: the function exports, "name" or "iface#name".
  std::vector<std::string> function_exports;
  // The function types read from this program so far (engine::function_type),
  // so a call written as text reads its types once per name, not once per
  // call. Set by the loader; null (no caching) for hand-built programs.
  std::shared_ptr<engine::FunctionTypeCache> function_types;
};

}  // namespace orivon::internal
