// Tests for orivon::Value and its conversions to and from Wasmtime's component values. The
// types come from the `typed` test guest (tests/guests/typed), and the round trips call its
// functions, so Wasmtime itself checks that what to_wasmtime() builds really has the type.

#include "orivon/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/process.h"
#include "values/value_conversion.h"
#include "values/wave.h"

namespace orivon {

// Lets GoogleTest print values in failure messages.
void PrintTo(const Value& value, std::ostream* out) { *out << to_wave(value); }

namespace {

using wasmtime::component::Component;
using wasmtime::component::Func;
using wasmtime::component::Instance;
using wasmtime::component::Linker;
using wasmtime::component::Val;
using wasmtime::component::ValType;
using Kind = Value::Kind;

// ---------------------------------------------------------------------------------------
// The typed guest, compiled and instantiated once for all tests (compiling is the slow
// part). Leaked on purpose so no destructor runs at exit.

struct Guest {
  wasmtime::Engine engine;
  std::optional<wasmtime::Store> store;
  std::optional<Instance> instance;
  std::string error;
};

Guest& guest() {
  static Guest* const shared = [] {
    auto* g = new Guest();
    const auto path = orivon::testing::guest_path("typed", "component");
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
    if (bytes.empty()) {
      g->error = "cannot read " + path.string();
      return g;
    }
    auto component = Component::compile(g->engine, wasmtime::Span<uint8_t>(bytes));
    if (!component) {
      g->error = "compiling the typed guest: " + component.err().message();
      return g;
    }
    g->store.emplace(g->engine);
    auto wasi = g->store->context().set_wasi(wasmtime::WasiConfig());
    Linker linker(g->engine);
    auto linked = linker.add_wasip2();
    if (!wasi || !linked) {
      g->error = "setting up WASI";
      return g;
    }
    auto instance = linker.instantiate(g->store->context(), component.ok());
    if (!instance) {
      g->error = "instantiating the typed guest: " + instance.err().message();
      return g;
    }
    g->instance.emplace(instance.ok());
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

// The type of parameter `position` of the guest's function `name`.
std::optional<ValType> param_type(std::string_view name, size_t position = 0) {
  std::optional<Func> func = export_func(name);
  if (!func) return std::nullopt;
  auto param = func->type(guest().store->context()).param_nth(position);
  if (!param) return std::nullopt;
  return std::move(param->second);
}

// Calls the guest's function `name` with typed arguments and converts its result back.
// Conversion errors come back as they are; a failed call is an Internal error.
Result<Value> call(std::string_view name, const std::vector<Value>& args) {
  std::optional<Func> func = export_func(name);
  if (!func) return Error(ErrorCode::NotFound, "no export " + std::string(name) + guest().error);
  auto cx = guest().store->context();
  auto type = func->type(cx);
  std::vector<Val> lowered;
  for (size_t i = 0; i < args.size(); ++i) {
    auto param = type.param_nth(i);
    if (!param) return Error(ErrorCode::InvalidArgument, "too many arguments");
    ORIVON_TRY(Val arg, values::to_wasmtime(args[i], param->second));
    lowered.push_back(std::move(arg));
  }
  std::vector<Val> results;
  results.emplace_back(false);
  auto called = func->call(cx, lowered, results);
  if (!called) return Error(ErrorCode::Internal, "call failed: " + called.err().message());
  auto post = func->post_return(cx);
  if (!post) return Error(ErrorCode::Internal, "post-return failed: " + post.err().message());
  // What came back must print the same whichever way it is formatted.
  Result<Value> result = values::from_wasmtime(results[0]);
  if (result) {
    EXPECT_EQ(to_wave(*result), values::format_wave(results[0]));
  }
  return result;
}

// The value after a trip through the guest's identity function `name`.
Result<Value> echo(std::string_view name, const Value& value) { return call(name, {value}); }

// The message of the InvalidArgument error that converting `value` to parameter `position`
// of `name` gives, or a description of what happened instead.
std::string conversion_error(std::string_view name, const Value& value, size_t position = 0) {
  std::optional<ValType> type = param_type(name, position);
  if (!type) return "no parameter " + std::to_string(position) + " of " + std::string(name);
  Result<Val> converted = values::to_wasmtime(value, *type);
  if (converted) return "converted to " + values::format_wave(*converted);
  EXPECT_EQ(converted.error().code(), ErrorCode::InvalidArgument) << converted.error().message();
  return converted.error().message();
}

Value point(int32_t x, int32_t y) {
  return Value::record({{"x", Value::s32(x)}, {"y", Value::s32(y)}});
}

Value scalars(Value a_string = Value::string("text")) {
  return Value::record({
      {"a-bool", Value::boolean(true)},
      {"an-s8", Value::s8(-128)},
      {"a-u8", Value::u8(255)},
      {"an-s16", Value::s16(-32768)},
      {"a-u16", Value::u16(65535)},
      {"an-s32", Value::s32(std::numeric_limits<int32_t>::min())},
      {"a-u32", Value::u32(std::numeric_limits<uint32_t>::max())},
      {"an-s64", Value::s64(std::numeric_limits<int64_t>::min())},
      {"a-u64", Value::u64(std::numeric_limits<uint64_t>::max())},
      {"an-f32", Value::f32(0.1f)},
      {"an-f64", Value::f64(-2.5e-300)},
      {"a-char", Value::character(U'\U0001F980')},
      {"a-string", std::move(a_string)},
  });
}

Value bundle() {
  return Value::record({
      {"shapes", Value::list({Value::variant("circle", Value::f64(1.5)),
                              Value::variant("rectangle", point(3, -4)),
                              Value::variant("empty")})},
      {"colors", Value::list({Value::enumeration("blue"), Value::enumeration("red")})},
      {"maybe", Value::some(Value::none())},
      {"checked", Value::ok(point(1, 2))},
      {"bare", Value::err()},
      {"tags", Value::list({Value::tuple({Value::string("admin"),
                                          Value::flags({"read", "write", "exec"})}),
                            Value::tuple({Value::string("guest"), Value::flags({})})})},
  });
}

// Whether `text` contains `part`, with a readable failure message.
::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part
                                       << "\"";
}

// ---------------------------------------------------------------------------------------
// The Value type on its own

TEST(Value, ScalarsKeepTheirKindAndValue) {
  EXPECT_EQ(Value::boolean(true).as_bool(), true);
  EXPECT_EQ(Value::s8(-5).as_s8(), -5);
  EXPECT_EQ(Value::u8(200).as_u8(), 200);
  EXPECT_EQ(Value::s16(-300).as_s16(), -300);
  EXPECT_EQ(Value::u16(60000).as_u16(), 60000);
  EXPECT_EQ(Value::s32(-7).as_s32(), -7);
  EXPECT_EQ(Value::u32(7).as_u32(), 7u);
  EXPECT_EQ(Value::s64(-(int64_t{1} << 40)).as_s64(), -(int64_t{1} << 40));
  EXPECT_EQ(Value::u64(uint64_t{1} << 63).as_u64(), uint64_t{1} << 63);
  EXPECT_EQ(Value::f32(1.5f).as_f32(), 1.5f);
  EXPECT_EQ(Value::f64(-0.25).as_f64(), -0.25);
  EXPECT_EQ(Value::character(U'é').as_char(), U'é');
  EXPECT_EQ(Value::u32(7).kind(), Kind::U32);
  EXPECT_EQ(Value::character(U'x').kind(), Kind::Char);
  EXPECT_EQ(value_kind_name(Kind::U32), "u32");
  EXPECT_EQ(value_kind_name(Kind::Flags), "flags");
}

TEST(Value, AccessorsOfAnotherKindGiveNothing) {
  const Value number = Value::s32(1);
  EXPECT_EQ(number.as_s64(), std::nullopt);  // no conversions, even widening ones
  EXPECT_EQ(number.as_u32(), std::nullopt);
  EXPECT_EQ(number.as_bool(), std::nullopt);
  EXPECT_EQ(number.if_string(), nullptr);
  EXPECT_EQ(number.if_list(), nullptr);
  EXPECT_EQ(number.if_record(), nullptr);
  EXPECT_EQ(number.if_case(), nullptr);
  EXPECT_EQ(number.payload(), nullptr);
  EXPECT_EQ(number.field("x"), nullptr);
  EXPECT_FALSE(number.is_some() || number.is_none() || number.is_ok() || number.is_err());
  EXPECT_FALSE(number.has_flag("x"));
  EXPECT_EQ(Value::list({}).if_tuple(), nullptr);
  EXPECT_EQ(Value::tuple({}).if_list(), nullptr);
  EXPECT_EQ(Value::string("7").as_u32(), std::nullopt);
  EXPECT_EQ(Value::u32(0x41).as_char(), std::nullopt);
  EXPECT_EQ(Value::some(Value::u8(1)).if_case(), nullptr);  // options have no case name
}

TEST(Value, CompoundAccessors) {
  const Value text = Value::string("héllo");
  ASSERT_NE(text.if_string(), nullptr);
  EXPECT_EQ(*text.if_string(), "héllo");

  const Value list = Value::list({Value::u8(1), Value::u8(2)});
  ASSERT_NE(list.if_list(), nullptr);
  EXPECT_EQ(*list.if_list(), (std::vector<Value>{Value::u8(1), Value::u8(2)}));

  const Value tuple = Value::tuple({Value::u8(1), Value::string("a")});
  ASSERT_NE(tuple.if_tuple(), nullptr);
  EXPECT_EQ(tuple.if_tuple()->size(), 2u);

  const Value p = point(1, 2);
  ASSERT_NE(p.if_record(), nullptr);
  EXPECT_EQ(p.if_record()->at(1).name, "y");
  ASSERT_NE(p.field("x"), nullptr);
  EXPECT_EQ(p.field("x")->as_s32(), 1);
  EXPECT_EQ(p.field("z"), nullptr);

  const Value circle = Value::variant("circle", Value::f64(2));
  ASSERT_NE(circle.if_case(), nullptr);
  EXPECT_EQ(*circle.if_case(), "circle");
  ASSERT_NE(circle.payload(), nullptr);
  EXPECT_EQ(circle.payload()->as_f64(), 2.0);
  EXPECT_EQ(Value::variant("empty").payload(), nullptr);

  const Value red = Value::enumeration("red");
  ASSERT_NE(red.if_case(), nullptr);
  EXPECT_EQ(*red.if_case(), "red");
  EXPECT_EQ(red.payload(), nullptr);

  EXPECT_TRUE(Value::some(Value::u8(1)).is_some());
  EXPECT_EQ(Value::some(Value::u8(1)).payload()->as_u8(), 1);
  EXPECT_TRUE(Value::none().is_none());
  EXPECT_FALSE(Value::none().is_some());
  EXPECT_EQ(Value::none().payload(), nullptr);

  EXPECT_TRUE(Value::ok().is_ok());
  EXPECT_FALSE(Value::ok().is_err());
  EXPECT_TRUE(Value::err(Value::string("e")).is_err());
  EXPECT_EQ(*Value::err(Value::string("e")).payload()->if_string(), "e");
  EXPECT_EQ(Value::ok().payload(), nullptr);

  const Value flags = Value::flags({"write", "read", "write"});
  ASSERT_NE(flags.if_flags(), nullptr);
  EXPECT_EQ(*flags.if_flags(), (std::vector<std::string>{"write", "read"}));
  EXPECT_TRUE(flags.has_flag("read"));
  EXPECT_FALSE(flags.has_flag("exec"));
}

TEST(Value, CopiesAreDeepAndEqual) {
  Value original = bundle();
  Value copy = original;
  EXPECT_EQ(copy, original);
  Value moved = std::move(copy);
  EXPECT_EQ(moved, original);
  copy = Value::u8(1);
  EXPECT_EQ(moved, original);
  EXPECT_NE(copy, original);
}

TEST(Value, EqualityComparesKindsAndContents) {
  EXPECT_EQ(Value::u32(1), Value::u32(1));
  EXPECT_NE(Value::u32(1), Value::u32(2));
  EXPECT_NE(Value::u32(1), Value::s32(1));
  EXPECT_NE(Value::list({Value::u8(1)}), Value::tuple({Value::u8(1)}));
  EXPECT_NE(Value::variant("red"), Value::enumeration("red"));
  EXPECT_NE(Value::some(Value::u8(1)), Value::ok(Value::u8(1)));
  EXPECT_NE(Value::variant("a", Value::u8(1)), Value::variant("a"));
  EXPECT_NE(Value::variant("a", Value::u8(1)), Value::variant("a", Value::u8(2)));
  EXPECT_NE(Value::ok(), Value::err());
  EXPECT_NE(Value::string("a"), Value::string("b"));
  EXPECT_EQ(point(1, 2), point(1, 2));
  EXPECT_NE(point(1, 2), point(1, 3));
  // Records are ordered.
  EXPECT_NE(point(1, 2), Value::record({{"y", Value::s32(2)}, {"x", Value::s32(1)}}));
  // Flags are sets.
  EXPECT_EQ(Value::flags({"a", "b"}), Value::flags({"b", "a", "b"}));
  EXPECT_NE(Value::flags({"a", "b"}), Value::flags({"a"}));
  EXPECT_NE(Value::flags({"a", "b"}), Value::flags({"a", "c"}));
}

TEST(Value, FloatsCompareAsValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Value::f64(nan), Value::f64(-nan));
  EXPECT_EQ(Value::f32(std::numeric_limits<float>::quiet_NaN()),
            Value::f32(std::numeric_limits<float>::signaling_NaN()));
  EXPECT_NE(Value::f64(0.0), Value::f64(-0.0));
  EXPECT_NE(Value::f64(nan), Value::f64(0.0));
  EXPECT_EQ(Value::f64(std::numeric_limits<double>::infinity()),
            Value::f64(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(Value::list({Value::f32(NAN)}), Value::list({Value::f32(NAN)}));
}

// ---------------------------------------------------------------------------------------
// Round trips through the guest, with types taken from its functions

TEST(ValueConversion, LoadsTheTypedGuest) {
  EXPECT_EQ(guest().error, "");
  EXPECT_TRUE(guest().instance.has_value());
}

TEST(ValueConversion, RoundTripsEveryScalarKind) {
  const Value sent = scalars();
  Result<Value> back = echo("echo-scalars", sent);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, sent);
  EXPECT_EQ(back->field("a-char")->as_char(), U'\U0001F980');
  EXPECT_EQ(back->field("a-u64")->as_u64(), std::numeric_limits<uint64_t>::max());

  Value other = Value::record({
      {"a-bool", Value::boolean(false)},
      {"an-s8", Value::s8(127)},
      {"a-u8", Value::u8(0)},
      {"an-s16", Value::s16(32767)},
      {"a-u16", Value::u16(0)},
      {"an-s32", Value::s32(std::numeric_limits<int32_t>::max())},
      {"a-u32", Value::u32(0)},
      {"an-s64", Value::s64(std::numeric_limits<int64_t>::max())},
      {"a-u64", Value::u64(0)},
      {"an-f32", Value::f32(-std::numeric_limits<float>::infinity())},
      {"an-f64", Value::f64(std::numeric_limits<double>::quiet_NaN())},
      {"a-char", Value::character(U'\0')},
      {"a-string", Value::string("")},
  });
  back = echo("echo-scalars", other);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, other);
  EXPECT_TRUE(std::isnan(*back->field("an-f64")->as_f64()));
}

TEST(ValueConversion, RoundTripsStrings) {
  for (const char* text : {"", "plain", "tab\tquote\"backslash\\", "é ß 漢字 🦀",
                           "nul\0inside"}) {
    const Value sent = scalars(Value::string(text));
    Result<Value> back = echo("echo-scalars", sent);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, sent);
  }
  std::string with_nul("a\0b", 3);
  const Value sent = scalars(Value::string(with_nul));
  Result<Value> back = echo("echo-scalars", sent);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back->field("a-string")->if_string(), with_nul);

