#pragma once

/// \file
/// Value: one component-model value (a number, a string, a record, a variant case, ...) held
/// without any Wasmtime type, so embedders can pass typed arguments and read typed results.
///
/// A Value is built with the static factories and carries its own Kind; it does not know the
/// WIT type it will be checked against. Checking happens when a value meets a type (a call's
/// parameters): kinds must match exactly (`Value::s32(1)` is not a `u8`), record fields and
/// variant cases must exist, chars must be Unicode scalar values and strings valid UTF-8.
///
///   auto point = orivon::Value::record({{"x", orivon::Value::s32(1)},
///                                       {"y", orivon::Value::s32(2)}});
///   if (const orivon::Value* x = point.field("x")) use(x->as_s32());  // std::optional<int32_t>
///   orivon::to_wave(point);  // "{x: 1, y: 2}"
///
/// Accessors never throw and never read the wrong member: scalar accessors (`as_u32()`, ...)
/// return std::nullopt, and the accessors that return a reference into the value
/// (`if_string()`, `if_list()`, ...) return nullptr, when the value is of another kind.
/// Pointers they return stay valid while the Value they came from is alive and unchanged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "orivon/export.h"

namespace orivon {

/// A component-model value. Regular value semantics: copying copies the whole tree, moving is
/// cheap, and `==` compares contents. Owns everything it holds. Thread-compatible: const
/// methods may be called from several threads at once.
class ORIVON_API Value {
 public:
  /// What a Value holds; one kind per component-model value type that orivon supports.
  enum class Kind {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,     ///< a Unicode scalar value
    String,   ///< UTF-8 text
    List,     ///< elements in order
    Record,   ///< named fields in order
    Tuple,    ///< unnamed elements in order
    Variant,  ///< a case name and an optional payload
    Enum,     ///< a case name
    Option,   ///< `some` with a payload, or `none`
    Result,   ///< `ok` or `err`, each with an optional payload
    Flags,    ///< a set of flag names
    /// A `list<u8>` held as bytes: what calls return for `list<u8>`, and the cheap way to
    /// pass one (a List of U8 values is accepted too). Equal to a List of the same U8
    /// values, and printed like one.
    Bytes,
  };

  /// One field of a record: `{"x", Value::s32(1)}`.
  struct Field;

  static Value boolean(bool value);
  static Value s8(std::int8_t value);
  static Value u8(std::uint8_t value);
  static Value s16(std::int16_t value);
  static Value u16(std::uint16_t value);
  static Value s32(std::int32_t value);
  static Value u32(std::uint32_t value);
  static Value s64(std::int64_t value);
  static Value u64(std::uint64_t value);
  static Value f32(float value);
  static Value f64(double value);
  /// Any char32_t is kept; one that is not a Unicode scalar value (a surrogate, or above
  /// U+10FFFF) is rejected when the value is checked against a `char` type.
  static Value character(char32_t value);
  /// `text` should be UTF-8; invalid UTF-8 is rejected when the value is checked against a
  /// `string` type.
  static Value string(std::string text);
  static Value list(std::vector<Value> elements);
  /// A `list<u8>` as bytes (Kind::Bytes): one allocation, and calls between modules copy it
  /// in bulk.
  static Value bytes(std::vector<std::uint8_t> data);
  /// Fields in order. Names are not checked here; checking against a record type rejects
  /// unknown and duplicate names (and lets `option` fields be left out, meaning `none`).
  static Value record(std::vector<Field> fields);
  static Value tuple(std::vector<Value> elements);
  /// A variant case without a payload.
  static Value variant(std::string case_name);
  /// A variant case with a payload.
  static Value variant(std::string case_name, Value payload);
  static Value enumeration(std::string case_name);
  static Value some(Value payload);
  static Value none();
  /// `ok` without a payload, for `result` types without an ok type (`result<_, E>`).
  static Value ok();
  static Value ok(Value payload);
  /// `err` without a payload, for `result` types without an error type (`result<T>`).
  static Value err();
  static Value err(Value payload);
  /// The flags that are set. A set: repeated names are kept once, order is kept as given
  /// (and ignored by `==`).
  static Value flags(std::vector<std::string> names);

  Kind kind() const { return kind_; }

