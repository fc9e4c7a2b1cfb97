// Fuzzes the WAVE parser and formatter (src/values/wave.cc) against a fixed set of component
// types taken from a real component, with three properties:
//
//   1. Whatever text parses as a value v of type T formats back to text that parses as T
//      again, to the same value: parse(format(v)) == v (compared as orivon::Value, where
//      every NaN equals every NaN and 0.0 differs from -0.0). Formatting that text again
//      gives the same text.
//   2. A parsed value really has type T: it passes through a guest identity function
//      (Wasmtime lowers and lifts it by T) and comes back equal.
//   3. Values built directly, not through the parser (any float bits, any char, any
//      string), that the checked conversion accepts as T round-trip the same way; and any
//      untyped Value formats without failing and converts to Wasmtime's form and back
//      unchanged.
//
// Input: a first line that picks what to do, then the payload.
//   `point\n{x: 1, y: 2}`   parse the payload as the type `point` (names in kTypes below)
//   `args\n1, "a"`          parse the payload as the argument list of `args`
//   `~point\n<bytes>`       build a value of type `point` from the bytes (property 3)
//   `*\n<bytes>`            build any untyped value from the bytes (property 3)
// A first line that names nothing picks a type by its hash, so mutated inputs stay useful.

#include <fuzzer/FuzzedDataProvider.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "fuzz_check.h"
#include "orivon/value.h"
#include "values/value_conversion.h"
#include "values/wave.h"

namespace orivon::fuzz {
namespace {

using wasmtime::component::Component;
using wasmtime::component::Func;
using wasmtime::component::Instance;
using wasmtime::component::Linker;
using wasmtime::component::List;
using wasmtime::component::Val;
using wasmtime::component::ValType;

// A core module with a bump allocator and an `echo` function. Lifted as
// `func(x: list<T>) -> list<T>` it returns its argument for any T. `post` (the post-return
// function) resets the allocator, so memory stays flat over millions of calls.
constexpr std::string_view kCoreModule = R"(
  (core module $m
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $ptr i32)
      (local $pages i32)
      (local.set $ptr
        (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                 (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $ptr) (local.get 3)))
      (local.set $pages
        (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16))
                 (memory.size)))
      (if (i32.gt_s (local.get $pages) (i32.const 0))
        (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1))
          (then unreachable))))
      (local.get $ptr))
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 8) (local.get 0))
      (i32.store (i32.const 12) (local.get 1))
      (i32.const 8))
    (func (export "post") (param i32) (global.set $heap (i32.const 1024)))
    (func (export "sink8") (param i32 i32 i32 i32 i32 i32 i32 i32))
  )
  (core instance $i (instantiate $m))
)";

// Named types must be exported before exported functions can use them.
constexpr std::string_view kNamedTypes = R"(
  (type $point-def (record (field "x" s32) (field "y" s32)))
  (export $point "point" (type $point-def))
  (type $person-def (record (field "name" string) (field "age" (option u32))
                            (field "tags" (list string))))
  (export $person "person" (type $person-def))
  (type $optionals-def (record (field "a" (option u8)) (field "b" (option string))))
  (export $optionals "optionals" (type $optionals-def))
  (type $keywords-def (record (field "none" u8) (field "ok" bool) (field "some" (option u8))))
  (export $keywords "keywords" (type $keywords-def))
  (type $color-def (enum "red" "green" "blue"))
  (export $color "color" (type $color-def))
  (type $status-def (enum "ok" "not-found" "none" "some" "err" "true" "inf" "nan"))
  (export $status "status" (type $status-def))
  (type $response-def (variant (case "empty") (case "body" (list u8)) (case "err" string)
                               (case "at" $point) (case "none" (option u8))))
  (export $response "response" (type $response-def))
  (type $perms-def (flags "read" "write" "exec"))
  (export $perms "perms" (type $perms-def))
  (type $wide-flags-def (flags "f0" "f1" "f2" "f3" "f4" "f5" "f6" "f7" "f8" "f9" "f10" "f11"
                               "f12" "f13" "f14" "f15" "f16" "f17" "f18" "f19" "f20" "f21"
                               "f22" "f23" "f24" "f25" "f26" "f27" "f28" "f29" "f30" "f31"))
  (export $wide-flags "wide-flags" (type $wide-flags-def))
  (type $shapes-def (record (field "color" $color) (field "where" (option $point))
                            (field "tags" (list (tuple string $perms)))))
  (export $shapes "shapes" (type $shapes-def))
)";

