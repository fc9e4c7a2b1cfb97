#include "orivon/value.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "values/value_conversion.h"
#include "values/wave.h"

namespace orivon {
namespace {

constexpr std::string_view kSome = "some";
constexpr std::string_view kNone = "none";
constexpr std::string_view kOk = "ok";
constexpr std::string_view kErr = "err";

// Same value rather than IEEE equality, so that == stays an equivalence relation.
template <typename F>
bool same_float(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

bool same_flags(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // Value::flags() removes repeats, so equal sizes and a ⊆ b mean equal sets.
  if (a.size() != b.size()) return false;
  return std::all_of(a.begin(), a.end(), [&](const std::string& name) {
    return std::find(b.begin(), b.end(), name) != b.end();
  });
}

// A List equals Bytes when it holds the same bytes as U8 values.
bool same_bytes(const std::vector<Value>& list, const std::vector<std::uint8_t>& bytes) {
  if (list.size() != bytes.size()) return false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (list[i].as_u8() != bytes[i]) return false;
  }
  return true;
}

}  // namespace

Value::Value(Kind kind, Storage storage) : kind_(kind), storage_(std::move(storage)) {}

Value Value::boolean(bool value) { return Value(Kind::Bool, value); }
Value Value::s8(std::int8_t value) { return Value(Kind::S8, value); }
Value Value::u8(std::uint8_t value) { return Value(Kind::U8, value); }
Value Value::s16(std::int16_t value) { return Value(Kind::S16, value); }
Value Value::u16(std::uint16_t value) { return Value(Kind::U16, value); }
Value Value::s32(std::int32_t value) { return Value(Kind::S32, value); }
Value Value::u32(std::uint32_t value) { return Value(Kind::U32, value); }
Value Value::s64(std::int64_t value) { return Value(Kind::S64, value); }
Value Value::u64(std::uint64_t value) { return Value(Kind::U64, value); }
Value Value::f32(float value) { return Value(Kind::F32, value); }
Value Value::f64(double value) { return Value(Kind::F64, value); }
Value Value::character(char32_t value) { return Value(Kind::Char, value); }
Value Value::string(std::string text) { return Value(Kind::String, std::move(text)); }

Value Value::list(std::vector<Value> elements) {
  return Value(Kind::List, Storage(std::in_place_type<std::vector<Value>>, std::move(elements)));
}

Value Value::bytes(std::vector<std::uint8_t> data) {
  return Value(Kind::Bytes,
               Storage(std::in_place_type<std::vector<std::uint8_t>>, std::move(data)));
}

Value Value::record(std::vector<Field> fields) {
  return Value(Kind::Record, Storage(std::in_place_type<std::vector<Field>>, std::move(fields)));
}

Value Value::tuple(std::vector<Value> elements) {
  return Value(Kind::Tuple, Storage(std::in_place_type<std::vector<Value>>, std::move(elements)));
}

Value Value::variant(std::string case_name) {
  return Value(Kind::Variant, Case{std::move(case_name), {}});
}

Value Value::variant(std::string case_name, Value payload) {
  Case variant_case{std::move(case_name), {}};
  variant_case.payload.push_back(std::move(payload));
  return Value(Kind::Variant, std::move(variant_case));
}

Value Value::enumeration(std::string case_name) {
  return Value(Kind::Enum, Case{std::move(case_name), {}});
}

Value Value::some(Value payload) {
  Case option_case{std::string(kSome), {}};
  option_case.payload.push_back(std::move(payload));
  return Value(Kind::Option, std::move(option_case));
}

Value Value::none() { return Value(Kind::Option, Case{std::string(kNone), {}}); }

Value Value::ok() { return Value(Kind::Result, Case{std::string(kOk), {}}); }

Value Value::ok(Value payload) {
  Case result_case{std::string(kOk), {}};
  result_case.payload.push_back(std::move(payload));
  return Value(Kind::Result, std::move(result_case));
}

Value Value::err() { return Value(Kind::Result, Case{std::string(kErr), {}}); }

Value Value::err(Value payload) {
  Case result_case{std::string(kErr), {}};
  result_case.payload.push_back(std::move(payload));
  return Value(Kind::Result, std::move(result_case));
}

Value Value::flags(std::vector<std::string> names) {
  std::vector<std::string> unique;
  unique.reserve(names.size());
  for (std::string& name : names) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  return Value(Kind::Flags, std::move(unique));
}

const std::string* Value::if_string() const {
  return kind_ == Kind::String ? std::get_if<std::string>(&storage_) : nullptr;
}

const std::vector<Value>* Value::if_list() const {
  return kind_ == Kind::List ? std::get_if<std::vector<Value>>(&storage_) : nullptr;
}

const std::vector<std::uint8_t>* Value::if_bytes() const {
  return kind_ == Kind::Bytes ? std::get_if<std::vector<std::uint8_t>>(&storage_) : nullptr;
}

const std::vector<Value>* Value::if_tuple() const {
  return kind_ == Kind::Tuple ? std::get_if<std::vector<Value>>(&storage_) : nullptr;
}

const std::vector<Value::Field>* Value::if_record() const {
  return kind_ == Kind::Record ? std::get_if<std::vector<Field>>(&storage_) : nullptr;
}

const std::vector<std::string>* Value::if_flags() const {
  return kind_ == Kind::Flags ? std::get_if<std::vector<std::string>>(&storage_) : nullptr;
}

const Value::Case* Value::if_case_storage() const { return std::get_if<Case>(&storage_); }

const std::string* Value::if_case() const {
  if (kind_ != Kind::Variant && kind_ != Kind::Enum) return nullptr;
  return &if_case_storage()->name;
}

const Value* Value::field(std::string_view name) const {
  const std::vector<Field>* fields = if_record();
  if (fields == nullptr) return nullptr;
  for (const Field& field : *fields) {
    if (field.name == name) return &field.value;
  }
  return nullptr;
}

const Value* Value::payload() const {
  const Case* value_case = if_case_storage();
  if (value_case == nullptr || value_case->payload.empty()) return nullptr;
  return &value_case->payload.front();
}

bool Value::is_some() const { return kind_ == Kind::Option && payload() != nullptr; }

bool Value::is_none() const { return kind_ == Kind::Option && payload() == nullptr; }

bool Value::is_ok() const { return kind_ == Kind::Result && if_case_storage()->name == kOk; }

bool Value::is_err() const { return kind_ == Kind::Result && if_case_storage()->name == kErr; }

bool Value::has_flag(std::string_view name) const {
  const std::vector<std::string>* names = if_flags();
  return names != nullptr && std::find(names->begin(), names->end(), name) != names->end();
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ == Value::Kind::Bytes && b.kind_ == Value::Kind::List) return b == a;
  if (a.kind_ == Value::Kind::List && b.kind_ == Value::Kind::Bytes) {
    return same_bytes(*a.if_list(), *b.if_bytes());
  }
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Value::Kind::F32:
      return same_float(*a.as_f32(), *b.as_f32());
    case Value::Kind::F64:
      return same_float(*a.as_f64(), *b.as_f64());
    case Value::Kind::Flags:
      return same_flags(*a.if_flags(), *b.if_flags());
    default:
      // Everything else compares member by member; nested values (in lists, fields and
      // payloads) come back to this operator.
      return a.storage_ == b.storage_;
  }
}

