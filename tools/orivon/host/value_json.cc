#include "host/value_json.h"

#include <cmath>
#include <string>

namespace orivon::cli {
namespace {

using nlohmann::json;

json float_json(double number) {
  if (std::isnan(number)) return "nan";
  if (std::isinf(number)) return number > 0 ? "inf" : "-inf";
  return number;
}

// `c` in UTF-8 (a Value's char is a Unicode scalar value).
std::string utf8(char32_t c) {
  std::string out;
  const auto code = static_cast<std::uint32_t>(c);
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
  return out;
}

json payload_json(const Value& value) {
  const Value* payload = value.payload();
  return payload == nullptr ? json(nullptr) : value_to_json(*payload);
}

json array_of(const std::vector<Value>& values) {
  json out = json::array();
  for (const Value& element : values) out.push_back(value_to_json(element));
  return out;
}

}  // namespace

json value_to_json(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Bool: return *value.as_bool();
    case Value::Kind::S8: return *value.as_s8();
    case Value::Kind::U8: return *value.as_u8();
    case Value::Kind::S16: return *value.as_s16();
    case Value::Kind::U16: return *value.as_u16();
    case Value::Kind::S32: return *value.as_s32();
    case Value::Kind::U32: return *value.as_u32();
    case Value::Kind::S64: return *value.as_s64();
    case Value::Kind::U64: return *value.as_u64();
    case Value::Kind::F32: return float_json(*value.as_f32());
    case Value::Kind::F64: return float_json(*value.as_f64());
    case Value::Kind::Char: return utf8(*value.as_char());
    case Value::Kind::String: return *value.if_string();
    case Value::Kind::List: return array_of(*value.if_list());
    case Value::Kind::Tuple: return array_of(*value.if_tuple());
    case Value::Kind::Bytes: {
      json out = json::array();
      for (std::uint8_t byte : *value.if_bytes()) out.push_back(byte);
      return out;
    }
    case Value::Kind::Record: {
      json out = json::object();
      for (const auto& field : *value.if_record()) out[field.name] = value_to_json(field.value);
      return out;
    }
    case Value::Kind::Enum: return *value.if_case();
    case Value::Kind::Variant: return json{{*value.if_case(), payload_json(value)}};
    case Value::Kind::Flags: return *value.if_flags();
    case Value::Kind::Option: return payload_json(value);
    case Value::Kind::Result: return json{{value.is_ok() ? "ok" : "err", payload_json(value)}};
  }
  return nullptr;
}

}  // namespace orivon::cli