// Each entry becomes an export `echo-<name>: func(x: list<type>) -> list<type>`; the fuzzer
// parses against `type`.
struct EchoType {
  std::string_view name;
  std::string_view type;
};
constexpr EchoType kTypes[] = {
    {"bool", "bool"},
    {"s8", "s8"},
    {"s16", "s16"},
    {"s32", "s32"},
    {"s64", "s64"},
    {"u8", "u8"},
    {"u16", "u16"},
    {"u32", "u32"},
    {"u64", "u64"},
    {"f32", "f32"},
    {"f64", "f64"},
    {"char", "char"},
    {"string", "string"},
    {"list-u8", "(list u8)"},
    {"list-char", "(list char)"},
    {"list-string", "(list string)"},
    {"list-list-u8", "(list (list u8))"},
    {"tuple", "(tuple u8 string)"},
    {"tuple-numbers", "(tuple char f32 f64 s64 u64)"},
    {"point", "$point"},
    {"person", "$person"},
    {"optionals", "$optionals"},
    {"keywords", "$keywords"},
    {"color", "$color"},
    {"status", "$status"},
    {"response", "$response"},
    {"list-response", "(list $response)"},
    {"perms", "$perms"},
    {"wide-flags", "$wide-flags"},
    {"shapes", "$shapes"},
    {"option-u8", "(option u8)"},
    {"option-option-u8", "(option (option u8))"},
    {"option-string", "(option string)"},
    {"option-list-u8", "(option (list u8))"},
    {"option-result", "(option (result (option string) (error $color)))"},
    {"result", "(result u32 (error string))"},
    {"result-err-only", "(result (error string))"},
    {"result-ok-only", "(result string)"},
    {"result-empty", "(result)"},
    {"result-option", "(result (option u8) (error u8))"},
    {"nested", "(list (option (tuple (result $point (error (list $status))) $perms)))"},
};
constexpr std::size_t kTypeCount = std::size(kTypes);

std::string component_wat() {
  std::string wat = "(component\n";
  wat += kCoreModule;
  wat += kNamedTypes;
  const std::string options =
      "(memory (core memory $i \"memory\")) (realloc (core func $i \"realloc\"))";
  for (const EchoType& echo : kTypes) {
    const std::string list = "(list " + std::string(echo.type) + ")";
    wat += "  (func (export \"echo-" + std::string(echo.name) + "\") (param \"x\" " + list +
           ") (result " + list + ") (canon lift (core func $i \"echo\") " + options +
           " (post-return (core func $i \"post\"))))\n";
  }
  wat += "  (func (export \"args\") (param \"a\" u8) (param \"b\" string) (param \"c\" (option u8))"
         " (param \"d\" (option string)) (canon lift (core func $i \"sink8\") " +
         options + "))\n";
  wat += ")\n";
  return wat;
}

// The component, one instance of it and the types to fuzz against, made once. Leaked on
// purpose: libFuzzer exits without unwinding, and no destructor must race that.
struct Guest {
  wasmtime::Engine engine;
  std::optional<Component> component;
  std::optional<wasmtime::Store> store;
  std::optional<Instance> instance;
  std::vector<Func> echo;                // by index into kTypes
  std::vector<ValType> element_types;    // by index into kTypes
  std::vector<ValType> argument_types;   // of `args`
};

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "wave_fuzzer: %s\n", what.c_str());
  std::abort();
}

Func export_func(Guest& guest, std::string_view name) {
  auto cx = guest.store->context();
  auto index = guest.instance->get_export_index(cx, nullptr, name);
  if (!index) setup_failed("the test component has no export " + std::string(name));
  auto func = guest.instance->get_func(cx, *index);
  if (!func) setup_failed(std::string(name) + " is not a function");
  return *func;
}

std::vector<ValType> param_types(Guest& guest, const Func& func) {
  std::vector<ValType> types;
  auto type = func.type(guest.store->context());
  for (std::size_t i = 0; i < type.param_count(); ++i) {
    if (auto param = type.param_nth(i)) types.push_back(std::move(param->second));
  }
  return types;
}