  Result<Value> greeting = call("greet", {Value::string("wörld")});
  ASSERT_TRUE(greeting) << greeting.error().message();
  EXPECT_EQ(*greeting, Value::string("hello, wörld"));
}

TEST(ValueConversion, RoundTripsNestedCompoundValues) {
  const Value sent = bundle();
  Result<Value> back = echo("echo-bundle", sent);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, sent);

  // The other way each compound can be: empty lists, `none`, `err`, `ok` and `some(some)`.
  const Value other = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({Value::enumeration("green")})},
      {"maybe", Value::some(Value::some(Value::u8(7)))},
      {"checked", Value::err(Value::string("no point"))},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  back = echo("echo-bundle", other);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, other);
  EXPECT_EQ(back->field("maybe")->payload()->payload()->as_u8(), 7);

  const Value none = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({})},
      {"maybe", Value::none()},
      {"checked", Value::ok(point(0, 0))},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  back = echo("echo-bundle", none);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, none);
}

TEST(ValueConversion, RoundTripsEachVariantCase) {
  for (const Value& shape : {Value::variant("circle", Value::f64(0.5)),
                             Value::variant("rectangle", point(-1, 1)),
                             Value::variant("empty")}) {
    Result<Value> back = echo("echo-shape", shape);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, shape);
  }
}

