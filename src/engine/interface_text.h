#pragma once

// Describes what a compiled program imports and exports: as structured
// items (program_interface(), what the registry builds its export tables
// from), and as one line per item for `orivon inspect` (describe_program(),
// made from the same items): WIT-style text for components, signatures for
// core modules.
//
// Core module lines:
//   import wasi_snapshot_preview1::fd_write: func(i32, i32, i32, i32) -> i32
//   export add: func(i32, i32) -> i32
//   export memory: memory(min 2 pages)      (max shown when set)
//   export __stack_pointer: global(mut i32)
//   export table: table(funcref, min 1)
//   export pair: func(f64, v128) -> (i32, f64)   (several results in parentheses)
//   export refs: func(funcref, externref, anyref, (ref func), (ref null $func))
//   export oops: tag(i32, i64)
//   export wide: memory(i64, min 1 pages, page size 1, shared)   (when not the defaults)
// Core imports are named `module::name`.
//
// Component lines (one per item, nested instances flattened with '#', at any
// depth):
//   import wasi:cli/environment@0.2.0#get-environment: func() -> list<tuple<string, string>>
//   export greet: func(name: string) -> string
//   export translate: func(p: record { x: s32, y: s32 }, dx: s32) -> record { x: s32, y: s32 }
//   import wasi:io/streams@0.2.0#[method]output-stream.write: func(self: borrow<resource>, ...)
//   import wasi:io/error@0.2.0#error: resource
//   import wasi:filesystem/types@0.2.0#filesize: type u64
// Functions are `func(name: type, ...) -> type`, or `func(...)` without a
// result (`async func` for async ones). Non-function items are listed too, so
// that named types and resources show up with their names: `resource`,
// `type <structure>` (a named type an interface exports), `module`,
// `component`, `core func(...)`, and `instance` for an instance with no exports.
// Types are spelled as in WIT: bool, s8..u64, f32, f64, char, string,
// list<T>, tuple<A, B>, record { a: T }, variant { a(T), b }, enum { a, b },
// option<T>, result<T, E> / result<_, E> / result<T> / result, flags { a, b },
// own<resource>, borrow<resource>, map<K, V>, future<T> / future,
// stream<T> / stream, error-context. Named types appear structurally inside
// signatures, and resources as `resource`, since the runtime's type
// information has no names for them.
//
// Both lists of lines are sorted bytewise. Fails (Internal) only when
// `program` holds nothing of its kind or the type information is
// inconsistent.

#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>

#include "engine/program_data.h"
#include "orivon/result.h"

namespace orivon::engine {

// What an imported or exported item is.
enum class ItemKind {
  Function,      // a core module's function, or a component's (`func` or `async func`)
  Global,        // core modules: global, table, memory, tag
  Table,
  Memory,
  Tag,
  Instance,      // a component instance with no exports (others are flattened)
  Resource,      // components: resource, named type, core function, module, component
  Type,
  CoreFunction,
  Module,
  Component,
  Unknown,
};

// One imported or exported item.
struct InterfaceItem {
  // As `inspect` shows it and grants name it: "add", "greet", "iface#f"
  // (nested instances joined with '#'), or a core import's "module::name".
  std::string name;
  // What the item belongs to: the component instance it sits in ("iface",
  // "a#b") or the module a core import names ("env"); empty for a
  // component's top-level items and a core module's exports.
  std::string interface;
  ItemKind kind = ItemKind::Unknown;
  // The text after "NAME: " in the item's line: "func(i32) -> i32",
  // "func(name: string) -> string", "resource", "type u64", ...
  std::string signature;
};

struct ProgramInterface {
  std::vector<InterfaceItem> imports;  // sorted by name, then signature
  std::vector<InterfaceItem> exports;  // sorted by name, then signature
};

Result<ProgramInterface> program_interface(wasmtime::Engine& engine,
                                           const internal::ProgramData& program);

// The item's line: "<direction> NAME: SIGNATURE", `direction` being
// "import" or "export".
std::string item_line(std::string_view direction, const InterfaceItem& item);

struct InterfaceDescription {
  std::vector<std::string> imports;  // sorted
  std::vector<std::string> exports;  // sorted
};

// The lines of `interface` (what `orivon inspect` prints).
InterfaceDescription describe_interface(const ProgramInterface& interface);

// program_interface() then describe_interface().
Result<InterfaceDescription> describe_program(wasmtime::Engine& engine,
                                              const internal::ProgramData& program);

}  // namespace orivon::engine
