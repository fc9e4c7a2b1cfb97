#include "values/value_conversion.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "values/wave.h"

namespace orivon::values {
namespace {

using wasmtime::component::Flag;
using wasmtime::component::Flags;
using wasmtime::component::List;
using wasmtime::component::Record;
using wasmtime::component::RecordField;
using wasmtime::component::Tuple;
using wasmtime::component::Val;
using wasmtime::component::ValType;
using wasmtime::component::Variant;
using wasmtime::component::WitOption;
using wasmtime::component::WitResult;

// Values from Wasmtime are as deep as their types, which Wasmtime limits to 100 levels; only
// a hand-built Val can go deeper, and recursion over it must stop somewhere.
constexpr int kMaxDepth = 1000;
// Longest piece of a value quoted back in an error message.
constexpr std::size_t kMaxQuotedBytes = 40;
// Names listed in an error message before "...".
constexpr std::size_t kMaxListedNames = 12;

// Where a value sits inside the one being converted: a chain of steps on the call stack, so
// a path costs nothing unless an error message needs it. Rendered like a jq path:
// `.points[2].x`; a payload step is the case name (`.some`, `.ok`, `.circle`).
struct PathStep {
  const PathStep* parent = nullptr;
  std::string_view name;  // a field or case name; empty for an element
  std::size_t index = 0;  // the element index when `name` is empty
};

std::string render(const PathStep* step) {
  if (step == nullptr) return "";
  std::string out = render(step->parent);
  if (step->name.empty()) {
    out += "[" + std::to_string(step->index) + "]";
  } else {
    out += ".";
    out += step->name;
  }
  return out;
}

// " at .a.b" for a place inside the value, nothing for the value itself.
std::string at(const PathStep* path) {
  if (path == nullptr) return "";
  return " at " + render(path);
}

Error invalid_argument(std::string message) {
  return Error(ErrorCode::InvalidArgument, std::move(message));
}

std::string quote(std::string_view name) { return "'" + std::string(name) + "'"; }

std::string name_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i == kMaxListedNames) {
      out += ", ...";
      break;
    }
    if (i != 0) out += ", ";
    out += names[i];
  }
  return out;
}