TEST(ValueConversion, RoundTripsFlagsInTheTypesOrder) {
  for (const Value& flags : {Value::flags({}), Value::flags({"exec"}),
                             Value::flags({"read", "write", "exec"})}) {
    Result<Value> back = echo("echo-permissions", flags);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, flags);
  }
  // Given in any order, they come back in the type's.
  Result<Value> back = echo("echo-permissions", Value::flags({"exec", "read"}));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back->if_flags(), (std::vector<std::string>{"read", "exec"}));
}

TEST(ValueConversion, CallsTheGuestsTypedFunctions) {
  Result<Value> swapped =
      call("swap", {Value::tuple({Value::character(U'λ'), Value::u64(uint64_t{1} << 60)})});
  ASSERT_TRUE(swapped) << swapped.error().message();
  EXPECT_EQ(*swapped, Value::tuple({Value::u64(uint64_t{1} << 60), Value::character(U'λ')}));

  Result<Value> sum = call("sum", {Value::list({Value::s32(1), Value::s32(-5), Value::s32(40)})});
  ASSERT_TRUE(sum) << sum.error().message();
  EXPECT_EQ(*sum, Value::s64(36));

  Result<Value> moved = call("translate", {point(1, 2), Value::s32(10), Value::s32(-10)});
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(*moved, point(11, -8));

  Result<Value> quotient = call("checked-div", {Value::s32(7), Value::s32(2)});
  ASSERT_TRUE(quotient) << quotient.error().message();
  EXPECT_EQ(*quotient, Value::ok(Value::s32(3)));
  Result<Value> by_zero = call("checked-div", {Value::s32(7), Value::s32(0)});
  ASSERT_TRUE(by_zero) << by_zero.error().message();
  EXPECT_EQ(*by_zero, Value::err(Value::string("division by zero")));

  Result<Value> word = call("first-word", {Value::string("hello there")});
  ASSERT_TRUE(word) << word.error().message();
  EXPECT_EQ(*word, Value::some(Value::string("hello")));
  Result<Value> no_word = call("first-word", {Value::string("")});
  ASSERT_TRUE(no_word) << no_word.error().message();
  EXPECT_EQ(*no_word, Value::none());

  Result<Value> next = call("next-color", {Value::enumeration("blue")});
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(*next, Value::enumeration("red"));
}

