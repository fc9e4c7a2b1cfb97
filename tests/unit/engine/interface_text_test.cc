#include "engine/interface_text.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/process.h"

namespace orivon::engine {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

wasmtime::Engine make_engine() {
  wasmtime::Config config;
  config.wasm_component_model(true);
  return wasmtime::Engine(std::move(config));
}

// Compiles WebAssembly text (or binary) as a core module; fails the test on error.
std::optional<internal::ProgramData> core_program(wasmtime::Engine& engine, std::string_view wat) {
  auto module = wasmtime::Module::compile(engine, wat);
  if (!module) {
    ADD_FAILURE() << "compiling module: " << module.err().message();
    return std::nullopt;
  }
  internal::ProgramData program;
  program.kind = ProgramKind::CoreModule;
  program.name = "test";
  program.module = module.ok();
  return program;
}

// Compiles a component; on error returns nullopt and stores the message.
std::optional<internal::ProgramData> try_component_program(wasmtime::Engine& engine,
                                                           std::string_view wat,
                                                           std::string* message = nullptr) {
  auto component = wasmtime::component::Component::compile(engine, wat);
  if (!component) {
    if (message) *message = component.err().message();
    return std::nullopt;
  }
  internal::ProgramData program;
  program.kind = ProgramKind::Component;
  program.name = "test";
  program.component = component.ok();
  return program;
}

std::optional<internal::ProgramData> component_program(wasmtime::Engine& engine,
                                                       std::string_view wat) {
  std::string message;
  auto program = try_component_program(engine, wat, &message);
  if (!program) ADD_FAILURE() << "compiling component: " << message;
  return program;
}

InterfaceDescription describe(wasmtime::Engine& engine, const internal::ProgramData& program) {
  auto description = describe_program(engine, program);
  if (!description) {
    ADD_FAILURE() << "describe_program: " << description.error().message();
    return {};
  }
  return std::move(description).value();
}

// ---------------------------------------------------------------------------
// Core modules
// ---------------------------------------------------------------------------

TEST(DescribeCoreModule, RendersEveryExternKind) {
  auto engine = make_engine();
  auto program = core_program(engine, R"(
    (module
      (import "env" "log" (func (param i32 i64) (result f32)))
      (import "env" "mem" (memory 1 4))
      (import "env" "g" (global (mut i64)))
      (import "env" "tbl" (table 2 externref))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (func (export "pair") (param f64 v128) (result i32 f64) i32.const 0 f64.const 0)
      (func (export "nothing"))
      (global (export "counter") (mut i32) (i32.const 0))
      (global (export "pi") f64 (f64.const 3.14))
      (table (export "funcs") 1 funcref)
      (table (export "bounded") 1 10 funcref)
      (memory (export "memory") 2)
      (memory (export "big") 1 100))
  )");
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports,
              ElementsAre("import env::g: global(mut i64)",
                          "import env::log: func(i32, i64) -> f32",
                          "import env::mem: memory(min 1 pages, max 4 pages)",
                          "import env::tbl: table(externref, min 2)",
                          "import wasi_snapshot_preview1::fd_write: func(i32, i32, i32, i32) -> i32"));
  EXPECT_THAT(description.exports,
              ElementsAre("export add: func(i32, i32) -> i32",
                          "export big: memory(min 1 pages, max 100 pages)",
                          "export bounded: table(funcref, min 1, max 10)",
                          "export counter: global(mut i32)",
                          "export funcs: table(funcref, min 1)",
                          "export memory: memory(min 2 pages)",
                          "export nothing: func()",
                          "export pair: func(f64, v128) -> (i32, f64)",
                          "export pi: global(f64)"));
}

TEST(DescribeCoreModule, EmptyModuleHasNoLines) {
  auto engine = make_engine();
  auto program = core_program(engine, "(module)");
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports, IsEmpty());
  EXPECT_THAT(description.exports, IsEmpty());
}