// "a u32 (300)", "a list ([1, 2, 3])", "flags ({read})": the kind and the value's WAVE text,
// cut short at a character boundary.
std::string describe_value(const Value& value) {
  std::string out;
  switch (value.kind()) {
    case Value::Kind::S8:
    case Value::Kind::S16:
    case Value::Kind::S32:
    case Value::Kind::S64:
    case Value::Kind::F32:
    case Value::Kind::F64:
    case Value::Kind::Enum:
    case Value::Kind::Option:
      out = "an ";
      break;
    case Value::Kind::Flags:
      break;
    default:
      out = "a ";
      break;
  }
  out += value_kind_name(value.kind());
  std::string text = to_wave(value);
  if (text.size() > kMaxQuotedBytes) {
    std::size_t cut = kMaxQuotedBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return out + " (" + text + ")";
}

Error mismatch(const ValType& expected, const Value& found, const PathStep* path) {
  return invalid_argument("expected " + describe_type(expected) + ", found " +
                          describe_value(found) + at(path));
}

std::string code_point(char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

// ----------------------------------------------------------------------------------------
// Value -> Val, checked against a type

Result<Val> checked(const Value& value, const ValType& type, const PathStep* path);

// The payload of a case (a variant case, `some`, `ok`, `err`): present exactly when the case
// has a payload type, and then of that type.
Result<std::optional<Val>> checked_payload(const Value& value, std::string_view case_name,
                                           const std::optional<ValType>& payload_type,
                                           const PathStep* path) {
  const Value* payload = value.payload();
  if (!payload_type) {
    if (payload == nullptr) return std::optional<Val>();
    return invalid_argument("case " + quote(case_name) + " has no payload, found " +
                            describe_value(*payload) + at(path));
  }
  if (payload == nullptr) {
    return invalid_argument("case " + quote(case_name) + " needs a payload (" +
                            describe_type(*payload_type) + ")" + at(path));
  }
  const PathStep step{path, case_name};
  ORIVON_TRY(Val inner, checked(*payload, *payload_type, &step));
  return std::optional<Val>(std::move(inner));
}

std::vector<Val> byte_vals(const std::vector<std::uint8_t>& bytes) {
  std::vector<Val> out;
  out.reserve(bytes.size());
  for (std::uint8_t byte : bytes) out.emplace_back(byte);
  return out;
}

Result<Val> checked_list(const std::vector<Value>& elements, const ValType& type,
                         const PathStep* path) {
  const ValType element_type = type.list().element();
  std::vector<Val> out;
  out.reserve(elements.size());
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const PathStep step{path, {}, i};
    ORIVON_TRY(Val element, checked(elements[i], element_type, &step));
    out.push_back(std::move(element));
  }
  return Val(List(std::move(out)));
}

Result<Val> checked_tuple(const std::vector<Value>& elements, const ValType& type,
                          const PathStep* path) {
  const auto& tuple_type = type.tuple();
  if (elements.size() != tuple_type.types_count()) {
    return invalid_argument("expected a tuple of " + std::to_string(tuple_type.types_count()) +
                            " elements, found " + std::to_string(elements.size()) + at(path));
  }
  std::vector<Val> out;
  out.reserve(elements.size());
  for (std::size_t i = 0; i < elements.size(); ++i) {
    std::optional<ValType> element_type = tuple_type.types_nth(i);
    if (!element_type) return Error(ErrorCode::Internal, "tuple element type missing");
    const PathStep step{path, {}, i};
    ORIVON_TRY(Val element, checked(elements[i], *element_type, &step));
    out.push_back(std::move(element));
  }
  return Val(Tuple(std::move(out)));
}

Result<Val> checked_record(const std::vector<Value::Field>& given, const ValType& type,
                           const PathStep* path) {
  const auto& record_type = type.record();
  // The names are views into `type`, which outlives this call.
  std::vector<std::pair<std::string_view, ValType>> fields;
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < record_type.field_count(); ++i) {
    auto field = record_type.field_nth(i);
    if (!field) return Error(ErrorCode::Internal, "record field type missing");
    names.push_back(field->first);
    fields.emplace_back(field->first, std::move(field->second));
  }
  const std::string in_record = path == nullptr ? "" : " in the record" + at(path);

  // For each field of the type, the given field that fills it.
  std::vector<const Value*> sources(fields.size(), nullptr);
  for (const Value::Field& field : given) {
    std::size_t index = 0;
    while (index < fields.size() && fields[index].first != field.name) ++index;
    if (index == fields.size()) {
      return invalid_argument("unknown field " + quote(field.name) + in_record +
                              " (the record's fields are " + name_list(names) + ")");
    }
    if (sources[index] != nullptr) {
      return invalid_argument("duplicate field " + quote(field.name) + in_record);
    }
    sources[index] = &field.value;
  }

  std::vector<std::pair<std::string_view, Val>> entries;
  entries.reserve(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, field_type] = fields[i];
    if (sources[i] == nullptr) {
      // As in WAVE, a missing option field is `none`.
      if (!field_type.is_option()) {
        return invalid_argument("missing field " + quote(name) + " (" +
                                describe_type(field_type) + ")" + in_record);
      }
      entries.emplace_back(name, Val(WitOption(std::nullopt)));
      continue;
    }
    const PathStep step{path, name};
    ORIVON_TRY(Val field_value, checked(*sources[i], field_type, &step));
    entries.emplace_back(name, std::move(field_value));
  }
  return Val(Record(std::move(entries)));
}

Result<Val> checked_variant(const Value& value, const std::string& case_name,
                            const ValType& type, const PathStep* path) {
  const auto& variant_type = type.variant();
  for (std::size_t i = 0; i < variant_type.case_count(); ++i) {
    auto variant_case = variant_type.case_nth(i);
    if (!variant_case || variant_case->first != case_name) continue;
    ORIVON_TRY(std::optional<Val> payload,
               checked_payload(value, case_name, variant_case->second, path));
    return Val(Variant(case_name, std::move(payload)));
  }
  return invalid_argument("expected " + describe_type(type) + ", found case " +
                          quote(case_name) + at(path));
}

Result<Val> checked_enum(const std::string& case_name, const ValType& type,
                         const PathStep* path) {
  const auto& enum_type = type.enum_();
  for (std::size_t i = 0; i < enum_type.names_count(); ++i) {
    if (enum_type.names_nth(i) == case_name) return Val::enum_(case_name);
  }
  return invalid_argument("expected " + describe_type(type) + ", found case " +
                          quote(case_name) + at(path));
}