TEST(ValueConversion, RecordFieldsMayComeInAnyOrderAndOptionsMayBeLeftOut) {
  const Value reversed = Value::record({{"y", Value::s32(2)}, {"x", Value::s32(1)}});
  Result<Value> moved = call("translate", {reversed, Value::s32(0), Value::s32(0)});
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(*moved, point(1, 2));

  // `maybe` is an option: leaving it out means `none`, as in WAVE.
  Value sent = Value::record({
      {"bare", Value::ok()},
      {"tags", Value::list({})},
      {"checked", Value::ok(point(0, 0))},
      {"colors", Value::list({})},
      {"shapes", Value::list({})},
  });
  Result<Value> back = echo("echo-bundle", sent);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_NE(back->field("maybe"), nullptr);
  EXPECT_TRUE(back->field("maybe")->is_none());
}

TEST(ValueConversion, FromWasmtimeReadsHandMadeValues) {
  std::vector<std::pair<std::string_view, Val>> fields;
  fields.emplace_back("c", Val::char_(0x1F600));
  fields.emplace_back("v", Val(wasmtime::component::Variant("on", std::nullopt)));
  Result<Value> value = values::from_wasmtime(Val(wasmtime::component::Record(std::move(fields))));
  ASSERT_TRUE(value) << value.error().message();
  EXPECT_EQ(*value, Value::record({{"c", Value::character(U'\U0001F600')},
                                   {"v", Value::variant("on")}}));
}