TEST(DescribeCoreModule, RendersGcReferenceTypesTagsAndMemory64) {
  wasmtime::Config config;
  config.wasm_gc(true);
  config.wasm_function_references(true);
  config.wasm_exceptions(true);
  config.wasm_memory64(true);
  config.wasm_custom_page_sizes(true);
  wasmtime::Engine engine(std::move(config));
  auto program = core_program(engine, R"(
    (module
      (type $t (func (param i32)))
      (import "env" "any" (global anyref))
      (import "env" "exn" (global (mut exnref)))
      (func (export "refs")
        (param (ref func) (ref null $t) (ref extern) i31ref eqref structref arrayref)
        (param nullref nullfuncref nullexternref nullexnref))
      (tag (export "oops") (param i32 i64))
      (memory (export "wide") i64 1 2)
      (memory (export "tiny") 1 (pagesize 1)))
  )");
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports,
              ElementsAre("import env::any: global(anyref)", "import env::exn: global(mut exnref)"));
  EXPECT_THAT(description.exports,
              ElementsAre("export oops: tag(i32, i64)",
                          "export refs: func((ref func), (ref null $func), (ref extern), i31ref, "
                          "eqref, structref, arrayref, nullref, nullfuncref, nullexternref, "
                          "nullexnref)",
                          "export tiny: memory(min 1 pages, page size 1)",
                          "export wide: memory(i64, min 1 pages, max 2 pages)"));
}

// ---------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------

