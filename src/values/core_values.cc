#include "values/core_values.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/strings.h"

namespace orivon::values {
namespace {

template <typename Signed, typename Unsigned>
bool parse_integer(std::string_view text, Signed& out) {
  const char* end = text.data() + text.size();
  if (!text.empty() && text[0] == '-') {
    Signed value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) return false;
    out = value;
    return true;
  }
  // Non-negative values may use the full unsigned range (bit pattern).
  Unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return false;
  out = static_cast<Signed>(value);
  return true;
}

template <typename Float>
bool parse_float(std::string_view text, Float& out) {
  bool negative = !text.empty() && text[0] == '-';
  std::string_view magnitude = negative ? text.substr(1) : text;
  if (magnitude == "nan") {
    out = std::numeric_limits<Float>::quiet_NaN();
  } else if (magnitude == "inf") {
    out = std::numeric_limits<Float>::infinity();
  } else {
    const char* end = magnitude.data() + magnitude.size();
    auto [ptr, ec] = std::from_chars(magnitude.data(), end, out);
    if (ec != std::errc() || ptr != end || magnitude.empty() || magnitude[0] == '-') return false;
  }
  if (negative) out = -out;
  return true;
}

const char* kind_name(wasmtime::ValKind kind) {
  switch (kind) {
    case wasmtime::ValKind::I32: return "i32";
    case wasmtime::ValKind::I64: return "i64";
    case wasmtime::ValKind::F32: return "f32";
    case wasmtime::ValKind::F64: return "f64";
    case wasmtime::ValKind::V128: return "v128";
    default: return "reference";
  }
}

template <typename Float>
std::string format_float(Float value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buffer[64];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ptr);
}

}  // namespace

Result<std::vector<wasmtime::Val>> parse_core_arguments(std::string_view text,
                                                        std::span<const wasmtime::ValKind> kinds) {
  std::vector<std::string_view> parts;
  if (!trim(text).empty()) {
    std::size_t start = 0;
    while (true) {
      auto comma = text.find(',', start);
      parts.push_back(trim(text.substr(start, comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  if (parts.size() != kinds.size()) {
    return Error(ErrorCode::InvalidArgument, "expected " + std::to_string(kinds.size()) +
                                                 " argument(s), got " +
                                                 std::to_string(parts.size()));
  }
  std::vector<wasmtime::Val> values;
  values.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    bool parsed = false;
    switch (kinds[i]) {
      case wasmtime::ValKind::I32: {
        std::int32_t v = 0;
        if ((parsed = parse_integer<std::int32_t, std::uint32_t>(part, v))) values.emplace_back(v);
        break;
      }
      case wasmtime::ValKind::I64: {
        std::int64_t v = 0;
        if ((parsed = parse_integer<std::int64_t, std::uint64_t>(part, v))) values.emplace_back(v);
        break;
      }
      case wasmtime::ValKind::F32: {
        float v = 0;
        if ((parsed = parse_float(part, v))) values.emplace_back(v);
        break;
      }
      case wasmtime::ValKind::F64: {
        double v = 0;
        if ((parsed = parse_float(part, v))) values.emplace_back(v);
        break;
      }
      default:
        return Error(ErrorCode::Unimplemented, std::string("argument ") + std::to_string(i + 1) +
                                                   " has type " + kind_name(kinds[i]) +
                                                   ", which cannot be given as text");
    }
    if (!parsed) {
      return Error(ErrorCode::InvalidArgument, "argument " + std::to_string(i + 1) + ": '" +
                                                   std::string(part) + "' is not a valid " +
                                                   kind_name(kinds[i]));
    }
  }
  return values;
}

wasmtime::ValKind core_value_kind(const wasm_valtype_t* type) {
  // A ValType copy reads the kind through wasmtime_valtype_new, which knows every type.
  const wasmtime::ValType copy{wasmtime::ValType::Ref(type)};
  if (copy.is_i32()) return wasmtime::ValKind::I32;
  if (copy.is_i64()) return wasmtime::ValKind::I64;
  if (copy.is_f32()) return wasmtime::ValKind::F32;
  if (copy.is_f64()) return wasmtime::ValKind::F64;
  if (copy.is_v128()) return wasmtime::ValKind::V128;
  return wasmtime::ValKind::ExternRef;
}

std::string format_core_results(std::span<const wasmtime::Val> results) {
  std::string out;
  for (const auto& value : results) {
    if (!out.empty()) out += ' ';
    switch (value.kind()) {
      case wasmtime::ValKind::I32: out += std::to_string(value.i32()); break;
      case wasmtime::ValKind::I64: out += std::to_string(value.i64()); break;
      case wasmtime::ValKind::F32: out += format_float(value.f32()); break;
      case wasmtime::ValKind::F64: out += format_float(value.f64()); break;
      default: out += std::string("<") + kind_name(value.kind()) + ">"; break;
    }
  }
  return out;
}

}  // namespace orivon::values
