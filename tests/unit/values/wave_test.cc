// Tests for WAVE parsing and formatting. Most tests parse text against a type taken from a
// real component, pass the value through a guest identity function (so Wasmtime checks that
// the value really has that type) and format what comes back.

#include "values/wave.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orivon::values {
namespace {

using wasmtime::component::Component;
using wasmtime::component::Flag;
using wasmtime::component::Flags;
using wasmtime::component::Func;
using wasmtime::component::Instance;
using wasmtime::component::Linker;
using wasmtime::component::List;
using wasmtime::component::Map;
using wasmtime::component::Record;
using wasmtime::component::Tuple;
using wasmtime::component::Val;
using wasmtime::component::ValType;
using wasmtime::component::Variant;
using wasmtime::component::WitOption;
using wasmtime::component::WitResult;

// A core module with a bump allocator and an `echo` function. Lifted as
// `func(x: list<T>) -> list<T>` it returns its argument for any T: the list arrives as
// (pointer, length) and the result goes back through a return area holding the same pair.
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
    (func (export "sink1") (param i32))
    (func (export "sink2") (param i32 i32))
    (func (export "sink8") (param i32 i32 i32 i32 i32 i32 i32 i32))
  )
  (core instance $i (instantiate $m))
)";

// Named types must be exported before exported functions can use them.
constexpr std::string_view kTypes = R"(
  (type $point-def (record (field "x" s32) (field "y" s32)))
  (export $point "point" (type $point-def))
  (type $person-def (record (field "name" string) (field "age" (option u32))
                            (field "tags" (list string))))
  (export $person "person" (type $person-def))
  (type $optionals-def (record (field "a" (option u8)) (field "b" (option string))))
  (export $optionals "optionals" (type $optionals-def))
  (type $keywords-def (record (field "none" u8) (field "ok" bool)))
  (export $keywords "keywords" (type $keywords-def))
  (type $color-def (enum "red" "green" "blue"))
  (export $color "color" (type $color-def))
  (type $status-def (enum "ok" "not-found" "none"))
  (export $status "status" (type $status-def))
  (type $response-def (variant (case "empty") (case "body" (list u8)) (case "err" string)
                               (case "at" $point)))
  (export $response "response" (type $response-def))
  (type $perms-def (flags "read" "write" "exec"))
  (export $perms "perms" (type $perms-def))
  (type $shapes-def (record (field "color" $color) (field "where" (option $point))
                            (field "tags" (list (tuple string $perms)))))
  (export $shapes "shapes" (type $shapes-def))
  (type $r-def (resource (rep i32)))
  (export $r "r" (type $r-def))
)";

// Each entry becomes an export `echo-<name>: func(x: list<type>) -> list<type>`.
struct EchoType {
  std::string_view name;
  std::string_view type;
};
constexpr EchoType kEchoTypes[] = {
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
    {"list-string", "(list string)"},
    {"list-list-u8", "(list (list u8))"},
    {"tuple", "(tuple u8 string)"},
    {"point", "$point"},
    {"person", "$person"},
    {"optionals", "$optionals"},
    {"keywords", "$keywords"},
    {"color", "$color"},
    {"status", "$status"},
    {"response", "$response"},
    {"perms", "$perms"},
    {"shapes", "$shapes"},
    {"option-u8", "(option u8)"},
    {"option-option-u8", "(option (option u8))"},
    {"option-string", "(option string)"},
    {"option-list-u8", "(option (list u8))"},
    {"result", "(result u32 (error string))"},
    {"result-err-only", "(result (error string))"},
    {"result-empty", "(result)"},
    {"result-option", "(result (option u8) (error u8))"},
};

std::string component_wat() {
  std::string wat = "(component\n";
  wat += kCoreModule;
  wat += kTypes;
  const std::string options =
      "(memory (core memory $i \"memory\")) (realloc (core func $i \"realloc\"))";
  for (const EchoType& echo : kEchoTypes) {
    std::string list = "(list " + std::string(echo.type) + ")";
    wat += "  (func (export \"echo-" + std::string(echo.name) + "\") (param \"x\" " + list +
           ") (result " + list + ") (canon lift (core func $i \"echo\") " + options + "))\n";
  }
  wat += "  (func (export \"args\") (param \"a\" u8) (param \"b\" string) (param \"c\" (option u8))"
         " (param \"d\" (option string)) (canon lift (core func $i \"sink8\") " +
         options + "))\n";
  wat += "  (func (export \"take-r\") (param \"x\" (own $r))"
         " (canon lift (core func $i \"sink1\")))\n";
  wat += ")\n";
  return wat;
}

// The engine, component and one instance, shared by all tests (compiling is the slow part).
// Leaked on purpose so no destructor runs at exit.
struct Guest {
  wasmtime::Engine engine;
  std::optional<Component> component;
  std::optional<wasmtime::Store> store;
  std::optional<Instance> instance;
  std::string error;
};

Guest& guest() {
  static Guest* const shared = [] {
    auto* g = new Guest();
    auto component = Component::compile(g->engine, component_wat());
    if (!component) {
      g->error = "compiling the test component: " + component.err().message();
      return g;
    }
    g->component.emplace(component.unwrap());
    g->store.emplace(g->engine);
    Linker linker(g->engine);
    auto instance = linker.instantiate(g->store->context(), *g->component);
    if (!instance) {
      g->error = "instantiating the test component: " + instance.err().message();
      return g;
    }
    g->instance.emplace(instance.unwrap());
    return g;
  }();
  return *shared;
}

std::optional<Func> export_func(std::string_view name) {
  Guest& g = guest();
  if (!g.instance) return std::nullopt;
  auto index = g.instance->get_export_index(g.store->context(), nullptr, name);
  if (!index) return std::nullopt;
  return g.instance->get_func(g.store->context(), *index);
}

