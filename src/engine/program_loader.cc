#include "engine/program_facts.h"
#include "engine/program_loader.h"

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/limits.h"
#include "engine/error_conversion.h"
#include "engine/function_type.h"
#include "engine/program_data.h"

namespace orivon::engine {
namespace {

// The 8-byte preamble: magic, then a 4-byte version/layer field that tells a
// core module (version 1) from a component (version 0x0d, layer 1).
constexpr std::array<std::uint8_t, 4> kMagic = {0x00, 0x61, 0x73, 0x6d};
constexpr std::array<std::uint8_t, 4> kCoreVersion = {0x01, 0x00, 0x00, 0x00};
constexpr std::array<std::uint8_t, 4> kComponentVersion = {0x0d, 0x00, 0x01, 0x00};

bool starts_with(std::span<const std::uint8_t> bytes, std::size_t offset,
                 std::span<const std::uint8_t> prefix) {
  return bytes.size() >= offset + prefix.size() &&
         std::memcmp(bytes.data() + offset, prefix.data(), prefix.size()) == 0;
}

// WebAssembly text starts, after whitespace and comments, with "(module" or
// "(component"; anything else is not worth handing to the text parser.
bool looks_like_text(std::span<const std::uint8_t> bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
      ++i;
    } else if (text.substr(i, 2) == ";;") {
      i = text.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else {
      break;
    }
  }
  return text.substr(i, 7) == "(module" || text.substr(i, 10) == "(component";
}

std::string quote_name(std::string_view name) { return "'" + std::string(name) + "'"; }

}  // namespace

Result<Program> load_program(wasmtime::Engine& engine, std::span<const std::byte> input,
                             std::string_view name) {
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(input.data()),
                                      input.size());
  std::vector<std::uint8_t> converted;
  if (!starts_with(bytes, 0, kMagic)) {
    if (!looks_like_text(bytes)) {
      return Error(ErrorCode::InvalidArgument,
                   quote_name(name) + ": not a WebAssembly binary (no \\0asm header) or text");
    }
    auto wasm = wasmtime::wat2wasm(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!wasm) return to_error(wasm.err(), ErrorCode::InvalidArgument, quote_name(name));
    converted = std::move(wasm.ok());
    bytes = converted;
  }

  auto data = std::make_shared<internal::ProgramData>();
  data->function_types = std::make_shared<FunctionTypeCache>();
  data->name = std::string(name);
  data->size_bytes = input.size();
  wasmtime::Span<std::uint8_t> code(const_cast<std::uint8_t*>(bytes.data()), bytes.size());
  if (starts_with(bytes, 4, kCoreVersion)) {
    data->kind = ProgramKind::CoreModule;
    auto module = wasmtime::Module::compile(engine, code);
    if (!module) return to_error(module.err(), ErrorCode::InvalidArgument, quote_name(name));
    data->module = std::move(module.ok());
  } else if (starts_with(bytes, 4, kComponentVersion)) {
    data->kind = ProgramKind::Component;
    auto component = wasmtime::component::Component::compile(engine, code);
    if (!component) return to_error(component.err(), ErrorCode::InvalidArgument, quote_name(name));
    data->component = std::move(component.ok());
  } else if (bytes.size() < 8) {
    return Error(ErrorCode::InvalidArgument,
                 quote_name(name) + ": truncated WebAssembly binary (" + std::to_string(bytes.size()) +
                     " bytes, the header alone is 8)");
  } else {
    return Error(ErrorCode::InvalidArgument,
                 quote_name(name) + ": unsupported WebAssembly version or layer in the header");
  }
  record_program_facts(engine, *data);
  return Program(std::move(data));
}

Result<Program> load_program_file(wasmtime::Engine& engine, const std::filesystem::path& path) {
  // read_file refuses what is missing, not a regular file, or too large, each
  // in one line naming the path.
  ORIVON_TRY(auto bytes, read_file(path, limits::kMaxBinaryBytes));
  return load_program(engine, bytes, path.string());
}

Program share_program(const Program& program, std::string_view name) {
  auto data = std::make_shared<internal::ProgramData>(program.data());
  data->name = std::string(name);
  return Program(std::move(data));
}

}  // namespace orivon::engine
