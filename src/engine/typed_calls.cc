#include "engine/typed_calls.h"

#include <bit>
#include <cstring>
#include <string>

#include "core/utf8.h"

namespace orivon::engine {
namespace {

namespace wc = wasmtime::component;

bool is_bytes(const wc::ValType& type) { return type.is_list() && type.list().element().is_u8(); }

std::optional<FastKind> number_list_kind(const wc::ValType& type) {
  if (!type.is_list()) return std::nullopt;
  const auto element = type.list().element();
  if (element.is_u32()) return FastKind::ListU32;
  if (element.is_u64()) return FastKind::ListU64;
  if (element.is_s32()) return FastKind::ListS32;
  if (element.is_s64()) return FastKind::ListS64;
  if (element.is_f32()) return FastKind::ListF32;
  if (element.is_f64()) return FastKind::ListF64;
  return std::nullopt;
}

std::optional<FastKind> param_kind(const wc::ValType& type) {
  if (is_bytes(type)) return FastKind::Bytes;
  if (auto kind = number_list_kind(type)) return kind;
  if (type.is_string()) return FastKind::String;
  if (type.is_u32()) return FastKind::U32;
  if (type.is_u64()) return FastKind::U64;
  if (type.is_s32()) return FastKind::S32;
  if (type.is_s64()) return FastKind::S64;
  return std::nullopt;
}

std::optional<FastKind> result_kind(const wc::ValType& type) {
  if (auto kind = param_kind(type)) return kind;
  if (type.is_option()) {
    auto some = type.option().ty();
    if (is_bytes(some)) return FastKind::OptionBytes;
    if (some.is_string()) return FastKind::OptionString;
    return std::nullopt;
  }
  if (!type.is_result()) return std::nullopt;
  auto ok = type.result().ok();
  auto err = type.result().err();
  if (!err || !err->is_string()) return std::nullopt;
  if (!ok) return FastKind::ResultUnit;
  if (is_bytes(*ok)) return FastKind::ResultBytes;
  if (ok->is_string()) return FastKind::ResultString;
  if (ok->is_u32()) return FastKind::ResultU32;
  if (ok->is_u64()) return FastKind::ResultU64;
  return std::nullopt;
}

std::string_view text_of(const orivon_fast_val_t& value) {
  return value.len == 0 ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(value.data), value.len);
}

std::vector<std::uint8_t> bytes_of(const orivon_fast_val_t& value) {
  return value.len == 0 ? std::vector<std::uint8_t>()
                        : std::vector<std::uint8_t>(value.data, value.data + value.len);
}

// The bits of `element` when it is a number of the kind list kind `kind`
// holds (a float's bit pattern; a signed number's two's complement).
std::optional<std::uint64_t> number_bits(FastKind kind, const Value& element) {
  switch (kind) {
    case FastKind::ListU32:
      if (auto v = element.as_u32()) return *v;
      break;
    case FastKind::ListS32:
      if (auto v = element.as_s32()) return static_cast<std::uint32_t>(*v);
      break;
    case FastKind::ListF32:
      if (auto v = element.as_f32()) return std::bit_cast<std::uint32_t>(*v);
      break;
    case FastKind::ListU64:
      if (auto v = element.as_u64()) return *v;
      break;
    case FastKind::ListS64:
      if (auto v = element.as_s64()) return static_cast<std::uint64_t>(*v);
      break;
    case FastKind::ListF64:
      if (auto v = element.as_f64()) return std::bit_cast<std::uint64_t>(*v);
      break;
    default:
      break;
  }
  return std::nullopt;
}

struct Sink {
  FastKind kind;
  std::vector<Value>* results;
};

void take_results(void* data, const orivon_fast_val_t* values, size_t count) noexcept {
  auto* sink = static_cast<Sink*>(data);
  try {
    for (std::size_t i = 0; i < count; ++i) {
      sink->results->push_back(fast_value(sink->kind, values[i]));
    }
  } catch (...) {
    // Out of memory copying a result: the caller sees fewer results than
    // declared and reports it.
    sink->results->clear();
  }
}

// The pair kind of two parameters of one number kind.
std::optional<FastKind> pair_kind(const wc::FuncType& type) {
  auto first = type.param_nth(0);
  auto second = type.param_nth(1);
  if (!first || !second) return std::nullopt;
  auto a = param_kind(first->second);
  auto b = param_kind(second->second);
  if (!a || a != b || !is_scalar(*a)) return std::nullopt;
  switch (*a) {
    case FastKind::U32: return FastKind::PairU32;
    case FastKind::U64: return FastKind::PairU64;
    case FastKind::S32: return FastKind::PairS32;
    default: return FastKind::PairS64;
  }
}

}  // namespace