std::vector<ValType> param_types(std::string_view func_name) {
  std::vector<ValType> types;
  std::optional<Func> func = export_func(func_name);
  if (!func) return types;
  auto type = func->type(guest().store->context());
  for (size_t i = 0; i < type.param_count(); ++i) {
    if (auto param = type.param_nth(i)) types.push_back(std::move(param->second));
  }
  return types;
}

// The element type T of `echo-<name>`, if the guest has that export.
std::optional<ValType> echo_type(std::string_view name) {
  std::vector<ValType> params = param_types("echo-" + std::string(name));
  if (params.size() != 1 || !params[0].is_list()) return std::nullopt;
  return params[0].list().element();
}

// Parses `text` as the element type of `echo-<name>`, passes it through the guest and formats
// the result. Errors come back as "error: ...", so EXPECT_EQ shows them.
std::string round_trip(std::string_view name, std::string_view text) {
  std::optional<ValType> type = echo_type(name);
  if (!type) return "error: no echo function for " + std::string(name) + ": " + guest().error;
  Result<Val> parsed = parse_wave_value(text, *type);
  if (!parsed) return "error: " + parsed.error().message();
  std::optional<Func> func = export_func("echo-" + std::string(name));
  auto cx = guest().store->context();
  std::vector<Val> elements;
  elements.push_back(std::move(parsed).value());
  std::vector<Val> args;
  args.emplace_back(List(std::move(elements)));
  std::vector<Val> results;
  results.emplace_back(false);
  auto call = func->call(cx, args, results);
  if (!call) return "error: call failed: " + call.err().message();
  auto post = func->post_return(cx);
  if (!post) return "error: post-return failed: " + post.err().message();
  if (!results[0].is_list() || results[0].get_list().size() != 1) {
    return "error: unexpected result " + format_wave(results[0]);
  }
  return format_wave(*results[0].get_list().begin());
}

// The error message for parsing `text` as the element type of `echo-<name>`.
std::string parse_error(std::string_view name, std::string_view text) {
  std::optional<ValType> type = echo_type(name);
  if (!type) return "no echo function for " + std::string(name);
  Result<Val> parsed = parse_wave_value(text, *type);
  if (parsed) return "parsed as " + format_wave(*parsed);
  EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument) << parsed.error().message();
  return parsed.error().message();
}

// Whether `text` contains `part`, with a readable failure message.
::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part
                                       << "\"";
}

TEST(Wave, CompilesTheTestComponent) {
  EXPECT_EQ(guest().error, "");
  EXPECT_TRUE(guest().instance.has_value());
}

TEST(Wave, RoundTripsBools) {
  EXPECT_EQ(round_trip("bool", "true"), "true");
  EXPECT_EQ(round_trip("bool", "  false\n"), "false");
  EXPECT_TRUE(Contains(parse_error("bool", "True"), "expected a bool, found 'True' at offset 0"));
  EXPECT_TRUE(Contains(parse_error("bool", "%true"), "expected a bool"));
  EXPECT_TRUE(Contains(parse_error("bool", "1"), "expected a bool, found '1'"));
}