// ---------------------------------------------------------------------------------------
// Values that do not fit the type

TEST(ValueConversion, RefusesTheWrongKind) {
  EXPECT_EQ(conversion_error("greet", Value::u32(300)), "expected a string, found a u32 (300)");
  EXPECT_EQ(conversion_error("next-color", Value::string("red")),
            "expected an enum case (red, green, blue), found a string (\"red\")");
  EXPECT_EQ(conversion_error("next-color", Value::variant("red")),
            "expected an enum case (red, green, blue), found a variant (red)");
  EXPECT_EQ(conversion_error("echo-shape", Value::enumeration("empty")),
            "expected a variant case (circle(...), rectangle(...), empty), found an enum (empty)");
  EXPECT_EQ(conversion_error("sum", Value::tuple({Value::s32(1)})),
            "expected a list, found a tuple ((1))");
  EXPECT_EQ(conversion_error("swap", Value::list({})), "expected a tuple, found a list ([])");
  EXPECT_EQ(conversion_error("first-word", Value::some(Value::string("x"))),
            "expected a string, found an option (some(\"x\"))");
  EXPECT_EQ(conversion_error("echo-permissions", Value::list({Value::string("read")})),
            "expected flags, found a list ([\"read\"])");
  EXPECT_EQ(conversion_error("echo-shape", Value::flags({"read"})),
            "expected a variant case (circle(...), rectangle(...), empty), found flags ({read})");
  // No conversions between numbers, even when the value would fit.
  EXPECT_EQ(conversion_error("translate", Value::s32(1), 1), "converted to 1");
  EXPECT_EQ(conversion_error("translate", Value::s64(1), 1), "expected an s32, found an s64 (1)");
  EXPECT_EQ(conversion_error("translate", Value::u32(1), 1), "expected an s32, found a u32 (1)");
}

