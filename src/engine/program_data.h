#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/program.h"

namespace orivon::internal {

// What a Program holds: exactly one of `module` or `component`, chosen by
// `kind`. Immutable after loading, so Programs share it across threads.
struct ProgramData {
  ProgramKind kind = ProgramKind::CoreModule;
  std::string name;
  std::uint64_t size_bytes = 0;
  std::optional<wasmtime::Module> module;
  std::optional<wasmtime::component::Component> component;
};

}  // namespace orivon::internal