TEST(Wave, RoundTripsIntegerLimits) {
  EXPECT_EQ(round_trip("s8", "-128"), "-128");
  EXPECT_EQ(round_trip("s8", "127"), "127");
  EXPECT_EQ(round_trip("u8", "0"), "0");
  EXPECT_EQ(round_trip("u8", "255"), "255");
  EXPECT_EQ(round_trip("s16", "-32768"), "-32768");
  EXPECT_EQ(round_trip("u16", "65535"), "65535");
  EXPECT_EQ(round_trip("s32", "-2147483648"), "-2147483648");
  EXPECT_EQ(round_trip("u32", "4294967295"), "4294967295");
  EXPECT_EQ(round_trip("s64", "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(round_trip("s64", "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(round_trip("u64", "18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(round_trip("s32", "-0"), "0");
}

TEST(Wave, RejectsOutOfRangeIntegers) {
  EXPECT_EQ(parse_error("u8", "    300"), "expected a u8, found '300' at offset 4");
  EXPECT_EQ(parse_error("u8", "256"), "expected a u8, found '256' at offset 0");
  EXPECT_EQ(parse_error("u8", "-1"), "expected a u8, found '-1' at offset 0");
  EXPECT_EQ(parse_error("s8", "-129"), "expected an s8, found '-129' at offset 0");
  EXPECT_EQ(parse_error("s8", "128"), "expected an s8, found '128' at offset 0");
  EXPECT_TRUE(Contains(parse_error("u64", "18446744073709551616"), "expected a u64"));
  EXPECT_TRUE(Contains(parse_error("u64", "99999999999999999999999999999"), "expected a u64"));
  EXPECT_TRUE(Contains(parse_error("s64", "-9223372036854775809"), "expected an s64"));
  EXPECT_TRUE(Contains(parse_error("s64", "9223372036854775808"), "expected an s64"));
  EXPECT_TRUE(Contains(parse_error("u32", "-0"), "expected a u32"));
}

TEST(Wave, RejectsMalformedIntegers) {
  for (std::string_view text : {"1.0", "1e3", "01", "+1", "0x10", "1_000", "1-2", "- 1", "nan",
                                "\"1\"", "'1'", "one"}) {
    EXPECT_TRUE(Contains(parse_error("u32", text), "expected a u32, found ")) << text;
  }
  EXPECT_EQ(parse_error("u32", ""), "expected a u32, found end of input at offset 0");
  EXPECT_EQ(parse_error("u32", "  // just a comment"),
            "expected a u32, found end of input at offset 19");
  EXPECT_EQ(parse_error("u32", "1 2"), "unexpected '2' after the value at offset 2");
}

TEST(Wave, RoundTripsFloats) {
  EXPECT_EQ(round_trip("f64", "3.14"), "3.14");
  EXPECT_EQ(round_trip("f64", "6.022e+23"), "6.022e+23");
  EXPECT_EQ(round_trip("f64", "6.022E23"), "6.022e+23");
  EXPECT_EQ(round_trip("f64", "-2.5e-3"), "-0.0025");
  EXPECT_EQ(round_trip("f64", "0.1"), "0.1");
  EXPECT_EQ(round_trip("f64", "100"), "100");
  EXPECT_EQ(round_trip("f64", "-0"), "-0");
  EXPECT_EQ(round_trip("f64", "nan"), "nan");
  EXPECT_EQ(round_trip("f64", "inf"), "inf");
  EXPECT_EQ(round_trip("f64", "-inf"), "-inf");
  EXPECT_EQ(round_trip("f32", "0.1"), "0.1");
  EXPECT_EQ(round_trip("f32", "3.4028235e38"), "3.4028235e+38");
  EXPECT_EQ(round_trip("f32", "16777217"), "16777216");
  EXPECT_EQ(round_trip("f32", "-inf"), "-inf");
  EXPECT_EQ(round_trip("f32", "nan"), "nan");
}

TEST(Wave, RoundsFloatsThatDoNotFitLikeWasmWave) {
  EXPECT_EQ(round_trip("f32", "1e39"), "inf");
  EXPECT_EQ(round_trip("f32", "-1e39"), "-inf");
  EXPECT_EQ(round_trip("f32", "1e-50"), "0");
  EXPECT_EQ(round_trip("f64", "1e400"), "inf");
  EXPECT_EQ(round_trip("f64", "-0.0000001e-400"), "-0");
  EXPECT_EQ(round_trip("f64", "123456789e99999999999999999999"), "inf");
}

TEST(Wave, RejectsMalformedFloats) {
  for (std::string_view text : {"1.", ".5", "1e", "1e+", "NaN", "Infinity", "+1", "-nan", "--1",
                                "1.5.2", "0x1p3", "%inf", "infinity", "-"}) {
    EXPECT_TRUE(Contains(parse_error("f64", text), "expected an f64, found ")) << text;
  }
}

TEST(Wave, RoundTripsChars) {
  EXPECT_EQ(round_trip("char", "'a'"), "'a'");
  EXPECT_EQ(round_trip("char", "'☃'"), "'☃'");
  EXPECT_EQ(round_trip("char", "'\\''"), "'\\''");
  EXPECT_EQ(round_trip("char", "'\"'"), "'\\\"'");
  EXPECT_EQ(round_trip("char", "'\\u{1F44B}'"), "'👋'");
  EXPECT_EQ(round_trip("char", "'\\n'"), "'\\n'");
  EXPECT_EQ(round_trip("char", "'\\\\'"), "'\\\\'");
  EXPECT_EQ(round_trip("char", "'\\u{0}'"), "'\\u{0}'");
  EXPECT_EQ(round_trip("char", "'\\u{7f}'"), "'\\u{7f}'");
  EXPECT_EQ(round_trip("char", "'\t'"), "'\\t'");
}

TEST(Wave, RejectsBadChars) {
  EXPECT_TRUE(Contains(parse_error("char", "''"), "empty char literal at offset 0"));
  EXPECT_TRUE(Contains(parse_error("char", "'ab'"), "exactly one character, found 'ab'"));
  EXPECT_TRUE(Contains(parse_error("char", "'\\q'"), "invalid escape '\\q' at offset 1"));
  EXPECT_TRUE(Contains(parse_error("char", "'\\u{D800}'"), "not a Unicode scalar value"));
  EXPECT_TRUE(Contains(parse_error("char", "'\\u{110000}'"), "not a Unicode scalar value"));
  EXPECT_TRUE(Contains(parse_error("char", "'\\u{}'"), "invalid escape"));
  EXPECT_TRUE(Contains(parse_error("char", "'\\u{1234567}'"), "invalid escape"));
  EXPECT_TRUE(Contains(parse_error("char", "'\\u1234'"), "invalid escape"));
  EXPECT_TRUE(Contains(parse_error("char", "'a"),
                       "unterminated char literal starting at offset 0"));
  EXPECT_TRUE(Contains(parse_error("char", "'\n'"), "unterminated char literal"));
  EXPECT_TRUE(Contains(parse_error("char", "'''"), "empty char literal"));
  EXPECT_TRUE(Contains(parse_error("char", "\"a\""), "expected a char, found '\"a\"'"));
  EXPECT_TRUE(Contains(parse_error("char", "'\xff'"), "invalid UTF-8"));
}

TEST(Wave, RoundTripsStrings) {
  EXPECT_EQ(round_trip("string", R"("abc\t123")"), R"("abc\t123")");
  EXPECT_EQ(round_trip("string", R"("")"), R"("")");
  EXPECT_EQ(round_trip("string", "\"👋 Hello, world! 👋\""), "\"👋 Hello, world! 👋\"");
  EXPECT_EQ(round_trip("string", R"("\u{48}\u{69}")"), R"("Hi")");
  EXPECT_EQ(round_trip("string", R"("quote \" backslash \\ apostrophe ' ")"),
            R"("quote \" backslash \\ apostrophe \' ")");
  EXPECT_EQ(round_trip("string", R"("bell \u{7} nul \u{0} cr \r")"),
            R"("bell \u{7} nul \u{0} cr \r")");
  EXPECT_EQ(round_trip("string", "\"literal\ttab\""), R"("literal\ttab")");
  EXPECT_EQ(round_trip("string", R"("// not a comment")"), R"("// not a comment")");
}

TEST(Wave, RejectsBadStrings) {
  EXPECT_TRUE(Contains(parse_error("string", R"("abc)"),
                       "unterminated string starting at offset 0"));
  EXPECT_TRUE(Contains(parse_error("string", "\"a\nb\""), "a line break must be written as \\n"));
  EXPECT_TRUE(Contains(parse_error("string", R"("a\x41")"), "invalid escape '\\x' at offset 2"));
  EXPECT_TRUE(Contains(parse_error("string", R"("\u{dfff}")"), "not a Unicode scalar value"));
  EXPECT_TRUE(Contains(parse_error("string", "\"\xc3\x28\""),
                       "invalid UTF-8 in string at offset 1"));
  EXPECT_TRUE(Contains(parse_error("string", "\"\xed\xa0\x80\""), "invalid UTF-8"));  // Surrogate.
  EXPECT_TRUE(Contains(parse_error("string", "\"\xc0\xaf\""), "invalid UTF-8"));  // Overlong.
  EXPECT_TRUE(Contains(parse_error("string", R"("a\)"), "unterminated string"));
  EXPECT_TRUE(Contains(parse_error("string", "abc"), "expected a string, found 'abc'"));
}

TEST(Wave, ParsesMultilineStrings) {
  EXPECT_EQ(round_trip("string", "\"\"\"\nA single line\n\"\"\""), R"("A single line")");
  EXPECT_EQ(round_trip("string",
                       "\"\"\"\n    Indentation determined\n      by ending delimiter\n  \"\"\""),
            R"("  Indentation determined\n    by ending delimiter")");
  EXPECT_EQ(round_trip("string", "\"\"\"\r\n  a \\r\r\n  \"\"\\\"\"\r\n  \"\"\""),
            R"("a \r\n\"\"\"\"")");
  EXPECT_EQ(round_trip("string", "\"\"\"\n\"\"\""), R"("")");
  EXPECT_EQ(round_trip("string", "\"\"\"\n\n\"\"\""), R"("")");
  EXPECT_EQ(round_trip("string", "\"\"\"\n\n\n\"\"\""), R"("\n")");
  EXPECT_TRUE(Contains(parse_error("string", "\"\"\"abc\n\"\"\""),
                       "must be followed by a line break"));
  EXPECT_TRUE(Contains(parse_error("string", "\"\"\"\nabc\"\"\""), "on a line of its own"));
  EXPECT_TRUE(Contains(parse_error("string", "\"\"\"\n  a\n b\n  \"\"\""),
                       "indented less than its closing"));
  EXPECT_TRUE(Contains(parse_error("string", "\"\"\"\nabc\n"), "unterminated multiline string"));
}

TEST(Wave, RoundTripsLists) {
  EXPECT_EQ(round_trip("list-u8", "[1, 2, 3]"), "[1, 2, 3]");
  EXPECT_EQ(round_trip("list-u8", "[]"), "[]");
  EXPECT_EQ(round_trip("list-u8", "[ ]"), "[]");
  EXPECT_EQ(round_trip("list-u8", "[1,2,]"), "[1, 2]");
  EXPECT_EQ(round_trip("list-u8", "\n[\n  1, // one\n  2 // two\n]\n// done"), "[1, 2]");
  EXPECT_EQ(round_trip("list-string", R"(["a", "b,c", ""])"), R"(["a", "b,c", ""])");
  EXPECT_EQ(round_trip("list-list-u8", "[[], [1], [2, 3],]"), "[[], [1], [2, 3]]");
}

TEST(Wave, RejectsUnbalancedBrackets) {
  EXPECT_EQ(parse_error("list-u8", "[1, 2"),
            "expected ',' or ']' in the list that starts at offset 0, found end of input at "
            "offset 5");
  EXPECT_EQ(parse_error("list-u8", "[1 2]"),
            "expected ',' or ']' in the list that starts at offset 0, found '2' at offset 3");
  EXPECT_EQ(parse_error("list-u8", "[1, 2]]"), "unexpected ']' after the value at offset 6");
  EXPECT_EQ(parse_error("list-u8", "1]"), "expected a list, found '1' at offset 0");
  EXPECT_EQ(parse_error("list-u8", "[1, 2)"),
            "expected ',' or ']' in the list that starts at offset 0, found ')' at offset 5");
  EXPECT_TRUE(Contains(parse_error("list-u8", "[,]"), "expected a u8, found ','"));
  EXPECT_TRUE(Contains(parse_error("list-u8", "[1,,2]"), "expected a u8, found ','"));
  EXPECT_TRUE(Contains(parse_error("list-list-u8", "[[1, 2], [3"), "found end of input"));
  EXPECT_TRUE(Contains(parse_error("list-u8", "[1, 300]"),
                       "expected a u8, found '300' at offset 4"));
}

TEST(Wave, RoundTripsTuples) {
  EXPECT_EQ(round_trip("tuple", R"((1, "a"))"), R"((1, "a"))");
  EXPECT_EQ(round_trip("tuple", R"(( 1 , "a" , ))"), R"((1, "a"))");
  EXPECT_EQ(parse_error("tuple", "(1)"),
            "expected a tuple of 2 elements, found 1 in the tuple that starts at offset 0");
  EXPECT_EQ(parse_error("tuple", "()"),
            "expected a tuple of 2 elements, found 0 in the tuple that starts at offset 0");
  EXPECT_EQ(parse_error("tuple", R"((1, "a", 2))"),
            "too many elements for a tuple of 2: '2' at offset 9");
  EXPECT_TRUE(Contains(parse_error("tuple", R"(("a", 1))"),
                       "expected a u8, found '\"a\"' at offset 1"));
  EXPECT_TRUE(Contains(parse_error("tuple", "[1, \"a\"]"),
                       "expected a tuple of 2 elements, found '['"));
}

TEST(Wave, RoundTripsRecords) {
  EXPECT_EQ(round_trip("point", "{x: 1, y: -2}"), "{x: 1, y: -2}");
  EXPECT_EQ(round_trip("point", "{y: 2, x: 1}"), "{x: 1, y: 2}");
  EXPECT_EQ(round_trip("point", "{ %x : 1 , %y : 2 , }"), "{x: 1, y: 2}");
  EXPECT_EQ(round_trip("keywords", "{none: 1, %ok: true}"), "{none: 1, ok: true}");
  EXPECT_EQ(round_trip("shapes", R"({color: %green, where: {x: 0, y: 0}, tags: [("t", {read})]})"),
            R"({color: green, where: some({x: 0, y: 0}), tags: [("t", {read})]})");
}

TEST(Wave, ParsesRecordWithOmittedOptionField) {
  EXPECT_EQ(round_trip("person", R"({name: "ann", tags: []})"), R"({name: "ann", tags: []})");
  EXPECT_EQ(round_trip("person", R"({name: "ann", age: none, tags: []})"),
            R"({name: "ann", tags: []})");
  EXPECT_EQ(round_trip("person", R"({tags: ["a"], age: some(30), name: "ann"})"),
            R"({name: "ann", age: some(30), tags: ["a"]})");
  EXPECT_EQ(round_trip("person", R"({name: "ann", age: 30, tags: []})"),
            R"({name: "ann", age: some(30), tags: []})");
}

TEST(Wave, ParsesEmptyRecord) {
  EXPECT_EQ(round_trip("optionals", "{:}"), "{:}");
  EXPECT_EQ(round_trip("optionals", "{ : }"), "{:}");
  EXPECT_EQ(round_trip("optionals", "{a: none}"), "{:}");
  EXPECT_EQ(round_trip("optionals", R"({b: "x"})"), R"({b: some("x")})");
  EXPECT_EQ(parse_error("optionals", "{}"),
            "expected a record, found '{}' at offset 0 (a record with no fields given is written "
            "'{:}')");
  EXPECT_TRUE(Contains(parse_error("optionals", "{:,}"), "expected '}' after '{:', found ','"));
  EXPECT_EQ(parse_error("point", "{:}"), "missing field 'x' in the record that starts at offset 0");
}

TEST(Wave, RejectsBadRecords) {
  EXPECT_EQ(parse_error("point", "{x: 1, z: 2}"),
            "unknown field 'z' at offset 7 (the record's fields are x, y)");
  EXPECT_EQ(parse_error("point", "{x: 1, x: 2}"), "duplicate field 'x' at offset 7");
  EXPECT_EQ(parse_error("point", "{x: 1}"),
            "missing field 'y' in the record that starts at offset 0");
  EXPECT_EQ(parse_error("point", "{x 1}"),
            "expected ':' after field name 'x', found '1' at offset 3");
  EXPECT_TRUE(Contains(parse_error("point", "{x: 1, y: 2"), "found end of input at offset 11"));
  EXPECT_TRUE(Contains(parse_error("point", "{\"x\": 1}"), "expected a record field name"));
  EXPECT_TRUE(Contains(parse_error("point", "{x: 1, y: 2.5}"), "expected an s32, found '2.5'"));
  EXPECT_TRUE(Contains(parse_error("point", "(1, 2)"), "expected a record, found '('"));
  EXPECT_TRUE(Contains(parse_error("point", "{X: 1}"), "unknown field 'X'"));
  EXPECT_TRUE(Contains(parse_error("point", "{x-: 1}"),
                       "expected a record field name, found 'x-'"));
}

TEST(Wave, RoundTripsVariants) {
  EXPECT_EQ(round_trip("response", "empty"), "empty");
  EXPECT_EQ(round_trip("response", "body([79, 75])"), "body([79, 75])");
  EXPECT_EQ(round_trip("response", "body ( [ ] )"), "body([])");
  EXPECT_EQ(round_trip("response", R"(%err("oops"))"), R"(%err("oops"))");
  EXPECT_EQ(round_trip("response", "at({x: 1, y: 2})"), "at({x: 1, y: 2})");
  // The type makes a bare keyword unambiguous, so it is accepted too.
  EXPECT_EQ(round_trip("response", R"(err("oops"))"), R"(%err("oops"))");
}

TEST(Wave, RejectsBadVariants) {
  EXPECT_EQ(parse_error("response", "body"),
            "expected '(' and the payload of case 'body', found end of input at offset 4");
  EXPECT_EQ(parse_error("response", "empty(1)"),
            "case 'empty' has no payload, found '(' at offset 5");
  EXPECT_EQ(parse_error("response", "nope"),
            "expected a variant case (empty, body(...), err(...), at(...)), found 'nope' at "
            "offset 0");
  EXPECT_TRUE(Contains(parse_error("response", "body([1]"),
                       "expected ')' after the payload of case 'body'"));
  EXPECT_TRUE(Contains(parse_error("response", "body(\"x\")"), "expected a list, found '\"x\"'"));
  EXPECT_TRUE(Contains(parse_error("response", "\"empty\""), "expected a variant case"));
}

TEST(Wave, RoundTripsEnums) {
  EXPECT_EQ(round_trip("color", "red"), "red");
  EXPECT_EQ(round_trip("color", "%blue"), "blue");
  EXPECT_EQ(round_trip("status", "%ok"), "%ok");
  EXPECT_EQ(round_trip("status", "%none"), "%none");
  EXPECT_EQ(round_trip("status", "not-found"), "not-found");
  EXPECT_EQ(round_trip("status", "none"), "%none");
  EXPECT_EQ(parse_error("color", "purple"),
            "expected an enum case (red, green, blue), found 'purple' at offset 0");
  EXPECT_TRUE(Contains(parse_error("color", "Red"), "found 'Red'"));
  EXPECT_TRUE(Contains(parse_error("color", "red()"), "case 'red' has no payload"));
  EXPECT_TRUE(Contains(parse_error("color", "1"), "expected an enum case"));
}

TEST(Wave, RoundTripsOptions) {
  EXPECT_EQ(round_trip("option-u8", "some(1)"), "some(1)");
  EXPECT_EQ(round_trip("option-u8", "none"), "none");
  EXPECT_EQ(round_trip("option-u8", "7"), "some(7)");
  EXPECT_EQ(round_trip("option-string", R"("flat some")"), R"(some("flat some"))");
  EXPECT_EQ(round_trip("option-list-u8", "[]"), "some([])");
  EXPECT_EQ(round_trip("option-option-u8", "some(none)"), "some(none)");
  EXPECT_EQ(round_trip("option-option-u8", "some(some(1))"), "some(some(1))");
  EXPECT_EQ(round_trip("option-option-u8", "some(1)"), "some(some(1))");
  EXPECT_EQ(round_trip("option-option-u8", "none"), "none");
}

TEST(Wave, RejectsBadOptions) {
  EXPECT_EQ(parse_error("option-option-u8", "1"),
            "expected an option ('some(...)' or 'none'), found '1' at offset 0");
  EXPECT_TRUE(Contains(parse_error("option-u8", "none(1)"), "case 'none' has no payload"));
  EXPECT_TRUE(Contains(parse_error("option-u8", "some"),
                       "expected '(' and the payload of case 'some'"));
  EXPECT_TRUE(Contains(parse_error("option-u8", "some(256)"),
                       "expected a u8, found '256' at offset 5"));
  EXPECT_TRUE(Contains(parse_error("option-u8", "%none"), "expected a u8, found '%none'"));
  EXPECT_TRUE(Contains(parse_error("option-u8", "some(1"), "expected ')'"));
}

TEST(Wave, RoundTripsResults) {
  EXPECT_EQ(round_trip("result", "ok(1)"), "ok(1)");
  EXPECT_EQ(round_trip("result", R"(err("e"))"), R"(err("e"))");
  EXPECT_EQ(round_trip("result", "5"), "ok(5)");
  EXPECT_EQ(round_trip("result-err-only", "ok"), "ok");
  EXPECT_EQ(round_trip("result-err-only", R"(err("x"))"), R"(err("x"))");
  EXPECT_EQ(round_trip("result-empty", "ok"), "ok");
  EXPECT_EQ(round_trip("result-empty", "err"), "err");
  EXPECT_EQ(round_trip("result-option", "ok(none)"), "ok(none)");
  EXPECT_EQ(round_trip("result-option", "ok(3)"), "ok(some(3))");
  EXPECT_EQ(round_trip("result-option", "err(3)"), "err(3)");
}

TEST(Wave, RejectsBadResults) {
  EXPECT_TRUE(Contains(parse_error("result", "ok"), "expected '(' and the payload of case 'ok'"));
  EXPECT_TRUE(Contains(parse_error("result", "err"), "payload of case 'err'"));
  EXPECT_TRUE(Contains(parse_error("result", "err(1)"), "expected a string, found '1'"));
  EXPECT_TRUE(Contains(parse_error("result-err-only", "ok(1)"), "case 'ok' has no payload"));
  EXPECT_TRUE(Contains(parse_error("result-err-only", "1"), "expected a result ('ok' or 'err')"));
  EXPECT_TRUE(Contains(parse_error("result-empty", "err(\"x\")"), "case 'err' has no payload"));
  EXPECT_TRUE(Contains(parse_error("result-option", "3"), "expected a result"));
  EXPECT_TRUE(Contains(parse_error("result", "%ok(1)"), "expected a u32, found '%ok'"));
}

TEST(Wave, RoundTripsFlags) {
  EXPECT_EQ(round_trip("perms", "{read, write}"), "{read, write}");
  EXPECT_EQ(round_trip("perms", "{exec, read,}"), "{read, exec}");
  EXPECT_EQ(round_trip("perms", "{}"), "{}");
  EXPECT_EQ(round_trip("perms", "{ %write }"), "{write}");
  EXPECT_EQ(parse_error("perms", "{read, delete}"),
            "unknown flag 'delete' at offset 7 (the flags are read, write, exec)");
  EXPECT_EQ(parse_error("perms", "{read, read}"), "duplicate flag 'read' at offset 7");
  EXPECT_TRUE(Contains(parse_error("perms", "{read: true}"),
                       "expected ',' or '}' in the flags that starts at offset 0, found ':'"));
  EXPECT_TRUE(Contains(parse_error("perms", "{:}"), "expected a flag name, found ':'"));
  EXPECT_TRUE(Contains(parse_error("perms", "[read]"), "expected flags, found '['"));
}

TEST(Wave, ParsesTheDeepestTypesWasmtimeAllows) {
  // Wasmtime (wasmparser) rejects component types nested more than 100 deep, the same limit as
  // the parser's, so the deepest real type is list<list<...<u8>>> with 99 lists. (One type
  // definition per level: the text format limits how deeply a single item may nest.)
  constexpr int kLists = 99;
  std::string types = "(type $t1 (list u8))";
  for (int i = 2; i <= kLists; ++i) {
    types += " (type $t" + std::to_string(i) + " (list $t" + std::to_string(i - 1) + "))";
  }
  std::string wat = "(component " + std::string(kCoreModule) + types +
                    " (func (export \"deep\") (param \"x\" $t" + std::to_string(kLists) +
                    ") (canon lift (core func $i \"sink2\") (memory (core memory $i \"memory\"))"
                    " (realloc (core func $i \"realloc\")))))";
  auto component = Component::compile(guest().engine, wat);
  ASSERT_TRUE(component) << component.err().message();
  auto export_item = component.ok_ref().type().export_nth(guest().engine, 0);
  ASSERT_TRUE(export_item);
  ASSERT_TRUE(export_item->second.is_component_func());
  auto param = export_item->second.component_func().param_nth(0);
  ASSERT_TRUE(param);
  const ValType& deep_type = param->second;

  std::string deepest = std::string(kLists, '[') + "7" + std::string(kLists, ']');
  Result<Val> parsed = parse_wave_value(deepest, deep_type);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(format_wave(*parsed), deepest);

  std::string too_deep = std::string(kLists + 1, '[') + std::string(kLists + 1, ']');
  parsed = parse_wave_value(too_deep, deep_type);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message(),
            "expected a u8, found '[' at offset " + std::to_string(kLists));

  // Stack-safe on absurd input: the type ends the descent.
  parsed = parse_wave_value(std::string(1'000'000, '['), deep_type);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument);
}

TEST(Wave, SurvivesGarbageInput) {
  // Random text made of WAVE's own characters: every result is either an error or a value
  // that formats to text which parses back to the same formatted text.
  constexpr std::string_view kAlphabet =
      "[](){}:,'\"\\%-.e0129 \nabnoksmuretifl{}/\xe2\x98\x83\xff";
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  int parsed_count = 0;
  for (const EchoType& echo : kEchoTypes) {
    std::optional<ValType> type = echo_type(echo.name);
    ASSERT_TRUE(type) << echo.name;
    for (int i = 0; i < 300; ++i) {
      std::string text;
      const size_t length = next() % 24;
      for (size_t j = 0; j < length; ++j) text.push_back(kAlphabet[next() % kAlphabet.size()]);
      Result<Val> parsed = parse_wave_value(text, *type);
      if (!parsed) {
        EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument) << text;
        continue;
      }
      ++parsed_count;
      std::string formatted = format_wave(*parsed);
      Result<Val> reparsed = parse_wave_value(formatted, *type);
      ASSERT_TRUE(reparsed) << echo.name << ": " << text << " -> " << formatted << ": "
                            << reparsed.error().message();
      EXPECT_EQ(format_wave(*reparsed), formatted) << echo.name << ": " << text;
    }
  }
  EXPECT_GT(parsed_count, 0);
}

TEST(Wave, ParsesArguments) {
  std::vector<ValType> types = param_types("args");
  ASSERT_EQ(types.size(), 4u) << guest().error;

  Result<std::vector<Val>> args = parse_wave_arguments(R"(1, "a", some(2), "s")", types);
  ASSERT_TRUE(args) << args.error().message();
  ASSERT_EQ(args->size(), 4u);
  EXPECT_EQ(format_wave((*args)[0]), "1");
  EXPECT_EQ(format_wave((*args)[1]), R"("a")");
  EXPECT_EQ(format_wave((*args)[2]), "some(2)");
  EXPECT_EQ(format_wave((*args)[3]), R"(some("s"))");

  args = parse_wave_arguments(" 7 , \"b\" , ", types);
  ASSERT_TRUE(args) << args.error().message();
  ASSERT_EQ(args->size(), 4u);
  EXPECT_EQ(format_wave((*args)[2]), "none");
  EXPECT_EQ(format_wave((*args)[3]), "none");

  // The parsed arguments are acceptable to Wasmtime.
  std::optional<Func> func = export_func("args");
  ASSERT_TRUE(func);
  auto cx = guest().store->context();
  std::vector<Val> results;
  auto call = func->call(cx, *args, results);
  ASSERT_TRUE(call) << call.err().message();
  ASSERT_TRUE(func->post_return(cx));
}

TEST(Wave, RejectsWrongArgumentCounts) {
  std::vector<ValType> types = param_types("args");
  ASSERT_EQ(types.size(), 4u) << guest().error;
  Result<std::vector<Val>> args = parse_wave_arguments("", types);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(args.error().message(), "missing argument 1 of 4 (a u8) at offset 0");

  args = parse_wave_arguments("1", types);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message(), "missing argument 2 of 4 (a string) at offset 1");

  args = parse_wave_arguments(R"(1, "a", none, none, 5)", types);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message(),
            "too many arguments: expected 4, found another, '5' at offset 20");

  args = parse_wave_arguments(R"(1 "a")", types);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message(),
            "expected ',' or the end of the arguments, found '\"a\"' at offset 2");

  args = parse_wave_arguments(R"(1,, "a")", types);
  ASSERT_FALSE(args);
  EXPECT_TRUE(Contains(args.error().message(), "expected a string, found ','"));

  args = parse_wave_arguments(R"((1, "a"))", types);
  ASSERT_FALSE(args);
  EXPECT_TRUE(Contains(args.error().message(), "expected a u8, found '('"));
}

TEST(Wave, ParsesEmptyArgumentList) {
  std::vector<ValType> none;
  for (std::string_view text : {"", "  ", " // nothing\n"}) {
    Result<std::vector<Val>> args = parse_wave_arguments(text, none);
    ASSERT_TRUE(args) << args.error().message();
    EXPECT_TRUE(args->empty());
  }
  Result<std::vector<Val>> args = parse_wave_arguments(",", none);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().message(),
            "too many arguments: expected 0, found another, ',' at offset 0");
}

TEST(Wave, ParsingResourcesIsUnimplemented) {
  std::vector<ValType> types = param_types("take-r");
  ASSERT_EQ(types.size(), 1u) << guest().error;
  ASSERT_TRUE(types[0].is_own());
  Result<Val> parsed = parse_wave_value("0", types[0]);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), ErrorCode::Unimplemented);
  EXPECT_TRUE(Contains(parsed.error().message(), "WAVE cannot encode an owned resource"));
  Result<std::vector<Val>> args = parse_wave_arguments("0", types);
  ASSERT_FALSE(args);
  EXPECT_EQ(args.error().code(), ErrorCode::Unimplemented);
}