std::optional<FastShape> fast_shape(const wc::FuncType& type) {
  FastShape shape;
  const std::size_t params = type.param_count();
  if (params > 2) return std::nullopt;
  if (params == 2) {
    auto kind = pair_kind(type);
    if (!kind) return std::nullopt;
    shape.param = *kind;
  } else if (params == 1) {
    auto param = type.param_nth(0);
    if (!param) return std::nullopt;
    auto kind = param_kind(param->second);
    if (!kind) return std::nullopt;
    shape.param = *kind;
  }
  if (auto result = type.result()) {
    auto kind = result_kind(*result);
    if (!kind) return std::nullopt;
    shape.result = *kind;
  }
  if (!orivon_fast_shape_supported(static_cast<std::uint8_t>(shape.param),
                                   static_cast<std::uint8_t>(shape.result))) {
    return std::nullopt;
  }
  return shape;
}

bool pack_numbers(FastKind kind, const Value& value, std::vector<std::uint64_t>& packed) {
  const std::vector<Value>* list = value.if_list();
  if (list == nullptr) return false;
  const std::size_t size = element_size(kind);
  packed.assign((list->size() * size + 7) / 8, 0);
  auto* out = reinterpret_cast<unsigned char*>(packed.data());
  for (const Value& element : *list) {
    auto bits = number_bits(kind, element);
    if (!bits) return false;
    // The host is little-endian (lib.rs asserts it): the low `size` bytes
    // in memory are the number's canonical ABI bytes.
    std::memcpy(out, &*bits, size);
    out += size;
  }
  return true;
}

Value unpack_numbers(FastKind kind, const std::uint8_t* bytes, std::size_t length) {
  const std::size_t size = element_size(kind);
  std::vector<Value> elements;
  elements.reserve(length / size);
  for (std::size_t offset = 0; offset + size <= length; offset += size) {
    std::uint32_t narrow = 0;
    std::uint64_t wide = 0;
    if (size == 4) {
      std::memcpy(&narrow, bytes + offset, 4);
    } else {
      std::memcpy(&wide, bytes + offset, 8);
    }
    switch (kind) {
      case FastKind::ListU32:
        elements.push_back(Value::u32(narrow));
        break;
      case FastKind::ListS32:
        elements.push_back(Value::s32(static_cast<std::int32_t>(narrow)));
        break;
      case FastKind::ListF32:
        elements.push_back(Value::f32(std::bit_cast<float>(narrow)));
        break;
      case FastKind::ListU64:
        elements.push_back(Value::u64(wide));
        break;
      case FastKind::ListS64:
        elements.push_back(Value::s64(static_cast<std::int64_t>(wide)));
        break;
      default:
        elements.push_back(Value::f64(std::bit_cast<double>(wide)));
        break;
    }
  }
  return Value::list(std::move(elements));
}

Value scalar_value(FastKind kind, std::uint64_t bits) {
  switch (kind) {
    case FastKind::U32:
      return Value::u32(static_cast<std::uint32_t>(bits));
    case FastKind::S32:
      return Value::s32(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits)));
    case FastKind::S64:
      return Value::s64(static_cast<std::int64_t>(bits));
    default:
      return Value::u64(bits);
  }
}

std::optional<std::uint64_t> scalar_bits(FastKind kind, const Value& value, bool exact) {
  const bool wide = kind == FastKind::U64 || kind == FastKind::S64;
  if (kind == FastKind::U32 || (!exact && !wide)) {
    if (auto v = value.as_u32()) return *v;
  }
  if (kind == FastKind::S32 || (!exact && !wide)) {
    if (auto v = value.as_s32()) return static_cast<std::uint64_t>(static_cast<std::int64_t>(*v));
  }
  if (kind == FastKind::U64 || (!exact && wide)) {
    if (auto v = value.as_u64()) return *v;
  }
  if (kind == FastKind::S64 || (!exact && wide)) {
    if (auto v = value.as_s64()) return static_cast<std::uint64_t>(*v);
  }
  return std::nullopt;
}