Guest& guest() {
  static Guest* const shared = [] {
    auto* g = new Guest();
    auto component = Component::compile(g->engine, component_wat());
    if (!component) setup_failed("compiling the test component: " + component.err().message());
    g->component.emplace(component.unwrap());
    g->store.emplace(g->engine);
    Linker linker(g->engine);
    auto instance = linker.instantiate(g->store->context(), *g->component);
    if (!instance) setup_failed("instantiating the test component: " + instance.err().message());
    g->instance.emplace(instance.unwrap());
    for (const EchoType& echo : kTypes) {
      Func func = export_func(*g, "echo-" + std::string(echo.name));
      std::vector<ValType> params = param_types(*g, func);
      if (params.size() != 1 || !params[0].is_list()) setup_failed("bad echo type");
      g->element_types.push_back(params[0].list().element());
      g->echo.push_back(func);
    }
    g->argument_types = param_types(*g, export_func(*g, "args"));
    return g;
  }();
  return *shared;
}

// The orivon::Value a Wasmtime value stands for; Values compare the way the round trip
// needs (NaN equals NaN, flags as sets).
Value to_value(const Val& value, std::string_view what) {
  auto converted = values::from_wasmtime(value);
  ORIVON_FUZZ_CHECK(converted.has_value(),
                    std::string(what) + " " + values::format_wave(value) +
                        " does not convert to a Value: " + converted.error().to_string());
  return std::move(converted).value();
}

// Property 1 for one value of `type` that came from `origin` (the input text, or "built").
void check_round_trip(const Val& value, const ValType& type, std::string_view origin) {
  const std::string text = values::format_wave(value);
  auto reparsed = values::parse_wave_value(text, type);
  ORIVON_FUZZ_CHECK(reparsed.has_value(),
                    "from " + printable(origin) + ": the formatted value " + printable(text) +
                        " does not parse as " + values::describe_type(type) + ": " +
                        reparsed.error().to_string());
  ORIVON_FUZZ_CHECK(to_value(value, "parsed") == to_value(*reparsed, "reparsed"),
                    "from " + printable(origin) + ": " + printable(text) + " parses back as " +
                        printable(values::format_wave(*reparsed)));
  const std::string again = values::format_wave(*reparsed);
  ORIVON_FUZZ_CHECK(again == text, "from " + printable(origin) + ": formatting is not stable: " +
                                       printable(text) + " then " + printable(again));
}

// Property 2: the value passes through the guest's identity function for its type.
void check_well_typed(std::size_t type_index, const Val& value, std::string_view origin) {
  Guest& g = guest();
  auto cx = g.store->context();
  std::vector<Val> elements;
  elements.push_back(value);
  std::vector<Val> args;
  args.emplace_back(List(std::move(elements)));
  std::vector<Val> results;
  results.emplace_back(false);
  Func& echo = g.echo[type_index];
  auto call = echo.call(cx, args, results);
  ORIVON_FUZZ_CHECK(call, "from " + printable(origin) + ": Wasmtime rejects the parsed value " +
                              values::format_wave(value) + " as " +
                              std::string(kTypes[type_index].type) + ": " +
                              call.err().message());
  auto post = echo.post_return(cx);
  ORIVON_FUZZ_CHECK(post, "post-return failed: " + post.err().message());
  ORIVON_FUZZ_CHECK(results.size() == 1 && results[0].is_list() &&
                        results[0].get_list().size() == 1,
                    "the echo function returned " + values::format_wave(results[0]));
  ORIVON_FUZZ_CHECK(to_value(value, "parsed") == to_value(*results[0].get_list().begin(), "echo"),
                    "from " + printable(origin) + ": " + values::format_wave(value) +
                        " comes back from the guest as " +
                        values::format_wave(*results[0].get_list().begin()));
}

void fuzz_text(std::size_t type_index, std::string_view text) {
  const ValType& type = guest().element_types[type_index];
  auto parsed = values::parse_wave_value(text, type);
  if (!parsed) {
    ORIVON_FUZZ_CHECK(parsed.error().code() == ErrorCode::InvalidArgument,
                      "parsing " + printable(text) + " fails with " + parsed.error().to_string());
    return;
  }
  check_round_trip(*parsed, type, text);
  check_well_typed(type_index, *parsed, text);
}