Result<Val> checked_result(const Value& value, const ValType& type, const PathStep* path) {
  const auto& result_type = type.result();
  if (value.is_ok()) {
    ORIVON_TRY(std::optional<Val> payload, checked_payload(value, "ok", result_type.ok(), path));
    return Val(WitResult::ok(std::move(payload)));
  }
  ORIVON_TRY(std::optional<Val> payload, checked_payload(value, "err", result_type.err(), path));
  return Val(WitResult::err(std::move(payload)));
}

Result<Val> checked_flags(const std::vector<std::string>& given, const ValType& type,
                          const PathStep* path) {
  const auto& flags_type = type.flags();
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < flags_type.names_count(); ++i) {
    if (auto name = flags_type.names_nth(i)) names.push_back(*name);
  }
  std::vector<bool> set(names.size(), false);
  for (const std::string& flag : given) {
    std::size_t index = 0;
    while (index < names.size() && names[index] != flag) ++index;
    if (index == names.size()) {
      return invalid_argument("unknown flag " + quote(flag) + at(path) + " (the flags are " +
                              name_list(names) + ")");
    }
    set[index] = true;
  }
  // In the type's order, the order Wasmtime gives them back in.
  std::vector<Flag> chosen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (set[i]) chosen.emplace_back(names[i]);
  }
  return Val(Flags(std::move(chosen)));
}