std::string_view value_kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::Bool:
      return "bool";
    case Value::Kind::S8:
      return "s8";
    case Value::Kind::U8:
      return "u8";
    case Value::Kind::S16:
      return "s16";
    case Value::Kind::U16:
      return "u16";
    case Value::Kind::S32:
      return "s32";
    case Value::Kind::U32:
      return "u32";
    case Value::Kind::S64:
      return "s64";
    case Value::Kind::U64:
      return "u64";
    case Value::Kind::F32:
      return "f32";
    case Value::Kind::F64:
      return "f64";
    case Value::Kind::Char:
      return "char";
    case Value::Kind::String:
      return "string";
    case Value::Kind::List:
      return "list";
    case Value::Kind::Record:
      return "record";
    case Value::Kind::Tuple:
      return "tuple";
    case Value::Kind::Variant:
      return "variant";
    case Value::Kind::Enum:
      return "enum";
    case Value::Kind::Option:
      return "option";
    case Value::Kind::Result:
      return "result";
    case Value::Kind::Flags:
      return "flags";
    case Value::Kind::Bytes:
      return "list<u8>";
  }
  return "unknown";
}

std::string to_wave(const Value& value) {
  // One formatter for both: the value becomes the Wasmtime value it stands for, and
  // format_wave prints that, so `orivon call` output and to_wave() cannot drift apart.
  return values::format_wave(values::to_wasmtime_unchecked(value));
}

}  // namespace orivon