// Imports cover every WIT type kind through an instance type (imports need no
// core code); exports are lifted from a tiny core module, one of them inside an
// exported interface.
constexpr std::string_view kTypedComponent = R"(
(component
  (import "test:demo/types" (instance
    (type $point' (record (field "x" s32) (field "y" s32)))
    (export "point" (type $point (eq $point')))
    (type $shape' (variant (case "circle" f64) (case "none")))
    (export "shape" (type $shape (eq $shape')))
    (type $color' (enum "red" "green" "blue"))
    (export "color" (type $color (eq $color')))
    (type $perms' (flags "read" "write"))
    (export "perms" (type $perms (eq $perms')))
    (export "handle" (type $handle (sub resource)))
    (export "numbers" (func
      (param "a" bool) (param "b" s8) (param "c" s16) (param "d" s32) (param "e" s64)
      (param "f" u8) (param "g" u16) (param "h" u32) (param "i" u64)
      (param "j" f32) (param "k" f64) (param "l" char) (param "m" string)))
    (export "shapes" (func
      (param "p" $point) (param "s" $shape) (param "c" $color) (param "f" $perms)
      (result (tuple $point (list $color)))))
    (export "results" (func
      (param "a" (result u8 (error string))) (param "b" (result (error string)))
      (param "c" (result u8)) (param "d" (result))
      (result (option (list (tuple string string))))))
    (export "[constructor]handle" (func (result (own $handle))))
    (export "[method]handle.poke" (func (param "self" (borrow $handle)) (param "n" u32)))
  ))
  (import "log" (func (param "msg" string)))
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
    (func (export "greet") (param i32 i32) (result i32) i32.const 0)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "touch")))
  (core instance $i (instantiate $m))
  (func $greet (param "name" string) (result string)
    (canon lift (core func $i "greet") (memory (core memory $i "memory"))
      (realloc (core func $i "realloc"))))
  (export "greet" (func $greet))
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func $touch (canon lift (core func $i "touch")))
  (instance $api (export "add" (func $add)) (export "touch" (func $touch)))
  (export "test:demo/api" (instance $api))
)
)";

TEST(DescribeComponent, RendersEveryWitTypeKind) {
  auto engine = make_engine();
  auto program = component_program(engine, kTypedComponent);
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_THAT(
      description.imports,
      ElementsAre(
          "import log: func(msg: string)",
          "import test:demo/types#[constructor]handle: func() -> own<resource>",
          "import test:demo/types#[method]handle.poke: func(self: borrow<resource>, n: u32)",
          "import test:demo/types#color: type enum { red, green, blue }",
          "import test:demo/types#handle: resource",
          "import test:demo/types#numbers: func(a: bool, b: s8, c: s16, d: s32, e: s64, f: u8, "
          "g: u16, h: u32, i: u64, j: f32, k: f64, l: char, m: string)",
          "import test:demo/types#perms: type flags { read, write }",
          "import test:demo/types#point: type record { x: s32, y: s32 }",
          "import test:demo/types#results: func(a: result<u8, string>, b: result<_, string>, "
          "c: result<u8>, d: result) -> option<list<tuple<string, string>>>",
          "import test:demo/types#shape: type variant { circle(f64), none }",
          "import test:demo/types#shapes: func(p: record { x: s32, y: s32 }, "
          "s: variant { circle(f64), none }, c: enum { red, green, blue }, "
          "f: flags { read, write }) -> tuple<record { x: s32, y: s32 }, "
          "list<enum { red, green, blue }>>"));
  EXPECT_THAT(description.exports,
              ElementsAre("export greet: func(name: string) -> string",
                          "export test:demo/api#add: func(a: u32, b: u32) -> u32",
                          "export test:demo/api#touch: func()"));
}

TEST(DescribeComponent, EmptyComponentHasNoLines) {
  auto engine = make_engine();
  auto program = component_program(engine, "(component)");
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports, IsEmpty());
  EXPECT_THAT(description.exports, IsEmpty());
}

TEST(DescribeComponent, ListsNonFunctionItems) {
  auto engine = make_engine();
  auto program = component_program(engine, R"(
    (component
      (import "empty" (instance))
      (import "plugin" (core module
        (import "env" "f" (func (param i32)))
        (export "memory" (memory 1))))
      (import "outer" (instance
        (export "inner" (instance (export "f" (func (param "x" u8)))))
        (export "child" (component))))
      (core module $inner)
      (export "inner" (core module $inner)))
  )");
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports,
              ElementsAre("import empty: instance", "import outer#child: component",
                          "import outer#inner#f: func(x: u8)", "import plugin: module"));
  EXPECT_THAT(description.exports, ElementsAre("export inner: module"));
}

// ---------------------------------------------------------------------------
// Structured items (what the export table is built from)
// ---------------------------------------------------------------------------

ProgramInterface items_of(wasmtime::Engine& engine, const internal::ProgramData& program) {
  auto interface = program_interface(engine, program);
  if (!interface) {
    ADD_FAILURE() << "program_interface: " << interface.error().message();
    return {};
  }
  return std::move(interface).value();
}

// Compares the fields; gtest cannot print the struct on its own.
std::string show(const InterfaceItem& item) {
  return item.name + " | " + item.interface + " | " +
         std::to_string(static_cast<int>(item.kind)) + " | " + item.signature;
}

std::vector<std::string> show(const std::vector<InterfaceItem>& items) {
  std::vector<std::string> shown;
  for (const auto& item : items) shown.push_back(show(item));
  return shown;
}

std::string shown(std::string name, std::string interface, ItemKind kind, std::string signature) {
  return show(InterfaceItem{std::move(name), std::move(interface), kind, std::move(signature)});
}

TEST(ProgramInterface, CoreItemsHaveTheirKindAndImportsTheirModule) {
  auto engine = make_engine();
  auto program = core_program(engine, R"(
    (module
      (import "env" "log" (func (param i32)))
      (import "env" "mem" (memory 1))
      (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (global (export "counter") (mut i32) (i32.const 0))
      (table (export "funcs") 1 funcref)
      (memory (export "memory") 2))
  )");
  ASSERT_TRUE(program);
  const auto interface = items_of(engine, *program);
  EXPECT_THAT(show(interface.imports),
              ElementsAre(shown("env::log", "env", ItemKind::Function, "func(i32)"),
                          shown("env::mem", "env", ItemKind::Memory, "memory(min 1 pages)")));
  EXPECT_THAT(show(interface.exports),
              ElementsAre(shown("add", "", ItemKind::Function, "func(i32, i32) -> i32"),
                          shown("counter", "", ItemKind::Global, "global(mut i32)"),
                          shown("funcs", "", ItemKind::Table, "table(funcref, min 1)"),
                          shown("memory", "", ItemKind::Memory, "memory(min 2 pages)")));
}

TEST(ProgramInterface, ComponentItemsNameTheInstanceTheySitIn) {
  auto engine = make_engine();
  auto program = component_program(engine, R"(
    (component
      (import "empty" (instance))
      (import "outer" (instance
        (export "inner" (instance (export "f" (func (param "x" u8)))))
        (export "handle" (type (sub resource)))))
      (core module $inner)
      (export "inner" (core module $inner)))
  )");
  ASSERT_TRUE(program);
  const auto interface = items_of(engine, *program);
  EXPECT_THAT(show(interface.imports),
              ElementsAre(shown("empty", "", ItemKind::Instance, "instance"),
                          shown("outer#handle", "outer", ItemKind::Resource, "resource"),
                          shown("outer#inner#f", "outer#inner", ItemKind::Function,
                                "func(x: u8)")));
  EXPECT_THAT(show(interface.exports),
              ElementsAre(shown("inner", "", ItemKind::Module, "module")));

  auto typed = component_program(engine, kTypedComponent);
  ASSERT_TRUE(typed);
  EXPECT_THAT(show(items_of(engine, *typed).exports),
              ElementsAre(shown("greet", "", ItemKind::Function, "func(name: string) -> string"),
                          shown("test:demo/api#add", "test:demo/api", ItemKind::Function,
                                "func(a: u32, b: u32) -> u32"),
                          shown("test:demo/api#touch", "test:demo/api", ItemKind::Function,
                                "func()")));
}

// `inspect`'s lines are the items' lines: one source for both.
TEST(ProgramInterface, TheDescriptionIsMadeOfTheItems) {
  auto engine = make_engine();
  auto program = component_program(engine, kTypedComponent);
  ASSERT_TRUE(program);
  const auto interface = items_of(engine, *program);
  const auto description = describe(engine, *program);
  std::vector<std::string> imports;
  for (const auto& item : interface.imports) imports.push_back(item_line("import", item));
  std::sort(imports.begin(), imports.end());
  EXPECT_EQ(description.imports, imports);
  ASSERT_EQ(description.exports.size(), interface.exports.size());
  EXPECT_EQ(description.exports[0], item_line("export", interface.exports[0]));
  EXPECT_EQ(item_line("export", InterfaceItem{"a#f", "a", ItemKind::Function, "func()"}),
            "export a#f: func()");
}

TEST(DescribeComponent, RendersMapWhenEnabled) {
  wasmtime::Config config;
  config.wasm_component_model(true);
  config.wasm_component_model_map(true);
  wasmtime::Engine engine(std::move(config));
  std::string message;
  auto program = try_component_program(engine, R"(
    (component
      (import "lookup" (func (param "table" (map string u32)) (result (map u8 (list string))))))
  )",
                                       &message);
  if (!program) GTEST_SKIP() << "map types are not supported here: " << message;
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports,
              ElementsAre("import lookup: func(table: map<string, u32>) -> map<u8, list<string>>"));
}

// The Wasmtime build orivon uses leaves component-model async out, so this
// only runs against a Wasmtime built with it.
TEST(DescribeComponent, RendersAsyncTypesWhenSupported) {
  wasmtime::Config config;
  config.wasm_component_model(true);
#ifdef WASMTIME_FEATURE_COMPONENT_MODEL_ASYNC
  wasmtime_config_wasm_component_model_async_set(config.capi(), true);
#endif
  wasmtime::Engine engine(std::move(config));
  std::string message;
  auto program = try_component_program(engine, R"(
    (component
      (import "pipe" (func (param "input" (stream u8)) (param "done" (future))
        (result (future (result string (error error-context)))))))
  )",
                                       &message);
  if (!program) GTEST_SKIP() << "component-model async is not built in: " << message;
  const auto description = describe(engine, *program);
  EXPECT_THAT(description.imports,
              ElementsAre("import pipe: func(input: stream<u8>, done: future) -> "
                          "future<result<string, error-context>>"));
}

TEST(DescribeProgram, ReportsMissingPayloadAsInternalError) {
  auto engine = make_engine();
  internal::ProgramData module_kind;
  module_kind.kind = ProgramKind::CoreModule;
  auto described = describe_program(engine, module_kind);
  ASSERT_FALSE(described);
  EXPECT_EQ(described.error().code(), ErrorCode::Internal);

  internal::ProgramData component_kind;
  component_kind.kind = ProgramKind::Component;
  described = describe_program(engine, component_kind);
  ASSERT_FALSE(described);
  EXPECT_EQ(described.error().code(), ErrorCode::Internal);
}

// ---------------------------------------------------------------------------
// The guests the build made, when present
// ---------------------------------------------------------------------------

// `name` as in tests/guests, e.g. "typed"; nullopt when the build made no such guest.
std::optional<std::vector<std::uint8_t>> read_guest(const std::string& name) {
  std::ifstream in(orivon::testing::guest_path(name, "component"), std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::optional<internal::ProgramData> guest_component(wasmtime::Engine& engine,
                                                     const std::vector<std::uint8_t>& bytes) {
  auto component = wasmtime::component::Component::compile(
      engine, wasmtime::Span<uint8_t>(const_cast<std::uint8_t*>(bytes.data()), bytes.size()));
  if (!component) {
    ADD_FAILURE() << "compiling guest: " << component.err().message();
    return std::nullopt;
  }
  internal::ProgramData program;
  program.kind = ProgramKind::Component;
  program.component = component.ok();
  return program;
}

bool is_sorted(const std::vector<std::string>& lines) {
  return std::is_sorted(lines.begin(), lines.end());
}

TEST(DescribeGuests, TypedComponent) {
  auto bytes = read_guest("typed");
  if (!bytes) GTEST_SKIP() << "typed.component.wasm was not built";
  auto engine = make_engine();
  auto program = guest_component(engine, *bytes);
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_TRUE(is_sorted(description.imports));
  EXPECT_TRUE(is_sorted(description.exports));
  EXPECT_THAT(description.exports, Contains("export greet: func(name: string) -> string"));
  EXPECT_THAT(description.exports,
              Contains("export translate: func(p: record { x: s32, y: s32 }, dx: s32, dy: s32) -> "
                       "record { x: s32, y: s32 }"));
  EXPECT_THAT(description.exports,
              Contains("export checked-div: func(a: s32, b: s32) -> result<s32, string>"));
  EXPECT_THAT(description.exports, Contains("export spin: func()"));
}

TEST(DescribeGuests, CliProbeComponent) {
  auto bytes = read_guest("cli_probe");
  if (!bytes) GTEST_SKIP() << "cli_probe.component.wasm was not built";
  auto engine = make_engine();
  auto program = guest_component(engine, *bytes);
  ASSERT_TRUE(program);
  const auto description = describe(engine, *program);
  EXPECT_TRUE(is_sorted(description.imports));
  EXPECT_TRUE(is_sorted(description.exports));
  const auto has = [](const std::vector<std::string>& lines, std::string_view prefix,
                      std::string_view suffix) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.starts_with(prefix) && line.ends_with(suffix);
    });
  };
  EXPECT_TRUE(has(description.exports, "export wasi:cli/run@", "#run: func() -> result"));
  EXPECT_TRUE(has(description.imports, "import wasi:cli/environment@",
                  "#get-environment: func() -> list<tuple<string, string>>"));
  EXPECT_TRUE(has(description.imports, "import wasi:io/streams@",
                  "#[method]output-stream.blocking-write-and-flush: func(self: borrow<resource>, "
                  "contents: list<u8>) -> result<_, variant { last-operation-failed(own<resource>), "
                  "closed }>"));
  EXPECT_TRUE(has(description.imports, "import wasi:io/error@", "#error: resource"));
}

}  // namespace
}  // namespace orivon::engine