Result<Val> checked(const Value& value, const ValType& type, const PathStep* path) {
  switch (type.kind()) {
    case WASMTIME_COMPONENT_VALTYPE_BOOL:
      if (auto v = value.as_bool()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_S8:
      if (auto v = value.as_s8()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_U8:
      if (auto v = value.as_u8()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_S16:
      if (auto v = value.as_s16()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_U16:
      if (auto v = value.as_u16()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_S32:
      if (auto v = value.as_s32()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_U32:
      if (auto v = value.as_u32()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_S64:
      if (auto v = value.as_s64()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_U64:
      if (auto v = value.as_u64()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_F32:
      if (auto v = value.as_f32()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_F64:
      if (auto v = value.as_f64()) return Val(*v);
      break;
    case WASMTIME_COMPONENT_VALTYPE_CHAR:
      if (auto c = value.as_char()) {
        if (!is_scalar_value(*c)) {
          return invalid_argument("expected a char, found " + code_point(*c) +
                                  ", which is not a Unicode scalar value" + at(path));
        }
        return Val::char_(static_cast<std::uint32_t>(*c));
      }
      break;
    case WASMTIME_COMPONENT_VALTYPE_STRING:
      if (const std::string* text = value.if_string()) {
        const std::size_t bad = invalid_utf8_at(*text);
        if (bad != std::string_view::npos) {
          return invalid_argument("expected a string, found one that is not UTF-8 (byte " +
                                  std::to_string(bad) + ")" + at(path));
        }
        return Val::string(*text);
      }
      break;
    case WASMTIME_COMPONENT_VALTYPE_LIST:
      if (const auto* elements = value.if_list()) return checked_list(*elements, type, path);
      if (const auto* bytes = value.if_bytes()) {
        if (type.list().element().is_u8()) return Val(List(byte_vals(*bytes)));
      }
      break;
    case WASMTIME_COMPONENT_VALTYPE_RECORD:
      if (const auto* fields = value.if_record()) return checked_record(*fields, type, path);
      break;
    case WASMTIME_COMPONENT_VALTYPE_TUPLE:
      if (const auto* elements = value.if_tuple()) return checked_tuple(*elements, type, path);
      break;
    case WASMTIME_COMPONENT_VALTYPE_VARIANT:
      if (value.kind() == Value::Kind::Variant) {
        return checked_variant(value, *value.if_case(), type, path);
      }
      break;
    case WASMTIME_COMPONENT_VALTYPE_ENUM:
      if (value.kind() == Value::Kind::Enum) return checked_enum(*value.if_case(), type, path);
      break;
    case WASMTIME_COMPONENT_VALTYPE_OPTION:
      if (value.is_none()) return Val(WitOption(std::nullopt));
      if (value.is_some()) {
        const PathStep step{path, "some"};
        ORIVON_TRY(Val inner, checked(*value.payload(), type.option().ty(), &step));
        return Val(WitOption(std::move(inner)));
      }
      break;
    case WASMTIME_COMPONENT_VALTYPE_RESULT:
      if (value.kind() == Value::Kind::Result) return checked_result(value, type, path);
      break;
    case WASMTIME_COMPONENT_VALTYPE_FLAGS:
      if (const auto* names = value.if_flags()) return checked_flags(*names, type, path);
      break;
    default:
      return Error(ErrorCode::Unimplemented, "an orivon::Value cannot stand for " +
                                                 describe_type(type) + at(path) +
                                                 "; only plain data types are supported");
  }
  return mismatch(type, value, path);
}

// ----------------------------------------------------------------------------------------
// Val -> Value

Result<Value> from(const Val& value, int depth);

Result<std::vector<Value>> from_all(const Val* begin, const Val* end, int depth) {
  std::vector<Value> out;
  out.reserve(static_cast<std::size_t>(end - begin));
  for (const Val* element = begin; element != end; ++element) {
    ORIVON_TRY(Value converted, from(*element, depth + 1));
    out.push_back(std::move(converted));
  }
  return out;
}

Result<Value> from(const Val& value, int depth) {
  if (depth > kMaxDepth) {
    return invalid_argument("value nested more than " + std::to_string(kMaxDepth) +
                            " levels deep");
  }
  if (value.is_bool()) return Value::boolean(value.get_bool());
  if (value.is_s8()) return Value::s8(value.get_s8());
  if (value.is_u8()) return Value::u8(value.get_u8());
  if (value.is_s16()) return Value::s16(value.get_s16());
  if (value.is_u16()) return Value::u16(value.get_u16());
  if (value.is_s32()) return Value::s32(value.get_s32());
  if (value.is_u32()) return Value::u32(value.get_u32());
  if (value.is_s64()) return Value::s64(value.get_s64());
  if (value.is_u64()) return Value::u64(value.get_u64());
  if (value.is_f32()) return Value::f32(value.get_f32());
  if (value.is_f64()) return Value::f64(value.get_f64());
  if (value.capi()->kind == WASMTIME_COMPONENT_CHAR) {
    // The C++ Val has a char_() constructor but no is_char()/get_char().
    return Value::character(static_cast<char32_t>(value.capi()->of.character));
  }
  if (value.is_string()) return Value::string(std::string(value.get_string()));
  if (value.is_list()) {
    const List& list = value.get_list();
    // A list<u8> (its elements can only be u8s when the first is) comes back as Bytes.
    if (list.size() > 0 && list.begin()->is_u8()) {
      std::vector<std::uint8_t> bytes;
      bytes.reserve(list.size());
      for (const Val& element : list) {
        if (!element.is_u8()) return invalid_argument("a list mixes u8 with other kinds");
        bytes.push_back(element.get_u8());
      }
      return Value::bytes(std::move(bytes));
    }
    ORIVON_TRY(std::vector<Value> elements, from_all(list.begin(), list.end(), depth));
    return Value::list(std::move(elements));
  }
  if (value.is_tuple()) {
    const Tuple& tuple = value.get_tuple();
    ORIVON_TRY(std::vector<Value> elements, from_all(tuple.begin(), tuple.end(), depth));
    return Value::tuple(std::move(elements));
  }
  if (value.is_record()) {
    std::vector<Value::Field> fields;
    fields.reserve(value.get_record().size());
    for (const RecordField& field : value.get_record()) {
      ORIVON_TRY(Value field_value, from(field.value(), depth + 1));
      fields.push_back(Value::Field{std::string(field.name()), std::move(field_value)});
    }
    return Value::record(std::move(fields));
  }
  if (value.is_variant()) {
    const Variant& variant = value.get_variant();
    std::string name(variant.discriminant());
    if (const Val* payload = variant.value()) {
      ORIVON_TRY(Value inner, from(*payload, depth + 1));
      return Value::variant(std::move(name), std::move(inner));
    }
    return Value::variant(std::move(name));
  }
  if (value.is_enum()) return Value::enumeration(std::string(value.get_enum()));
  if (value.is_option()) {
    if (const Val* payload = value.get_option().value()) {
      ORIVON_TRY(Value inner, from(*payload, depth + 1));
      return Value::some(std::move(inner));
    }
    return Value::none();
  }
  if (value.is_result()) {
    const WitResult& result = value.get_result();
    std::optional<Value> inner;
    if (const Val* payload = result.payload()) {
      ORIVON_TRY(Value converted, from(*payload, depth + 1));
      inner.emplace(std::move(converted));
    }
    if (result.is_ok()) return inner ? Value::ok(std::move(*inner)) : Value::ok();
    return inner ? Value::err(std::move(*inner)) : Value::err();
  }
  if (value.is_flags()) {
    std::vector<std::string> names;
    for (const Flag& flag : value.get_flags()) names.emplace_back(flag.name());
    return Value::flags(std::move(names));
  }
  if (value.is_resource()) {
    return Error(ErrorCode::Unimplemented, "an orivon::Value cannot hold a resource");
  }
  if (value.is_map()) {
    return Error(ErrorCode::Unimplemented, "an orivon::Value cannot hold a map");
  }
  return Error(ErrorCode::Unimplemented,
               "an orivon::Value cannot hold a component value of kind " +
                   std::to_string(static_cast<int>(value.capi()->kind)));
}

// ----------------------------------------------------------------------------------------
// Value -> Val, as it stands

std::vector<Val> unchecked_all(const std::vector<Value>& values) {
  std::vector<Val> out;
  out.reserve(values.size());
  for (const Value& value : values) out.push_back(to_wasmtime_unchecked(value));
  return out;
}

std::optional<Val> unchecked_payload(const Value& value) {
  if (const Value* payload = value.payload()) return to_wasmtime_unchecked(*payload);
  return std::nullopt;
}

}  // namespace

Result<wasmtime::component::Val> to_wasmtime(const Value& value,
                                             const wasmtime::component::ValType& expected) {
  return checked(value, expected, nullptr);
}

Result<Value> from_wasmtime(const wasmtime::component::Val& value) { return from(value, 1); }

wasmtime::component::Val to_wasmtime_unchecked(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Bool:
      return Val(*value.as_bool());
    case Value::Kind::S8:
      return Val(*value.as_s8());
    case Value::Kind::U8:
      return Val(*value.as_u8());
    case Value::Kind::S16:
      return Val(*value.as_s16());
    case Value::Kind::U16:
      return Val(*value.as_u16());
    case Value::Kind::S32:
      return Val(*value.as_s32());
    case Value::Kind::U32:
      return Val(*value.as_u32());
    case Value::Kind::S64:
      return Val(*value.as_s64());
    case Value::Kind::U64:
      return Val(*value.as_u64());
    case Value::Kind::F32:
      return Val(*value.as_f32());
    case Value::Kind::F64:
      return Val(*value.as_f64());
    case Value::Kind::Char:
      return Val::char_(static_cast<std::uint32_t>(*value.as_char()));
    case Value::Kind::String:
      return Val::string(*value.if_string());
    case Value::Kind::List:
      return Val(List(unchecked_all(*value.if_list())));
    case Value::Kind::Bytes:
      return Val(List(byte_vals(*value.if_bytes())));
    case Value::Kind::Tuple:
      return Val(Tuple(unchecked_all(*value.if_tuple())));
    case Value::Kind::Record: {
      std::vector<std::pair<std::string_view, Val>> entries;
      for (const Value::Field& field : *value.if_record()) {
        entries.emplace_back(field.name, to_wasmtime_unchecked(field.value));
      }
      return Val(Record(std::move(entries)));
    }
    case Value::Kind::Variant:
      return Val(Variant(*value.if_case(), unchecked_payload(value)));
    case Value::Kind::Enum:
      return Val::enum_(*value.if_case());
    case Value::Kind::Option:
      return Val(WitOption(unchecked_payload(value)));
    case Value::Kind::Result:
      return Val(value.is_ok() ? WitResult::ok(unchecked_payload(value))
                               : WitResult::err(unchecked_payload(value)));
    case Value::Kind::Flags: {
      std::vector<Flag> flags;
      for (const std::string& name : *value.if_flags()) flags.emplace_back(name);
      return Val(Flags(std::move(flags)));
    }
  }
  return Val(false);  // Not reached: the switch covers every kind.
}

}  // namespace orivon::values
