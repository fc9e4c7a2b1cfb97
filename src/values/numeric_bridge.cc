#include "values/numeric_bridge.h"

#include <bit>
#include <cstdint>
#include <optional>

namespace orivon::values {
namespace {

namespace wc = wasmtime::component;

// The integer bits of a component integer (or bool), widened.
std::optional<std::uint64_t> integer_bits(const wc::Val& value) {
  if (value.is_bool()) return value.get_bool() ? 1 : 0;
  if (value.is_u8()) return value.get_u8();
  if (value.is_s8()) return static_cast<std::uint64_t>(static_cast<std::int64_t>(value.get_s8()));
  if (value.is_u16()) return value.get_u16();
  if (value.is_s16()) return static_cast<std::uint64_t>(static_cast<std::int64_t>(value.get_s16()));
  if (value.is_u32()) return value.get_u32();
  if (value.is_s32()) return static_cast<std::uint64_t>(static_cast<std::int64_t>(value.get_s32()));
  if (value.is_u64()) return value.get_u64();
  if (value.is_s64()) return static_cast<std::uint64_t>(value.get_s64());
  return std::nullopt;
}

}  // namespace

Result<wc::Val> component_from_core(const wasmtime::Val& value) {
  switch (value.kind()) {
    case wasmtime::ValKind::I32: return wc::Val(value.i32());
    case wasmtime::ValKind::I64: return wc::Val(value.i64());
    case wasmtime::ValKind::F32: return wc::Val(value.f32());
    case wasmtime::ValKind::F64: return wc::Val(value.f64());
    default:
      return Error(ErrorCode::Unimplemented,
                   "only numbers (i32, i64, f32, f64) cross between a core module and a component");
  }
}

Result<Value> value_from_core(const wasmtime::Val& value) {
  switch (value.kind()) {
    case wasmtime::ValKind::I32: return Value::s32(value.i32());
    case wasmtime::ValKind::I64: return Value::s64(value.i64());
    case wasmtime::ValKind::F32: return Value::f32(value.f32());
    case wasmtime::ValKind::F64: return Value::f64(value.f64());
    default:
      return Error(ErrorCode::Unimplemented,
                   "only numbers (i32, i64, f32, f64) cross between a core module and a component");
  }
}

Result<wasmtime::Val> core_from_component(const wc::Val& value, wasmtime::ValKind kind) {
  const auto bits = integer_bits(value);
  switch (kind) {
    case wasmtime::ValKind::I32:
      if (bits) return wasmtime::Val(static_cast<std::int32_t>(static_cast<std::uint32_t>(*bits)));
      break;
    case wasmtime::ValKind::I64:
      if (bits) return wasmtime::Val(static_cast<std::int64_t>(*bits));
      break;
    case wasmtime::ValKind::F32:
      if (value.is_f32()) return wasmtime::Val(value.get_f32());
      break;
    case wasmtime::ValKind::F64:
      if (value.is_f64()) return wasmtime::Val(value.get_f64());
      if (value.is_f32()) return wasmtime::Val(static_cast<double>(value.get_f32()));
      break;
    default:
      break;
  }
  return Error(ErrorCode::InvalidArgument,
               "a value that is not a number of the right kind cannot be passed to a core "
               "module function (only i32, i64, f32 and f64 cross)");
}

bool needs_coercion(const wc::Val& value, const wc::ValType& type) {
  if (value.is_s32()) return !type.is_s32() && (type.is_u32() || type.is_s64() || type.is_u64() ||
                                                type.is_s16() || type.is_u16() || type.is_s8() ||
                                                type.is_u8() || type.is_bool());
  if (value.is_s64()) return !type.is_s64() && (type.is_u64() || type.is_s32() || type.is_u32());
  if (value.is_f32()) return type.is_f64();
  if (value.is_u32()) return type.is_s32() || type.is_s64() || type.is_u64();
  if (value.is_u64()) return type.is_s64();
  return false;
}

wc::Val coerce_number(const wc::Val& value, const wc::ValType& type) {
  const auto bits = integer_bits(value);
  if (bits && !value.is_bool()) {
    if (type.is_s32()) return wc::Val(static_cast<std::int32_t>(static_cast<std::uint32_t>(*bits)));
    if (type.is_u32()) return wc::Val(static_cast<std::uint32_t>(*bits));
    if (type.is_s64()) return wc::Val(static_cast<std::int64_t>(*bits));
    if (type.is_u64()) return wc::Val(static_cast<std::uint64_t>(*bits));
    if (type.is_s16()) return wc::Val(static_cast<std::int16_t>(static_cast<std::uint16_t>(*bits)));
    if (type.is_u16()) return wc::Val(static_cast<std::uint16_t>(*bits));
    if (type.is_s8()) return wc::Val(static_cast<std::int8_t>(static_cast<std::uint8_t>(*bits)));
    if (type.is_u8()) return wc::Val(static_cast<std::uint8_t>(*bits));
    if (type.is_bool()) return wc::Val(*bits != 0);
  }
  if (value.is_f32() && type.is_f64()) return wc::Val(static_cast<double>(value.get_f32()));
  return value;
}

}  // namespace orivon::values