TEST(ValueConversion, NamesWhereInTheValueTheMismatchIs) {
  EXPECT_EQ(conversion_error("echo-scalars", scalars(Value::u8(1))),
            "expected a string, found a u8 (1) at .a-string");

  Value nested = Value::record({
      {"shapes", Value::list({Value::variant("empty"),
                              Value::variant("rectangle", Value::record({{"x", Value::s32(1)},
                                                                         {"y", Value::u8(2)}}))})},
      {"colors", Value::list({})},
      {"checked", Value::ok(point(0, 0))},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", nested),
            "expected an s32, found a u8 (2) at .shapes[1].rectangle.y");

  Value deep_option = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({})},
      {"maybe", Value::some(Value::some(Value::s8(1)))},
      {"checked", Value::ok(point(0, 0))},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", deep_option),
            "expected a u8, found an s8 (1) at .maybe.some.some");

  Value bad_error = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({})},
      {"checked", Value::err(Value::u8(0))},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", bad_error),
            "expected a string, found a u8 (0) at .checked.err");

  Value bad_tag = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({})},
      {"checked", Value::ok(point(0, 0))},
      {"bare", Value::ok()},
      {"tags", Value::list({Value::tuple({Value::string("t"), Value::flags({"read"})}),
                            Value::tuple({Value::string("t"), Value::flags({"fly"})})})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", bad_tag),
            "unknown flag 'fly' at .tags[1][1] (the flags are read, write, exec)");
}

TEST(ValueConversion, RefusesRecordsWithTheWrongFields) {
  EXPECT_EQ(conversion_error("translate", Value::record({{"x", Value::s32(1)}})),
            "missing field 'y' (an s32)");
  EXPECT_EQ(conversion_error("translate", Value::record({{"x", Value::s32(1)},
                                                         {"y", Value::s32(2)},
                                                         {"z", Value::s32(3)}})),
            "unknown field 'z' (the record's fields are x, y)");
  EXPECT_EQ(conversion_error("translate", Value::record({{"x", Value::s32(1)},
                                                         {"x", Value::s32(2)},
                                                         {"y", Value::s32(3)}})),
            "duplicate field 'x'");
  Value nested = Value::record({
      {"shapes", Value::list({Value::variant("rectangle", Value::record({{"x", Value::s32(1)}}))})},
      {"colors", Value::list({})},
      {"checked", Value::ok(point(0, 0))},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", nested),
            "missing field 'y' (an s32) in the record at .shapes[0].rectangle");
  EXPECT_TRUE(Contains(conversion_error("echo-bundle", Value::record({})),
                       "missing field 'shapes' (a list)"));
}

TEST(ValueConversion, RefusesUnknownCasesAndWrongPayloads) {
  EXPECT_EQ(conversion_error("next-color", Value::enumeration("purple")),
            "expected an enum case (red, green, blue), found case 'purple'");
  EXPECT_EQ(conversion_error("echo-shape", Value::variant("triangle")),
            "expected a variant case (circle(...), rectangle(...), empty), found case "
            "'triangle'");
  EXPECT_EQ(conversion_error("echo-shape", Value::variant("circle")),
            "case 'circle' needs a payload (an f64)");
  EXPECT_EQ(conversion_error("echo-shape", Value::variant("empty", Value::u8(1))),
            "case 'empty' has no payload, found a u8 (1)");
  EXPECT_EQ(conversion_error("echo-shape", Value::variant("circle", Value::f32(1))),
            "expected an f64, found an f32 (1) at .circle");
  EXPECT_EQ(conversion_error("echo-permissions", Value::flags({"read", "fly"})),
            "unknown flag 'fly' (the flags are read, write, exec)");
}

TEST(ValueConversion, RefusesResultsWithTheWrongPayload) {
  Value missing_ok = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({})},
      {"checked", Value::ok()},
      {"bare", Value::ok()},
      {"tags", Value::list({})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", missing_ok),
            "case 'ok' needs a payload (a record) at .checked");
  Value extra_err = Value::record({
      {"shapes", Value::list({})},
      {"colors", Value::list({})},
      {"checked", Value::ok(point(0, 0))},
      {"bare", Value::err(Value::string("why"))},
      {"tags", Value::list({})},
  });
  EXPECT_EQ(conversion_error("echo-bundle", extra_err),
            "case 'err' has no payload, found a string (\"why\") at .bare");
}

TEST(ValueConversion, RefusesTuplesOfTheWrongLength) {
  EXPECT_EQ(conversion_error("swap", Value::tuple({Value::character(U'a')})),
            "expected a tuple of 2 elements, found 1");
  EXPECT_EQ(conversion_error("swap", Value::tuple({Value::u64(1), Value::character(U'a')})),
            "expected a char, found a u64 (1) at [0]");
}

