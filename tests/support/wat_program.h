#pragma once

// Programs compiled from WebAssembly text in a test, through orivon's own
// loader, on an engine with the component model on.

#include <span>
#include <string_view>

#include <gtest/gtest.h>
#include <wasmtime.hh>

#include "engine/program_loader.h"

namespace orivon::testing {

inline wasmtime::Config component_model_config() {
  wasmtime::Config config;
  config.wasm_component_model(true);
  return config;
}

// Compiles `text` (a core module or a component); fails the test on error.
inline Program load_wat(wasmtime::Engine& engine, std::string_view text) {
  auto program =
      engine::load_program(engine, std::as_bytes(std::span(text.data(), text.size())), "test.wat");
  EXPECT_TRUE(program) << program.error().to_string();
  return *program;
}

}  // namespace orivon::testing
