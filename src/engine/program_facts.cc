#include "engine/program_facts.h"

#include "engine/host_interface.h"

#include "orivon/ids.h"

namespace orivon::engine {
namespace {

namespace wc = wasmtime::component;

std::vector<std::string> component_function_exports(wasmtime::Engine& engine,
                                                     const wc::Component& component) {
  std::vector<std::string> names;
  auto type = component.type();
  for (std::size_t i = 0; i < type.export_count(engine); ++i) {
    auto item = type.export_nth(engine, i);
    if (!item) continue;
    const std::string outer(item->first);
    if (item->second.is_component_func()) {
      names.push_back(outer);
    } else if (item->second.is_component_instance()) {
      const auto& instance_type = item->second.component_instance();
      for (std::size_t j = 0; j < instance_type.export_count(engine); ++j) {
        auto inner = instance_type.export_nth(engine, j);
        if (inner && inner->second.is_component_func()) {
          names.push_back(outer + "#" + std::string(inner->first));
        }
      }
    }
  }
  return names;
}

bool component_imports_modules(wasmtime::Engine& engine, const wc::Component& component) {
  auto type = component.type();
  for (std::size_t i = 0; i < type.import_count(engine); ++i) {
    auto item = type.import_nth(engine, i);
    if (item && item->second.is_component_instance() &&
        !is_host_namespace(item->first)) {
      return true;
    }
  }
  return false;
}

bool core_imports_modules(const wasmtime::Module& module) {
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(module.capi(), &imports);
  bool found = false;
  for (std::size_t i = 0; i < imports.size && !found; ++i) {
    const wasm_name_t* name = wasm_importtype_module(imports.data[i]);
    found = ModuleId::parse(std::string_view(name->data, name->size)).has_value();
  }
  wasm_importtype_vec_delete(&imports);
  return found;
}

}  // namespace

void record_program_facts(wasmtime::Engine& engine, internal::ProgramData& program) {
  if (program.component) {
    program.function_exports = component_function_exports(engine, *program.component);
    program.imports_modules = component_imports_modules(engine, *program.component);
  } else if (program.module) {
    program.imports_modules = core_imports_modules(*program.module);
  }
}

}  // namespace orivon::engine
