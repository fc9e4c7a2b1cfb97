#include "engine/interface_text.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include <wasmtime/component.hh>

namespace orivon::engine {
namespace {

// ---------------------------------------------------------------------------
// Core modules
// ---------------------------------------------------------------------------

// The abstract heap types that have a `<name>ref` shorthand when nullable.
std::string_view heap_type_name(wasmtime_heaptype_kind_t kind) {
  switch (kind) {
    case WASMTIME_HEAPTYPE_KIND_EXTERN: return "extern";
    case WASMTIME_HEAPTYPE_KIND_NOEXTERN: return "noextern";
    case WASMTIME_HEAPTYPE_KIND_FUNC: return "func";
    case WASMTIME_HEAPTYPE_KIND_NOFUNC: return "nofunc";
    case WASMTIME_HEAPTYPE_KIND_ANY: return "any";
    case WASMTIME_HEAPTYPE_KIND_NONE: return "none";
    case WASMTIME_HEAPTYPE_KIND_EQ: return "eq";
    case WASMTIME_HEAPTYPE_KIND_I31: return "i31";
    case WASMTIME_HEAPTYPE_KIND_ARRAY: return "array";
    case WASMTIME_HEAPTYPE_KIND_STRUCT: return "struct";
    case WASMTIME_HEAPTYPE_KIND_EXN: return "exn";
    case WASMTIME_HEAPTYPE_KIND_NOEXN: return "noexn";
    // Concrete types have no names in the runtime's type information.
    case WASMTIME_HEAPTYPE_KIND_CONCRETE_FUNC: return "$func";
    case WASMTIME_HEAPTYPE_KIND_CONCRETE_ARRAY: return "$array";
    case WASMTIME_HEAPTYPE_KIND_CONCRETE_STRUCT: return "$struct";
    case WASMTIME_HEAPTYPE_KIND_CONCRETE_EXN: return "$exn";
    default: return "unknown";
  }
}

// The C++ ValType::Ref exposes nothing but equality, so copy it into a
// ValType, whose wasmtime_capi() carries the full kind and reference type.
std::string core_value_type(wasmtime::ValType::Ref ref) {
  const wasmtime::ValType type(ref);
  const wasmtime_valtype_t* raw = type.wasmtime_capi();
  switch (raw->kind) {
    case WASMTIME_VALTYPE_KIND_I32: return "i32";
    case WASMTIME_VALTYPE_KIND_I64: return "i64";
    case WASMTIME_VALTYPE_KIND_F32: return "f32";
    case WASMTIME_VALTYPE_KIND_F64: return "f64";
    case WASMTIME_VALTYPE_KIND_V128: return "v128";
    case WASMTIME_VALTYPE_KIND_REF: {
      const wasmtime_heaptype_kind_t heap = raw->reftype.heaptype.kind;
      const std::string name(heap_type_name(heap));
      const bool concrete = name.starts_with('$');
      if (raw->reftype.nullable && !concrete) {
        // funcref, externref, anyref, exnref, nullref, nullfuncref, ...
        if (heap == WASMTIME_HEAPTYPE_KIND_NONE) return "nullref";
        if (name.starts_with("no")) return "null" + name.substr(2) + "ref";
        return name + "ref";
      }
      return std::string("(ref ") + (raw->reftype.nullable ? "null " : "") + name + ")";
    }
    default: return "unknown";
  }
}

std::string core_value_list(wasmtime::ValType::ListRef list) {
  std::string text;
  for (const auto& type : list) {
    if (!text.empty()) text += ", ";
    text += core_value_type(type);
  }
  return text;
}

std::string core_func_type(wasmtime::FuncType::Ref type) {
  std::string text = "func(" + core_value_list(type.params()) + ")";
  const auto results = type.results();
  if (results.size() == 1) {
    text += " -> " + core_value_list(results);
  } else if (results.size() > 1) {
    text += " -> (" + core_value_list(results) + ")";
  }
  return text;
}

std::string core_extern_type(const wasmtime::ExternType::Ref& type) {
  if (const auto* func = std::get_if<wasmtime::FuncType::Ref>(&type)) {
    return core_func_type(*func);
  }
  if (const auto* global = std::get_if<wasmtime::GlobalType::Ref>(&type)) {
    return std::string("global(") + (global->is_mutable() ? "mut " : "") +
           core_value_type(global->content()) + ")";
  }
  if (const auto* table = std::get_if<wasmtime::TableType::Ref>(&type)) {
    std::string text = "table(" + core_value_type(table->element()) +
                       ", min " + std::to_string(table->min());
    if (const auto max = table->max()) text += ", max " + std::to_string(*max);
    return text + ")";
  }
  if (const auto* memory = std::get_if<wasmtime::MemoryType::Ref>(&type)) {
    std::string text = "memory(";
    if (memory->is_64()) text += "i64, ";
    text += "min " + std::to_string(memory->min()) + " pages";
    if (const auto max = memory->max()) text += ", max " + std::to_string(*max) + " pages";
    if (memory->page_size() != 65536) {
      text += ", page size " + std::to_string(memory->page_size());
    }
    if (memory->is_shared()) text += ", shared";
    return text + ")";
  }
  if (const auto* tag = std::get_if<wasmtime::TagType::Ref>(&type)) {
    wasmtime::FuncType functype = tag->functype();
    return "tag(" + core_value_list(functype->params()) + ")";
  }
  return "unknown";
}

ItemKind core_extern_kind(const wasmtime::ExternType::Ref& type) {
  if (std::holds_alternative<wasmtime::FuncType::Ref>(type)) return ItemKind::Function;
  if (std::holds_alternative<wasmtime::GlobalType::Ref>(type)) return ItemKind::Global;
  if (std::holds_alternative<wasmtime::TableType::Ref>(type)) return ItemKind::Table;
  if (std::holds_alternative<wasmtime::MemoryType::Ref>(type)) return ItemKind::Memory;
  if (std::holds_alternative<wasmtime::TagType::Ref>(type)) return ItemKind::Tag;
  return ItemKind::Unknown;
}

ProgramInterface describe_module(const wasmtime::Module& module) {
  ProgramInterface interface;
  for (const auto& import : module.imports()) {
    const auto type = wasmtime::ExternType::from_import(import);
    interface.imports.push_back(
        InterfaceItem{std::string(import.module()) + "::" + std::string(import.name()),
                      std::string(import.module()), core_extern_kind(type),
                      core_extern_type(type)});
  }
  for (const auto& export_ : module.exports()) {
    const auto type = wasmtime::ExternType::from_export(export_);
    interface.exports.push_back(InterfaceItem{std::string(export_.name()), std::string(),
                                              core_extern_kind(type), core_extern_type(type)});
  }
  return interface;
}

// ---------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------

namespace wc = wasmtime::component;

// Accessors return std::optional even for indexes below their counts; a
// missing entry means the type information is inconsistent.
Error missing(std::string_view what) {
  return Error(ErrorCode::Internal, "component type information is missing " + std::string(what));
}

Result<std::string> wit_type(const wc::ValType& type);

// `<T>` or nothing, for option/future/stream payloads that may be absent.
Result<std::string> optional_payload(const std::optional<wc::ValType>& payload) {
  if (!payload) return std::string();
  ORIVON_TRY(std::string inner, wit_type(*payload));
  return "<" + inner + ">";
}

Result<std::string> wit_type(const wc::ValType& type) {
  switch (type.kind()) {
    case WASMTIME_COMPONENT_VALTYPE_BOOL: return std::string("bool");
    case WASMTIME_COMPONENT_VALTYPE_S8: return std::string("s8");
    case WASMTIME_COMPONENT_VALTYPE_S16: return std::string("s16");
    case WASMTIME_COMPONENT_VALTYPE_S32: return std::string("s32");
    case WASMTIME_COMPONENT_VALTYPE_S64: return std::string("s64");
    case WASMTIME_COMPONENT_VALTYPE_U8: return std::string("u8");
    case WASMTIME_COMPONENT_VALTYPE_U16: return std::string("u16");
    case WASMTIME_COMPONENT_VALTYPE_U32: return std::string("u32");
    case WASMTIME_COMPONENT_VALTYPE_U64: return std::string("u64");
    case WASMTIME_COMPONENT_VALTYPE_F32: return std::string("f32");
    case WASMTIME_COMPONENT_VALTYPE_F64: return std::string("f64");
    case WASMTIME_COMPONENT_VALTYPE_CHAR: return std::string("char");
    case WASMTIME_COMPONENT_VALTYPE_STRING: return std::string("string");
    case WASMTIME_COMPONENT_VALTYPE_ERROR_CONTEXT: return std::string("error-context");
    // Resource types carry no name in the runtime's type information.
    case WASMTIME_COMPONENT_VALTYPE_OWN: return std::string("own<resource>");
    case WASMTIME_COMPONENT_VALTYPE_BORROW: return std::string("borrow<resource>");
    case WASMTIME_COMPONENT_VALTYPE_LIST: {
      ORIVON_TRY(std::string element, wit_type(type.list().element()));
      return "list<" + element + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_OPTION: {
      ORIVON_TRY(std::string inner, wit_type(type.option().ty()));
      return "option<" + inner + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_MAP: {
      ORIVON_TRY(std::string key, wit_type(type.map().key()));
      ORIVON_TRY(std::string value, wit_type(type.map().value()));
      return "map<" + key + ", " + value + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_TUPLE: {
      const auto& tuple = type.tuple();
      std::string text = "tuple<";
      for (std::size_t i = 0; i < tuple.types_count(); ++i) {
        auto element = tuple.types_nth(i);
        if (!element) return missing("a tuple element");
        ORIVON_TRY(std::string inner, wit_type(*element));
        text += (i ? ", " : "") + inner;
      }
      return text + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_RECORD: {
      const auto& record = type.record();
      std::string text = "record {";
      for (std::size_t i = 0; i < record.field_count(); ++i) {
        auto field = record.field_nth(i);
        if (!field) return missing("a record field");
        ORIVON_TRY(std::string inner, wit_type(field->second));
        text += (i ? ", " : " ") + std::string(field->first) + ": " + inner;
      }
      return text + " }";
    }
    case WASMTIME_COMPONENT_VALTYPE_VARIANT: {
      const auto& variant = type.variant();
      std::string text = "variant {";
      for (std::size_t i = 0; i < variant.case_count(); ++i) {
        auto case_ = variant.case_nth(i);
        if (!case_) return missing("a variant case");
        text += (i ? ", " : " ") + std::string(case_->first);
        if (case_->second) {
          ORIVON_TRY(std::string payload, wit_type(*case_->second));
          text += "(" + payload + ")";
        }
      }
      return text + " }";
    }
    case WASMTIME_COMPONENT_VALTYPE_ENUM: {
      const auto& enum_ = type.enum_();
      std::string text = "enum {";
      for (std::size_t i = 0; i < enum_.names_count(); ++i) {
        auto name = enum_.names_nth(i);
        if (!name) return missing("an enum case");
        text += (i ? ", " : " ") + std::string(*name);
      }
      return text + " }";
    }
    case WASMTIME_COMPONENT_VALTYPE_FLAGS: {
      const auto& flags = type.flags();
      std::string text = "flags {";
      for (std::size_t i = 0; i < flags.names_count(); ++i) {
        auto name = flags.names_nth(i);
        if (!name) return missing("a flag");
        text += (i ? ", " : " ") + std::string(*name);
      }
      return text + " }";
    }
    case WASMTIME_COMPONENT_VALTYPE_RESULT: {
      const auto& result = type.result();
      const auto ok = result.ok();
      const auto err = result.err();
      if (!ok && !err) return std::string("result");
      std::string text = "result<";
      if (ok) {
        ORIVON_TRY(std::string inner, wit_type(*ok));
        text += inner;
      } else {
        text += "_";
      }
      if (err) {
        ORIVON_TRY(std::string inner, wit_type(*err));
        text += ", " + inner;
      }
      return text + ">";
    }
    case WASMTIME_COMPONENT_VALTYPE_FUTURE: {
      ORIVON_TRY(std::string payload, optional_payload(type.future().ty()));
      return "future" + payload;
    }
    case WASMTIME_COMPONENT_VALTYPE_STREAM: {
      ORIVON_TRY(std::string payload, optional_payload(type.stream().ty()));
      return "stream" + payload;
    }
    default:
      return std::string("unknown");
  }
}

Result<std::string> wit_func(const wc::FuncType& func) {
  std::string text = func.async() ? "async func(" : "func(";
  for (std::size_t i = 0; i < func.param_count(); ++i) {
    auto param = func.param_nth(i);
    if (!param) return missing("a function parameter");
    ORIVON_TRY(std::string type, wit_type(param->second));
    text += (i ? ", " : "") + std::string(param->first) + ": " + type;
  }
  text += ")";
  if (auto result = func.result()) {
    ORIVON_TRY(std::string type, wit_type(*result));
    text += " -> " + type;
  }
  return text;
}

// Appends one item per thing under `path` to `items`; instances are
// flattened into their exports as `path#name`, which belong to `path`.
// `interface` is the instance `path` itself sits in (empty at the top).
Result<void> describe_item(const wasmtime::Engine& engine, const std::string& interface,
                           const std::string& path, const wc::ComponentItem& item,
                           std::vector<InterfaceItem>& items) {
  auto add = [&](ItemKind kind, std::string signature) {
    items.push_back(InterfaceItem{path, interface, kind, std::move(signature)});
  };
  if (item.is_component_func()) {
    ORIVON_TRY(std::string text, wit_func(item.component_func()));
    add(ItemKind::Function, std::move(text));
  } else if (item.is_component_instance()) {
    const auto& instance = item.component_instance();
    const std::size_t count = instance.export_count(engine);
    if (count == 0) add(ItemKind::Instance, "instance");
    for (std::size_t i = 0; i < count; ++i) {
      auto entry = instance.export_nth(engine, i);
      if (!entry) return missing("an instance export");
      ORIVON_RETURN_IF_ERROR(describe_item(engine, path, path + "#" + std::string(entry->first),
                                           entry->second, items));
    }
  } else if (item.is_resource()) {
    add(ItemKind::Resource, "resource");
  } else if (item.is_type()) {
    ORIVON_TRY(std::string text, wit_type(item.type()));
    add(ItemKind::Type, "type " + text);
  } else if (item.is_core_func()) {
    add(ItemKind::CoreFunction, "core " + core_func_type(item.core_func()));
  } else if (item.is_module()) {
    add(ItemKind::Module, "module");
  } else if (item.is_component()) {
    add(ItemKind::Component, "component");
  } else {
    add(ItemKind::Unknown, "unknown");
  }
  return ok();
}

Result<ProgramInterface> describe_component(const wasmtime::Engine& engine,
                                            const wc::Component& component) {
  const wc::ComponentType type = component.type();
  ProgramInterface interface;
  for (std::size_t i = 0, n = type.import_count(engine); i < n; ++i) {
    auto entry = type.import_nth(engine, i);
    if (!entry) return missing("an import");
    ORIVON_RETURN_IF_ERROR(describe_item(engine, std::string(), std::string(entry->first),
                                         entry->second, interface.imports));
  }
  for (std::size_t i = 0, n = type.export_count(engine); i < n; ++i) {
    auto entry = type.export_nth(engine, i);
    if (!entry) return missing("an export");
    ORIVON_RETURN_IF_ERROR(describe_item(engine, std::string(), std::string(entry->first),
                                         entry->second, interface.exports));
  }
  return interface;
}

bool item_less(const InterfaceItem& a, const InterfaceItem& b) {
  if (a.name != b.name) return a.name < b.name;
  return a.signature < b.signature;
}

std::vector<std::string> item_lines(std::string_view direction,
                                    const std::vector<InterfaceItem>& items) {
  std::vector<std::string> lines;
  lines.reserve(items.size());
  for (const auto& item : items) lines.push_back(item_line(direction, item));
  // By line, not by item: "a: ..." sorts after "a#b: ..." here.
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

Result<ProgramInterface> program_interface(wasmtime::Engine& engine,
                                           const internal::ProgramData& program) {
  ProgramInterface interface;
  if (program.kind == ProgramKind::CoreModule) {
    if (!program.module) return Error(ErrorCode::Internal, "core module program holds no module");
    interface = describe_module(*program.module);
  } else {
    if (!program.component) {
      return Error(ErrorCode::Internal, "component program holds no component");
    }
    ORIVON_TRY(interface, describe_component(engine, *program.component));
  }
  std::sort(interface.imports.begin(), interface.imports.end(), item_less);
  std::sort(interface.exports.begin(), interface.exports.end(), item_less);
  return interface;
}

std::string item_line(std::string_view direction, const InterfaceItem& item) {
  std::string line(direction);
  line += ' ';
  line += item.name;
  line += ": ";
  line += item.signature;
  return line;
}

InterfaceDescription describe_interface(const ProgramInterface& interface) {
  return InterfaceDescription{item_lines("import", interface.imports),
                              item_lines("export", interface.exports)};
}

Result<InterfaceDescription> describe_program(wasmtime::Engine& engine,
                                              const internal::ProgramData& program) {
  ORIVON_TRY(auto interface, program_interface(engine, program));
  return describe_interface(interface);
}

}  // namespace orivon::engine