TEST(ValueConversion, RefusesCharsThatAreNotScalarValuesAndBadUtf8) {
  EXPECT_EQ(conversion_error("swap", Value::tuple({Value::character(0xD800), Value::u64(1)})),
            "expected a char, found U+D800, which is not a Unicode scalar value at [0]");
  EXPECT_EQ(conversion_error("swap", Value::tuple({Value::character(0x110000), Value::u64(1)})),
            "expected a char, found U+110000, which is not a Unicode scalar value at [0]");
  EXPECT_EQ(conversion_error("greet", Value::string("ok \xC3\x28")),
            "expected a string, found one that is not UTF-8 (byte 3)");
  EXPECT_EQ(conversion_error("greet", Value::string("\xED\xA0\x80")),  // a surrogate
            "expected a string, found one that is not UTF-8 (byte 0)");
  EXPECT_EQ(conversion_error("greet", Value::string("\xC0\x80")),  // overlong NUL
            "expected a string, found one that is not UTF-8 (byte 0)");
}

TEST(ValueConversion, ShortensLongValuesInMessages) {
  std::vector<Value> many(100, Value::u16(1000));
  EXPECT_EQ(conversion_error("greet", Value::list(std::move(many))),
            "expected a string, found a list ([1000, 1000, 1000, 1000, 1000, 1000, 100...)");
}

TEST(ValueConversion, BadArgumentsNeverReachTheGuest) {
  Result<Value> result = call("translate", {point(1, 2), Value::s32(1), Value::string("1")});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(result.error().message(), "expected an s32, found a string (\"1\")");
}

TEST(ValueConversion, ValuesAValueCannotHoldAreUnimplemented) {
  std::vector<std::pair<Val, Val>> entries;
  entries.emplace_back(Val::string("k"), Val(uint32_t{1}));
  Result<Value> map = values::from_wasmtime(Val(wasmtime::component::Map(std::move(entries))));
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().code(), ErrorCode::Unimplemented);
  EXPECT_TRUE(Contains(map.error().message(), "map"));

  // A map nested in a list fails the same way.
  std::vector<Val> elements;
  elements.emplace_back(wasmtime::component::Map(std::vector<std::pair<Val, Val>>()));
  Result<Value> nested = values::from_wasmtime(Val(wasmtime::component::List(std::move(elements))));
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code(), ErrorCode::Unimplemented);

  ASSERT_TRUE(guest().store);
  wasmtime::component::ResourceHost host(true, 1, 0);
  auto resource = host.to_any(guest().store->context());
  ASSERT_TRUE(resource) << resource.err().message();
  Result<Value> held = values::from_wasmtime(Val(resource.ok()));
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code(), ErrorCode::Unimplemented);
  EXPECT_TRUE(Contains(held.error().message(), "resource"));
}

// A component with a function taking an owned resource, for its parameter type.
constexpr std::string_view kResourceComponent = R"(
  (component
    (type $r-def (resource (rep i32)))
    (export $r "r" (type $r-def))
    (core module $m (func (export "sink") (param i32)))
    (core instance $i (instantiate $m))
    (func (export "take-r") (param "x" (own $r)) (canon lift (core func $i "sink")))
  )
)";

TEST(ValueConversion, TypesAValueCannotStandForAreUnimplemented) {
  wasmtime::Engine engine;
  auto component = Component::compile(engine, kResourceComponent);
  ASSERT_TRUE(component) << component.err().message();
  wasmtime::Store store(engine);
  Linker linker(engine);
  auto instantiated = linker.instantiate(store.context(), component.ok());
  ASSERT_TRUE(instantiated) << instantiated.err().message();
  Instance instance = instantiated.ok();
  auto index = instance.get_export_index(store.context(), nullptr, "take-r");
  ASSERT_TRUE(index);
  auto func = instance.get_func(store.context(), *index);
  ASSERT_TRUE(func);
  auto param = func->type(store.context()).param_nth(0);
  ASSERT_TRUE(param);

  for (const Value& value : {Value::u32(1), Value::record({})}) {
    Result<Val> converted = values::to_wasmtime(value, param->second);
    ASSERT_FALSE(converted);
    EXPECT_EQ(converted.error().code(), ErrorCode::Unimplemented);
    EXPECT_EQ(converted.error().message(),
              "an orivon::Value cannot stand for an owned resource; only plain data types are "
              "supported");
  }
}

// ---------------------------------------------------------------------------------------
// to_wave()

// The WAVE text of `value` both ways: to_wave(), and format_wave() of the checked Wasmtime
// value for parameter `position` of `name`. EXPECTs that they agree.
std::string wave_both_ways(std::string_view name, const Value& value, size_t position = 0) {
  std::optional<ValType> type = param_type(name, position);
  if (!type) return "no parameter " + std::to_string(position) + " of " + std::string(name);
  Result<Val> converted = values::to_wasmtime(value, *type);
  if (!converted) return "error: " + converted.error().message();
  const std::string text = to_wave(value);
  EXPECT_EQ(text, values::format_wave(*converted));
  return text;
}

