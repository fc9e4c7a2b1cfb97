#include "engine/program_facts.h"
#include "engine/compiled_code.h"

#include "core/file_util.h"
#include "core/limits.h"
#include "engine/error_conversion.h"
#include "engine/function_type.h"

namespace orivon::engine {

Result<std::vector<std::uint8_t>> serialize_program(const internal::ProgramData& program) {
  auto bytes = program.kind == ProgramKind::Component ? program.component->serialize()
                                                      : program.module->serialize();
  if (!bytes) return to_error(bytes.err(), ErrorCode::Internal, "serializing '" + program.name + "'");
  return std::move(bytes.ok());
}

Result<Program> deserialize_program_file(wasmtime::Engine& engine, const std::filesystem::path& path,
                                         ProgramKind kind, const std::string& name,
                                         std::uint64_t size_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error(ErrorCode::NotFound, "no compiled code at '" + path.string() + "'");
  }
  auto data = std::make_shared<internal::ProgramData>();
  data->function_types = std::make_shared<FunctionTypeCache>();
  data->kind = kind;
  data->name = name;
  data->size_bytes = size_bytes;
  const std::string context = "reading compiled code '" + path.string() + "'";
  // Read into memory, not mapped from the file: Wasmtime keeps a mapped
  // file open for the module's life, one descriptor per module, and a host
  // loading 100,000 modules from the cache ran out of descriptors.
  auto read = read_file(path, limits::kMaxCompiledCodeBytes);
  if (!read) return Error::wrap(context, read.error());
  wasmtime::Span<std::uint8_t> bytes(reinterpret_cast<std::uint8_t*>(read->data()), read->size());
  if (kind == ProgramKind::Component) {
    auto component = wasmtime::component::Component::deserialize(engine, bytes);
    if (!component) return to_error(component.err(), ErrorCode::FailedPrecondition, context);
    data->component = std::move(component.ok());
  } else {
    auto module = wasmtime::Module::deserialize(engine, bytes);
    if (!module) return to_error(module.err(), ErrorCode::FailedPrecondition, context);
    data->module = std::move(module.ok());
  }
  record_program_facts(engine, *data);
  return Program(std::move(data));
}

Result<Program> program_for_engine(wasmtime::Engine& engine, const internal::ProgramData& program) {
  ORIVON_TRY(auto bytes, serialize_program(program));
  auto data = std::make_shared<internal::ProgramData>();
  data->function_types = std::make_shared<FunctionTypeCache>();
  data->kind = program.kind;
  data->name = program.name;
  data->size_bytes = program.size_bytes;
  const std::string context = "moving '" + program.name + "' to another engine";
  wasmtime::Span<std::uint8_t> span(bytes.data(), bytes.size());
  if (program.kind == ProgramKind::Component) {
    auto component = wasmtime::component::Component::deserialize(engine, span);
    if (!component) return to_error(component.err(), ErrorCode::FailedPrecondition, context);
    data->component = std::move(component.ok());
  } else {
    auto module = wasmtime::Module::deserialize(engine, span);
    if (!module) return to_error(module.err(), ErrorCode::FailedPrecondition, context);
    data->module = std::move(module.ok());
  }
  record_program_facts(engine, *data);
  return Program(std::move(data));
}

}  // namespace orivon::engine