void fuzz_arguments(std::string_view text) {
  const std::vector<ValType>& types = guest().argument_types;
  auto parsed = values::parse_wave_arguments(text, types);
  if (!parsed) {
    ORIVON_FUZZ_CHECK(parsed.error().code() == ErrorCode::InvalidArgument,
                      "parsing " + printable(text) + " fails with " + parsed.error().to_string());
    return;
  }
  ORIVON_FUZZ_CHECK(parsed->size() == types.size(), "wrong argument count for " + printable(text));
  std::string formatted;
  for (const Val& value : *parsed) {
    formatted += (formatted.empty() ? "" : ", ") + values::format_wave(value);
  }
  auto reparsed = values::parse_wave_arguments(formatted, types);
  ORIVON_FUZZ_CHECK(reparsed.has_value(), "from " + printable(text) + ": the formatted arguments " +
                                              printable(formatted) + " do not parse: " +
                                              reparsed.error().to_string());
  for (std::size_t i = 0; i < types.size(); ++i) {
    ORIVON_FUZZ_CHECK(to_value((*parsed)[i], "argument") == to_value((*reparsed)[i], "argument"),
                      "from " + printable(text) + ": argument " + std::to_string(i + 1) +
                          " changes in " + printable(formatted));
  }
}

// Text of up to `max` bytes: mostly valid UTF-8 (any scalar value, controls included),
// sometimes raw bytes.
std::string some_text(FuzzedDataProvider& input, std::size_t max) {
  if (input.ConsumeIntegralInRange<int>(0, 7) == 0) return input.ConsumeRandomLengthString(max);
  std::string text;
  const std::size_t count = input.ConsumeIntegralInRange<std::size_t>(0, max / 4);
  for (std::size_t i = 0; i < count && input.remaining_bytes() > 0; ++i) {
    const char32_t cp = input.ConsumeIntegralInRange<char32_t>(0, 0x10FFFF);
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // a surrogate is not a scalar value
    if (cp < 0x80) {
      text += static_cast<char>(cp);
    } else if (cp < 0x800) {
      text += static_cast<char>(0xC0 | (cp >> 6));
      text += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      text += static_cast<char>(0xE0 | (cp >> 12));
      text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      text += static_cast<char>(0xF0 | (cp >> 18));
      text += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return text;
}

char32_t some_char(FuzzedDataProvider& input) {
  // Mostly scalar values; now and then a surrogate or a value past U+10FFFF.
  return input.ConsumeIntegralInRange<char32_t>(0, 0x110010);
}

Value any_value(FuzzedDataProvider& input, int depth);

// A value meant to have type `type`, built from the input. Now and then it is not one (a
// wrong kind, a bad char, invalid UTF-8), which the checked conversion must refuse.
Value typed_value(FuzzedDataProvider& input, const ValType& type, int depth) {
  if (input.remaining_bytes() > 0 && input.ConsumeIntegralInRange<int>(0, 63) == 0) {
    return any_value(input, depth + 1);
  }
  if (type.is_bool()) return Value::boolean(input.ConsumeBool());
  if (type.is_s8()) return Value::s8(input.ConsumeIntegral<std::int8_t>());
  if (type.is_s16()) return Value::s16(input.ConsumeIntegral<std::int16_t>());
  if (type.is_s32()) return Value::s32(input.ConsumeIntegral<std::int32_t>());
  if (type.is_s64()) return Value::s64(input.ConsumeIntegral<std::int64_t>());
  if (type.is_u8()) return Value::u8(input.ConsumeIntegral<std::uint8_t>());
  if (type.is_u16()) return Value::u16(input.ConsumeIntegral<std::uint16_t>());
  if (type.is_u32()) return Value::u32(input.ConsumeIntegral<std::uint32_t>());
  if (type.is_u64()) return Value::u64(input.ConsumeIntegral<std::uint64_t>());
  // Any bit pattern: NaNs with payloads, subnormals, infinities, -0.
  if (type.is_f32()) return Value::f32(std::bit_cast<float>(input.ConsumeIntegral<std::uint32_t>()));
  if (type.is_f64()) return Value::f64(std::bit_cast<double>(input.ConsumeIntegral<std::uint64_t>()));
  if (type.is_char()) return Value::character(some_char(input));
  if (type.is_string()) return Value::string(some_text(input, 64));
  if (type.is_list()) {
    std::vector<Value> elements;
    const ValType element = type.list().element();
    const int count = input.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < count && input.remaining_bytes() > 0; ++i) {
      elements.push_back(typed_value(input, element, depth + 1));
    }
    return Value::list(std::move(elements));
  }
  if (type.is_record()) {
    std::vector<Value::Field> fields;
    const auto& record = type.record();
    for (std::size_t i = 0; i < record.field_count(); ++i) {
      auto field = record.field_nth(i);
      if (!field) continue;
      // Option fields may be left out; now and then any field is (which must be refused).
      if (input.ConsumeIntegralInRange<int>(0, field->second.is_option() ? 3 : 31) == 0) continue;
      fields.push_back({std::string(field->first), typed_value(input, field->second, depth + 1)});
    }
    if (fields.size() > 1 && input.ConsumeIntegralInRange<int>(0, 7) == 0) {
      std::swap(fields.front(), fields.back());  // fields may come in any order
    }
    return Value::record(std::move(fields));
  }
  if (type.is_tuple()) {
    std::vector<Value> elements;
    const auto& tuple = type.tuple();
    for (std::size_t i = 0; i < tuple.types_count(); ++i) {
      if (auto element = tuple.types_nth(i)) elements.push_back(typed_value(input, *element, depth + 1));
    }
    return Value::tuple(std::move(elements));
  }
  if (type.is_variant()) {
    const auto& variant = type.variant();
    auto chosen = variant.case_nth(
        input.ConsumeIntegralInRange<std::size_t>(0, variant.case_count() - 1));
    if (!chosen) return Value::variant("?");
    std::string name(chosen->first);
    if (!chosen->second) return Value::variant(std::move(name));
    return Value::variant(std::move(name), typed_value(input, *chosen->second, depth + 1));
  }
  if (type.is_enum()) {
    const auto& enumeration = type.enum_();
    auto name = enumeration.names_nth(
        input.ConsumeIntegralInRange<std::size_t>(0, enumeration.names_count() - 1));
    return Value::enumeration(std::string(name.value_or("?")));
  }
  if (type.is_option()) {
    if (input.ConsumeBool()) return Value::none();
    return Value::some(typed_value(input, type.option().ty(), depth + 1));
  }
  if (type.is_result()) {
    const auto& result = type.result();
    if (input.ConsumeBool()) {
      auto ok_type = result.ok();
      return ok_type ? Value::ok(typed_value(input, *ok_type, depth + 1)) : Value::ok();
    }
    auto err_type = result.err();
    return err_type ? Value::err(typed_value(input, *err_type, depth + 1)) : Value::err();
  }
  if (type.is_flags()) {
    std::vector<std::string> names;
    const auto& flags = type.flags();
    for (std::size_t i = 0; i < flags.names_count(); ++i) {
      if (input.ConsumeBool()) names.emplace_back(flags.names_nth(i).value_or("?"));
    }
    return Value::flags(std::move(names));
  }
  return any_value(input, depth + 1);
}

// Any Value, untyped, nested as deep as the input lasts (past the 1000 levels the formatter
// and the conversions stop at).
Value any_value(FuzzedDataProvider& input, int depth) {
  const int kind = depth > 1500 || input.remaining_bytes() == 0
                       ? 0
                       : input.ConsumeIntegralInRange<int>(0, 20);
  auto children = [&](int max) {
    std::vector<Value> elements;
    const int count = input.ConsumeIntegralInRange<int>(0, max);
    for (int i = 0; i < count && input.remaining_bytes() > 0; ++i) {
      elements.push_back(any_value(input, depth + 1));
    }
    return elements;
  };
  switch (kind) {
    case 0: return Value::boolean(input.ConsumeBool());
    case 1: return Value::s8(input.ConsumeIntegral<std::int8_t>());
    case 2: return Value::u16(input.ConsumeIntegral<std::uint16_t>());
    case 3: return Value::s64(input.ConsumeIntegral<std::int64_t>());
    case 4: return Value::u64(input.ConsumeIntegral<std::uint64_t>());
    case 5: return Value::f32(std::bit_cast<float>(input.ConsumeIntegral<std::uint32_t>()));
    case 6: return Value::f64(std::bit_cast<double>(input.ConsumeIntegral<std::uint64_t>()));
    case 7: return Value::character(some_char(input));
    case 8: return Value::string(some_text(input, 32));
    case 9: return Value::list(children(3));
    case 10: return Value::tuple(children(3));
    case 11: {
      std::vector<Value::Field> fields;
      const int count = input.ConsumeIntegralInRange<int>(0, 3);
      for (int i = 0; i < count && input.remaining_bytes() > 0; ++i) {
        std::string name = input.ConsumeRandomLengthString(8);
        fields.push_back({std::move(name), any_value(input, depth + 1)});
      }
      return Value::record(std::move(fields));
    }
    case 12: return Value::variant(input.ConsumeRandomLengthString(8));
    case 13: {
      std::string name = input.ConsumeRandomLengthString(8);
      return Value::variant(std::move(name), any_value(input, depth + 1));
    }
    case 14: return Value::enumeration(input.ConsumeRandomLengthString(8));
    case 15: return Value::some(any_value(input, depth + 1));
    case 16: return Value::none();
    case 17: return input.ConsumeBool() ? Value::ok() : Value::ok(any_value(input, depth + 1));
    case 18: return input.ConsumeBool() ? Value::err() : Value::err(any_value(input, depth + 1));
    case 19: {
      std::vector<std::string> names;
      const int count = input.ConsumeIntegralInRange<int>(0, 4);
      for (int i = 0; i < count; ++i) names.push_back(input.ConsumeRandomLengthString(8));
      return Value::flags(std::move(names));
    }
    default: return Value::s32(input.ConsumeIntegral<std::int32_t>());
  }
}

void fuzz_typed_value(std::size_t type_index, std::string_view bytes) {
  FuzzedDataProvider input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const ValType& type = guest().element_types[type_index];
  const Value value = typed_value(input, type, 0);
  auto converted = values::to_wasmtime(value, type);
  if (!converted) {
    const ErrorCode code = converted.error().code();
    ORIVON_FUZZ_CHECK(code == ErrorCode::InvalidArgument || code == ErrorCode::Unimplemented,
                      "converting " + to_wave(value) + " fails with " +
                          converted.error().to_string());
    return;
  }
  check_round_trip(*converted, type, "built " + to_wave(value));
  check_well_typed(type_index, *converted, "built " + to_wave(value));
}

void fuzz_untyped_value(std::string_view bytes) {
  FuzzedDataProvider input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const Value value = any_value(input, 0);
  const std::string text = to_wave(value);
  auto back = values::from_wasmtime(values::to_wasmtime_unchecked(value));
  if (!back) {
    ORIVON_FUZZ_CHECK(back.error().code() == ErrorCode::InvalidArgument,
                      "converting back " + printable(text) + " fails with " +
                          back.error().to_string());
    return;
  }
  ORIVON_FUZZ_CHECK(*back == value,
                    printable(text) + " changes through Wasmtime's form: " + printable(to_wave(*back)));
}

}  // namespace
}  // namespace orivon::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  orivon::fuzz::guest();  // compile the component before the clock starts
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orivon::fuzz;
  const std::string_view input = as_text(data, size);
  const std::size_t newline = input.find('\n');
  const std::string_view selector = input.substr(0, newline);
  const std::string_view payload =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  if (selector == "args") {
    fuzz_arguments(payload);
    return 0;
  }
  if (selector == "*") {
    fuzz_untyped_value(payload);
    return 0;
  }
  const bool typed = selector.starts_with("~");
  const std::string_view name = typed ? selector.substr(1) : selector;
  std::size_t type_index = std::hash<std::string_view>{}(name) % kTypeCount;
  for (std::size_t i = 0; i < kTypeCount; ++i) {
    if (kTypes[i].name == name) type_index = i;
  }
  if (typed) {
    fuzz_typed_value(type_index, payload);
  } else {
    fuzz_text(type_index, newline == std::string_view::npos ? input : payload);
  }
  return 0;
}