TEST(ValueWave, AgreesWithFormatWave) {
  EXPECT_EQ(wave_both_ways("greet", Value::string("tab\t\"q\" 'a' \\ é\x01")),
            R"("tab\t\"q\" \'a\' \\ é\u{1}")");
  EXPECT_EQ(wave_both_ways("translate", point(-1, 2)), "{x: -1, y: 2}");
  EXPECT_EQ(wave_both_ways("sum", Value::list({Value::s32(1), Value::s32(2)})), "[1, 2]");
  EXPECT_EQ(wave_both_ways("sum", Value::list({})), "[]");
  EXPECT_EQ(wave_both_ways("swap", Value::tuple({Value::character(U'\''), Value::u64(9)})),
            R"(('\'', 9))");
  EXPECT_EQ(wave_both_ways("next-color", Value::enumeration("green")), "green");
  EXPECT_EQ(wave_both_ways("echo-shape", Value::variant("circle", Value::f64(0.1))),
            "circle(0.1)");
  EXPECT_EQ(wave_both_ways("echo-shape", Value::variant("empty")), "empty");
  EXPECT_EQ(wave_both_ways("echo-permissions", Value::flags({"read", "exec"})),
            "{read, exec}");
  EXPECT_EQ(wave_both_ways("echo-permissions", Value::flags({})), "{}");
  EXPECT_EQ(wave_both_ways("echo-scalars", scalars()),
            "{a-bool: true, an-s8: -128, a-u8: 255, an-s16: -32768, a-u16: 65535, "
            "an-s32: -2147483648, a-u32: 4294967295, an-s64: -9223372036854775808, "
            "a-u64: 18446744073709551615, an-f32: 0.1, an-f64: -2.5e-300, a-char: '🦀', "
            "a-string: \"text\"}");
  EXPECT_EQ(wave_both_ways("echo-bundle", bundle()),
            "{shapes: [circle(1.5), rectangle({x: 3, y: -4}), empty], colors: [blue, red], "
            "maybe: some(none), checked: ok({x: 1, y: 2}), bare: err, "
            "tags: [(\"admin\", {read, write, exec}), (\"guest\", {})]}");
}

TEST(ValueWave, LeavesOutNoneFieldsAndEscapesKeywords) {
  // The record's order as given; `none` fields left out, as format_wave does.
  const Value record = Value::record({{"a", Value::none()}, {"b", Value::some(Value::u8(1))}});
  EXPECT_EQ(to_wave(record), "{b: some(1)}");
  EXPECT_EQ(to_wave(Value::record({{"a", Value::none()}})), "{:}");
  EXPECT_EQ(to_wave(Value::enumeration("none")), "%none");
  EXPECT_EQ(to_wave(Value::variant("ok", Value::u8(1))), "%ok(1)");
  EXPECT_EQ(to_wave(Value::ok(Value::u8(1))), "ok(1)");
  EXPECT_EQ(to_wave(Value::err()), "err");
  // A Value does not know its flags type, so flags print in the order they were given;
  // values that come from Wasmtime hold them in the type's order.
  EXPECT_EQ(to_wave(Value::flags({"exec", "read"})), "{exec, read}");
}

TEST(ValueWave, AgreesWithFormatWaveOnFloatsAndOddValues) {
  struct Case {
    Value value;
    Val val;
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Case> cases;
  cases.push_back({Value::f64(std::nan("")), Val(std::nan(""))});
  cases.push_back({Value::f64(-inf), Val(-inf)});
  cases.push_back({Value::f64(-0.0), Val(-0.0)});
  cases.push_back({Value::f32(3.4028235e38f), Val(3.4028235e38f)});
  cases.push_back({Value::f64(6.022e23), Val(6.022e23)});
  cases.push_back({Value::u64(std::numeric_limits<uint64_t>::max()),
                   Val(std::numeric_limits<uint64_t>::max())});
  cases.push_back({Value::s8(-1), Val(int8_t{-1})});
  cases.push_back({Value::boolean(false), Val(false)});
  // Neither is valid for a call, but both print.
  cases.push_back({Value::character(0xD800), Val::char_(0xD800)});
  cases.push_back({Value::string("bad \xFF byte"), Val::string("bad \xFF byte")});
  cases.push_back({Value::character(U'\n'), Val::char_('\n')});
  cases.push_back({Value::character(0x7F), Val::char_(0x7F)});
  for (const Case& c : cases) {
    EXPECT_EQ(to_wave(c.value), values::format_wave(c.val));
    Result<Value> back = values::from_wasmtime(c.val);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, c.value);
  }
  EXPECT_EQ(to_wave(Value::f64(std::nan(""))), "nan");
  EXPECT_EQ(to_wave(Value::f64(-0.0)), "-0");
  EXPECT_EQ(to_wave(Value::character(0xD800)), R"('\u{d800}')");
}

}  // namespace
}  // namespace orivon