TEST(Wave, ParsesPrimitiveTypesWithoutAComponent) {
  Result<Val> parsed = parse_wave_value("-5", ValType::new_s16());
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->is_s16());
  EXPECT_EQ(parsed->get_s16(), -5);
  parsed = parse_wave_value("'x'", ValType::new_char());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(format_wave(*parsed), "'x'");
  parsed = parse_wave_value("nan", ValType::new_f32());
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->is_f32());
  EXPECT_TRUE(std::isnan(parsed->get_f32()));
}

TEST(Wave, FormatsScalars) {
  EXPECT_EQ(format_wave(Val(true)), "true");
  EXPECT_EQ(format_wave(Val(static_cast<int8_t>(-8))), "-8");
  EXPECT_EQ(format_wave(Val(static_cast<uint8_t>(200))), "200");
  EXPECT_EQ(format_wave(Val(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(format_wave(Val(0.1f)), "0.1");
  EXPECT_EQ(format_wave(Val(0.1)), "0.1");
  EXPECT_EQ(format_wave(Val(1e21)), "1e+21");
  EXPECT_EQ(format_wave(Val(-0.0)), "-0");
  EXPECT_EQ(format_wave(Val(std::numeric_limits<double>::infinity())), "inf");
  EXPECT_EQ(format_wave(Val(-std::numeric_limits<float>::infinity())), "-inf");
  EXPECT_EQ(format_wave(Val(std::numeric_limits<float>::quiet_NaN())), "nan");
  EXPECT_EQ(format_wave(Val::char_('a')), "'a'");
  EXPECT_EQ(format_wave(Val::char_(0x1F44B)), "'👋'");
  EXPECT_EQ(format_wave(Val::string("tab\there \"q\" \\")), R"("tab\there \"q\" \\")");
}

TEST(Wave, FormatsHandBuiltValuesWithoutCrashing) {
  // Values Wasmtime would never produce still format.
  EXPECT_EQ(format_wave(Val::char_(0xD800)), "'\\u{d800}'");
  EXPECT_EQ(format_wave(Val::char_(0x110000)), "'\\u{110000}'");
  EXPECT_EQ(format_wave(Val::string("a\xff" "b")), "\"a\xef\xbf\xbd" "b\"");
  EXPECT_EQ(format_wave(Val::string(std::string_view("\0", 1))), R"("\u{0}")");

  std::vector<std::pair<std::string_view, Val>> fields;
  fields.emplace_back("none", Val(static_cast<uint32_t>(1)));
  fields.emplace_back("gone", Val(WitOption(std::nullopt)));
  fields.emplace_back("there", Val(WitOption(Val(false))));
  EXPECT_EQ(format_wave(Val(Record(std::move(fields)))), "{none: 1, there: some(false)}");

  std::vector<std::pair<std::string_view, Val>> only_none;
  only_none.emplace_back("a", Val(WitOption(std::nullopt)));
  EXPECT_EQ(format_wave(Val(Record(std::move(only_none)))), "{:}");

  EXPECT_EQ(format_wave(Val(Variant("none", std::nullopt))), "%none");
  EXPECT_EQ(format_wave(Val(Variant("inf", Val(1.5)))), "%inf(1.5)");
  EXPECT_EQ(format_wave(Val(Variant("value", Val::string("x")))), R"(value("x"))");
  EXPECT_EQ(format_wave(Val::enum_("true")), "%true");
  EXPECT_EQ(format_wave(Val::enum_("plain")), "plain");
  EXPECT_EQ(format_wave(Val(WitResult::ok(std::nullopt))), "ok");
  EXPECT_EQ(format_wave(Val(WitResult::err(Val::string("e")))), R"(err("e"))");
  std::vector<Val> pair;
  pair.emplace_back(static_cast<uint8_t>(1));
  pair.push_back(Val::string("a"));
  EXPECT_EQ(format_wave(Val(Tuple(std::move(pair)))), R"((1, "a"))");
  EXPECT_EQ(format_wave(Val(List(std::vector<Val>{}))), "[]");

  std::vector<Flag> set;
  set.emplace_back("read");
  set.emplace_back("none");
  EXPECT_EQ(format_wave(Val(Flags(std::move(set)))), "{read, none}");
  EXPECT_EQ(format_wave(Val(Flags(std::vector<Flag>{}))), "{}");

  std::vector<std::pair<Val, Val>> entries;
  entries.emplace_back(Val::string("k"), Val(static_cast<uint32_t>(1)));
  entries.emplace_back(Val::string("j"), Val(static_cast<uint32_t>(2)));
  EXPECT_EQ(format_wave(Val(Map(std::move(entries)))), R"([("k", 1), ("j", 2)])");

  // Deeper than any Wasmtime type: the formatter cuts it off instead of recursing without end.
  Val deep = Val(false);
  for (int i = 0; i < 1500; ++i) deep = Val(WitOption(std::move(deep)));
  std::string text = format_wave(deep);
  EXPECT_TRUE(Contains(text, "..."));
  EXPECT_LT(text.size(), 20'000u);
}

}  // namespace
}  // namespace orivon::values
