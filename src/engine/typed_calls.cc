#include "engine/typed_calls.h"

#include <string>

#include "core/utf8.h"

namespace orivon::engine {
namespace {

namespace wc = wasmtime::component;

bool is_bytes(const wc::ValType& type) { return type.is_list() && type.list().element().is_u8(); }

std::optional<FastKind> param_kind(const wc::ValType& type) {
  if (is_bytes(type)) return FastKind::Bytes;
  if (type.is_string()) return FastKind::String;
  if (type.is_u32()) return FastKind::U32;
  if (type.is_u64()) return FastKind::U64;
  if (type.is_s32()) return FastKind::S32;
  if (type.is_s64()) return FastKind::S64;
  return std::nullopt;
}

std::optional<FastKind> result_kind(const wc::ValType& type) {
  if (auto kind = param_kind(type)) return kind;
  if (!type.is_result()) return std::nullopt;
  auto ok = type.result().ok();
  auto err = type.result().err();
  if (!ok || !err || !err->is_string()) return std::nullopt;
  if (is_bytes(*ok)) return FastKind::ResultBytes;
  if (ok->is_string()) return FastKind::ResultString;
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

}  // namespace

std::optional<FastShape> fast_shape(const wc::FuncType& type) {
  FastShape shape;
  const std::size_t params = type.param_count();
  if (params > 1) return std::nullopt;
  if (params == 1) {
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
  if (!is_bulk(shape.param) && !is_bulk(shape.result)) return std::nullopt;
  if (!orivon_fast_shape_supported(static_cast<std::uint8_t>(shape.param),
                                   static_cast<std::uint8_t>(shape.result))) {
    return std::nullopt;
  }
  return shape;
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
  if (value.is_err) return Value::err(Value::string(std::string(text_of(value))));
  switch (kind) {
    case FastKind::Bytes:
      return Value::bytes(bytes_of(value));
    case FastKind::String:
      return Value::string(std::string(text_of(value)));
    case FastKind::ResultBytes:
      return Value::ok(Value::bytes(bytes_of(value)));
    case FastKind::ResultString:
      return Value::ok(Value::string(std::string(text_of(value))));
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
  const std::size_t expected = shape.param == FastKind::None ? 0 : 1;
  if (args.size() != expected) return std::nullopt;
  if (expected == 1) {
    const Value& value = args[0];
    if (is_scalar(shape.param)) {
      auto bits = scalar_bits(shape.param, value, /*exact=*/true);
      if (!bits) return std::nullopt;
      arg.len = static_cast<std::size_t>(*bits);
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
      static_cast<std::uint8_t>(shape.result), &arg, expected, take_results, &sink);
  if (error != nullptr) {
    results.clear();
    return wasmtime::Result<std::monostate>(wasmtime::Error(error));
  }
  return wasmtime::Result<std::monostate>(std::monostate{});
}

}  // namespace orivon::engine