Value fast_value(FastKind kind, const orivon_fast_val_t& value) {
  if (is_scalar(kind)) return scalar_value(kind, value.len);
  if (is_option(kind)) {
    if (value.is_err) return Value::none();
    return Value::some(kind == FastKind::OptionBytes ? Value::bytes(bytes_of(value))
                                                     : Value::string(std::string(text_of(value))));
  }
  if (value.is_err) return Value::err(Value::string(std::string(text_of(value))));
  if (is_number_list(kind)) return unpack_numbers(kind, value.data, value.len);
  switch (kind) {
    case FastKind::Bytes:
      return Value::bytes(bytes_of(value));
    case FastKind::String:
      return Value::string(std::string(text_of(value)));
    case FastKind::ResultBytes:
      return Value::ok(Value::bytes(bytes_of(value)));
    case FastKind::ResultString:
      return Value::ok(Value::string(std::string(text_of(value))));
    case FastKind::ResultUnit:
      return Value::ok();
    case FastKind::ResultU32:
      return Value::ok(Value::u32(static_cast<std::uint32_t>(value.len)));
    case FastKind::ResultU64:
      return Value::ok(Value::u64(value.len));
    default:
      break;
  }
  return Value::bytes({});  // not reached: None carries no value
}

std::optional<wasmtime::Result<std::monostate>> call_typed(wasmtime::Store::Context context,
                                                           const wc::Func& func, FastShape shape,
                                                           std::span<const Value> args,
                                                           std::vector<Value>& results,
                                                           StringCheck strings) {
  results.clear();
  orivon_fast_val_t arg{static_cast<std::uint8_t>(shape.param), false, nullptr, 0};
  std::vector<std::uint8_t> converted;  // a List of U8 values, as bytes
  std::vector<std::uint64_t> packed;    // a List of other numbers, packed
  const std::size_t expected = shape.param == FastKind::None ? 0 : is_pair(shape.param) ? 2 : 1;
  if (args.size() != expected) return std::nullopt;
  orivon_fast_val_t pair[2] = {};  // the arguments of a pair shape
  if (expected == 2) {
    const FastKind element = pair_element(shape.param);
    for (std::size_t i = 0; i < 2; ++i) {
      auto bits = scalar_bits(element, args[i], /*exact=*/true);
      if (!bits) return std::nullopt;
      pair[i] = orivon_fast_val_t{static_cast<std::uint8_t>(element), false, nullptr,
                                  static_cast<std::size_t>(*bits)};
    }
  }
  if (expected == 1) {
    const Value& value = args[0];
    if (is_scalar(shape.param)) {
      auto bits = scalar_bits(shape.param, value, /*exact=*/true);
      if (!bits) return std::nullopt;
      arg.len = static_cast<std::size_t>(*bits);
    } else if (is_number_list(shape.param)) {
      if (!pack_numbers(shape.param, value, packed)) return std::nullopt;
      arg.data = reinterpret_cast<const std::uint8_t*>(packed.data());
      arg.len = value.if_list()->size() * element_size(shape.param);
    } else if (shape.param == FastKind::Bytes) {
      if (const auto* bytes = value.if_bytes()) {
        arg.data = bytes->data();
        arg.len = bytes->size();
      } else if (const auto* list = value.if_list()) {
        converted.reserve(list->size());
        for (const Value& element : *list) {
          auto byte = element.as_u8();
          if (!byte) return std::nullopt;
          converted.push_back(*byte);
        }
        arg.data = converted.data();
        arg.len = converted.size();
      } else {
        return std::nullopt;
      }
    } else {
      const std::string* text = value.if_string();
      if (text == nullptr) return std::nullopt;
      // Rust checks it again (it must, to hold a &str) but reports a bad
      // one as a failure: a client's gets the generic path's exact message.
      if (strings == StringCheck::Check && invalid_utf8_at(*text) != std::string_view::npos) {
        return std::nullopt;
      }
      arg.data = reinterpret_cast<const std::uint8_t*>(text->data());
      arg.len = text->size();
    }
  }
  Sink sink{shape.result, &results};
  wasmtime_error_t* error = orivon_component_func_call_typed(
      func.capi(), context.capi(), static_cast<std::uint8_t>(shape.param),
      static_cast<std::uint8_t>(shape.result), expected == 2 ? pair : &arg, expected,
      take_results, &sink);
  if (error != nullptr) {
    results.clear();
    return wasmtime::Result<std::monostate>(wasmtime::Error(error));
  }
  return wasmtime::Result<std::monostate>(std::monostate{});
}

}  // namespace orivon::engine
