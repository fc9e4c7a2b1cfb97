#pragma once

// Turns bytes into a compiled Program: recognises a core module or component
// from the binary header (or WebAssembly text, which is converted first) and
// compiles it. Every failure names the input and fits on one line.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/program.h"
#include "orivon/result.h"

namespace orivon::engine {

Result<Program> load_program(wasmtime::Engine& engine, std::span<const std::byte> bytes,
                             std::string_view name);

Result<Program> load_program_file(wasmtime::Engine& engine, const std::filesystem::path& path);

// `program`'s compiled code under another name: the machine code and its
// memory are shared, as by copies of one module installed under many ids.
Program share_program(const Program& program, std::string_view name);

}  // namespace orivon::engine
