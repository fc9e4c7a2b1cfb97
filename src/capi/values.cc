// The C API's typed values: numbers, strings and bytes built by the caller,
// and whatever a call returns, readable by kind or as WAVE text.

#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "capi/handles.h"

namespace orivon::capi {
namespace {

// Running out of memory is the one way the constructors can fail: NULL then.
template <typename Make>
orivon_value_t* wrap_value(Make&& make) noexcept {
  try {
    return new orivon_value{make()};
  } catch (...) {
    return nullptr;
  }
}

orivon_error_t* wrong_kind(const orivon_value_t* value, std::string_view wanted) {
  return make_error(ErrorCode::InvalidArgument,
                    "the value is a " + std::string(value_kind_name(value->value.kind())) +
                        ", not " + std::string(wanted));
}

}  // namespace
}  // namespace orivon::capi

using orivon::Value;
using orivon::capi::guard;
using orivon::capi::null_argument;
using orivon::capi::wrong_kind;

extern "C" {

orivon_value_t* orivon_value_new_bool(bool value) {
  return orivon::capi::wrap_value([&] { return Value::boolean(value); });
}
orivon_value_t* orivon_value_new_s8(int8_t value) { return orivon::capi::wrap_value([&] { return Value::s8(value); }); }
orivon_value_t* orivon_value_new_u8(uint8_t value) { return orivon::capi::wrap_value([&] { return Value::u8(value); }); }
orivon_value_t* orivon_value_new_s16(int16_t value) {
  return orivon::capi::wrap_value([&] { return Value::s16(value); });
}
orivon_value_t* orivon_value_new_u16(uint16_t value) {
  return orivon::capi::wrap_value([&] { return Value::u16(value); });
}
orivon_value_t* orivon_value_new_s32(int32_t value) {
  return orivon::capi::wrap_value([&] { return Value::s32(value); });
}
orivon_value_t* orivon_value_new_u32(uint32_t value) {
  return orivon::capi::wrap_value([&] { return Value::u32(value); });
}
orivon_value_t* orivon_value_new_s64(int64_t value) {
  return orivon::capi::wrap_value([&] { return Value::s64(value); });
}
orivon_value_t* orivon_value_new_u64(uint64_t value) {
  return orivon::capi::wrap_value([&] { return Value::u64(value); });
}
orivon_value_t* orivon_value_new_f32(float value) {
  return orivon::capi::wrap_value([&] { return Value::f32(value); });
}
orivon_value_t* orivon_value_new_f64(double value) {
  return orivon::capi::wrap_value([&] { return Value::f64(value); });
}

orivon_value_t* orivon_value_new_string(const char* text, size_t size) {
  return orivon::capi::wrap_value(
      [&] { return Value::string(text == nullptr ? std::string() : std::string(text, size)); });
}

orivon_value_t* orivon_value_new_bytes(const uint8_t* data, size_t size) {
  return orivon::capi::wrap_value([&] {
    std::vector<std::uint8_t> bytes;
    if (data != nullptr) bytes.assign(data, data + size);
    return Value::bytes(std::move(bytes));
  });
}

orivon_value_kind_t orivon_value_kind(const orivon_value_t* value) {
  if (value == nullptr) return ORIVON_VALUE_OTHER;
  switch (value->value.kind()) {
    case Value::Kind::Bool: return ORIVON_VALUE_BOOL;
    case Value::Kind::S8: return ORIVON_VALUE_S8;
    case Value::Kind::U8: return ORIVON_VALUE_U8;
    case Value::Kind::S16: return ORIVON_VALUE_S16;
    case Value::Kind::U16: return ORIVON_VALUE_U16;
    case Value::Kind::S32: return ORIVON_VALUE_S32;
    case Value::Kind::U32: return ORIVON_VALUE_U32;
    case Value::Kind::S64: return ORIVON_VALUE_S64;
    case Value::Kind::U64: return ORIVON_VALUE_U64;
    case Value::Kind::F32: return ORIVON_VALUE_F32;
    case Value::Kind::F64: return ORIVON_VALUE_F64;
    case Value::Kind::String: return ORIVON_VALUE_STRING;
    case Value::Kind::Bytes: return ORIVON_VALUE_BYTES;
    default: return ORIVON_VALUE_OTHER;
  }
}

orivon_error_t* orivon_value_get_bool(const orivon_value_t* value, bool* out) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (out == nullptr) return null_argument("out");
    auto read = value->value.as_bool();
    if (!read) return wrong_kind(value, "a bool");
    *out = *read;
    return nullptr;
  });
}

orivon_error_t* orivon_value_get_signed(const orivon_value_t* value, int64_t* out) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (out == nullptr) return null_argument("out");
    const Value& v = value->value;
    std::optional<std::int64_t> read;
    if (auto x = v.as_s8()) read = *x;
    if (auto x = v.as_s16()) read = *x;
    if (auto x = v.as_s32()) read = *x;
    if (auto x = v.as_s64()) read = *x;
    if (!read) return wrong_kind(value, "a signed integer");
    *out = *read;
    return nullptr;
  });
}

orivon_error_t* orivon_value_get_unsigned(const orivon_value_t* value, uint64_t* out) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (out == nullptr) return null_argument("out");
    const Value& v = value->value;
    std::optional<std::uint64_t> read;
    if (auto x = v.as_u8()) read = *x;
    if (auto x = v.as_u16()) read = *x;
    if (auto x = v.as_u32()) read = *x;
    if (auto x = v.as_u64()) read = *x;
    if (!read) return wrong_kind(value, "an unsigned integer");
    *out = *read;
    return nullptr;
  });
}

orivon_error_t* orivon_value_get_float(const orivon_value_t* value, double* out) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (out == nullptr) return null_argument("out");
    const Value& v = value->value;
    std::optional<double> read;
    if (auto x = v.as_f32()) read = *x;
    if (auto x = v.as_f64()) read = *x;
    if (!read) return wrong_kind(value, "a float");
    *out = *read;
    return nullptr;
  });
}

orivon_error_t* orivon_value_get_string(const orivon_value_t* value, const char** text,
                                        size_t* size) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (text == nullptr) return null_argument("text");
    if (size == nullptr) return null_argument("size");
    const std::string* read = value->value.if_string();
    if (read == nullptr) return wrong_kind(value, "a string");
    *text = read->data();
    *size = read->size();
    return nullptr;
  });
}

orivon_error_t* orivon_value_get_bytes(const orivon_value_t* value, const uint8_t** data,
                                       size_t* size) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (data == nullptr) return null_argument("data");
    if (size == nullptr) return null_argument("size");
    const std::vector<std::uint8_t>* read = value->value.if_bytes();
    if (read == nullptr) return wrong_kind(value, "bytes");
    *data = read->data();
    *size = read->size();
    return nullptr;
  });
}

orivon_error_t* orivon_value_to_wave(const orivon_value_t* value, char** wave) {
  return guard([&]() -> orivon_error_t* {
    if (value == nullptr) return null_argument("value");
    if (wave == nullptr) return null_argument("wave");
    *wave = orivon::capi::copy_string(orivon::to_wave(value->value));
    return nullptr;
  });
}

void orivon_value_delete(orivon_value_t* value) { delete value; }

size_t orivon_value_list_size(const orivon_value_list_t* list) {
  return list == nullptr ? 0 : list->values.size();
}

const orivon_value_t* orivon_value_list_get(const orivon_value_list_t* list, size_t index) {
  if (list == nullptr || index >= list->values.size()) return nullptr;
  return &list->values[index];
}

void orivon_value_list_delete(orivon_value_list_t* list) { delete list; }

}  // extern "C"