  /// The number, bool or char, or std::nullopt when kind() is another kind. There are no
  /// conversions: as_s64() of an S32 value is std::nullopt.
  std::optional<bool> as_bool() const { return scalar<bool>(Kind::Bool); }
  std::optional<std::int8_t> as_s8() const { return scalar<std::int8_t>(Kind::S8); }
  std::optional<std::uint8_t> as_u8() const { return scalar<std::uint8_t>(Kind::U8); }
  std::optional<std::int16_t> as_s16() const { return scalar<std::int16_t>(Kind::S16); }
  std::optional<std::uint16_t> as_u16() const { return scalar<std::uint16_t>(Kind::U16); }
  std::optional<std::int32_t> as_s32() const { return scalar<std::int32_t>(Kind::S32); }
  std::optional<std::uint32_t> as_u32() const { return scalar<std::uint32_t>(Kind::U32); }
  std::optional<std::int64_t> as_s64() const { return scalar<std::int64_t>(Kind::S64); }
  std::optional<std::uint64_t> as_u64() const { return scalar<std::uint64_t>(Kind::U64); }
  std::optional<float> as_f32() const { return scalar<float>(Kind::F32); }
  std::optional<double> as_f64() const { return scalar<double>(Kind::F64); }
  std::optional<char32_t> as_char() const { return scalar<char32_t>(Kind::Char); }

  /// The text of a String; nullptr for other kinds.
  const std::string* if_string() const;
  /// The elements of a List; nullptr for other kinds.
  const std::vector<Value>* if_list() const;
  /// The bytes of a Bytes value; nullptr for other kinds (a List of U8 values included).
  const std::vector<std::uint8_t>* if_bytes() const;
  /// The elements of a Tuple; nullptr for other kinds.
  const std::vector<Value>* if_tuple() const;
  /// The fields of a Record, in order; nullptr for other kinds.
  const std::vector<Field>* if_record() const;
  /// The names set in Flags; nullptr for other kinds.
  const std::vector<std::string>* if_flags() const;
  /// The case name of a Variant or an Enum; nullptr for other kinds.
  const std::string* if_case() const;

  /// The first field called `name` of a Record; nullptr if there is none or for other kinds.
  const Value* field(std::string_view name) const;
  /// The payload of a Variant case, a `some` Option or a Result; nullptr when there is no
  /// payload (`none`, a case without one) and for other kinds.
  const Value* payload() const;
  /// True only for an Option holding a payload.
  bool is_some() const;
  /// True only for an Option without a payload.
  bool is_none() const;
  /// True only for a Result that is `ok`.
  bool is_ok() const;
  /// True only for a Result that is `err`.
  bool is_err() const;
  /// True only for Flags with `name` set.
  bool has_flag(std::string_view name) const;

  /// Equal kinds and equal contents. Floats compare as values, not as IEEE numbers, so that
  /// `==` is an equivalence: every NaN equals every NaN, and `0.0` differs from `-0.0`.
  /// Flags compare as sets; records, lists and tuples element by element, in order; Bytes
  /// equal a List holding the same U8 values.
  friend ORIVON_API bool operator==(const Value& a, const Value& b);

 private:
  // Payload of a Variant, Enum, Option or Result. `payload` holds zero or one value: a
  // vector because std::optional<Value> needs Value to be complete here and a vector does
  // not. Option and Result store their case ("some"/"none", "ok"/"err") in `name`.
  struct Case {
    std::string name;
    std::vector<Value> payload;

    friend bool operator==(const Case& a, const Case& b) = default;
  };
  using Storage = std::variant<bool, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t,
                               std::int32_t, std::uint32_t, std::int64_t, std::uint64_t, float,
                               double, char32_t, std::string, std::vector<Value>,
                               std::vector<Field>, Case, std::vector<std::string>,
                               std::vector<std::uint8_t>>;

  Value(Kind kind, Storage storage);

  // kind_ always names the alternative storage_ holds (the factories make sure of it), so
  // the get_if below cannot fail.
  template <typename T>
  std::optional<T> scalar(Kind kind) const {
    if (kind_ != kind) return std::nullopt;
    return *std::get_if<T>(&storage_);
  }
  const Case* if_case_storage() const;

  Kind kind_;
  Storage storage_;
};

struct Value::Field {
  std::string name;
  Value value;

  friend bool operator==(const Field& a, const Field& b) = default;
};

/// The kind's name as WIT spells the type: "u32", "record", "flags", ...
ORIVON_API std::string_view value_kind_name(Value::Kind kind);

/// The value as WAVE text (WebAssembly Value Encoding), exactly as `orivon call` and
/// `orivon run --invoke` print results: `{x: 1, y: 2}`, `[1, 2]`, `some("a")`, `'x'`, `ok`.
/// Record fields holding `none` are left out, as WAVE allows. Flags print in the order the
/// value holds them (for values that came from a call, the type's order). Never fails.
ORIVON_API std::string to_wave(const Value& value);

}  // namespace orivon
