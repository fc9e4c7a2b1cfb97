#pragma once

// Typed calls: the fast path for calls between modules whose functions carry
// strings, byte lists, lists of other fixed-size numbers or numbers alone (see
// deps/wasmtime/lib.rs, "Typed forwarders").
//
// The C functions below are implemented in Rust in deps/wasmtime/lib.rs and
// linked into the same static library as Wasmtime's C API. A *shape* is the
// kind of a function's one parameter (or none) and of its result (or none);
// for shapes the Rust side knows, a caller's import is defined with a typed
// forwarder (orivon_component_linker_instance_add_forwarder) and a callee's
// export called with one typed call (orivon_component_func_call_typed): each
// string or list<u8> crosses in one bulk copy instead of one generic value
// per byte. Every other function keeps the generic path.
//
// In C++ a list of numbers other than u8 is a List of scalar Values (the
// public Value has no packed form for them): it is packed or unpacked in one
// pass where it meets a typed half.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/result.h"
#include "orivon/value.h"

extern "C" {

// One value crossing between C++ and a typed half; same layout as
// orivon_fast_val_t in lib.rs. `kind` is an orivon::engine::FastKind;
// for the result kinds, `is_err` says that `data` holds the error string,
// for the option kinds that the value is none. A scalar (or the scalar ok of
// a result) travels in `len`.
// `data` is borrowed for the duration of the call it is passed in.
struct orivon_fast_val_t {
  uint8_t kind;
  bool is_err;
  const uint8_t* data;
  size_t len;
};
static_assert(sizeof(orivon_fast_val_t) == 24, "must match the size asserted in lib.rs");

// Opaque: where a forwarder's callback writes the call's outcome.
struct orivon_fast_out_t;

// Whether lib.rs has typed halves for the shape (param, result).
bool orivon_fast_shape_supported(uint8_t param, uint8_t result);

// Copies one result into `out` (false: a string that is not UTF-8).
bool orivon_fast_out_push(orivon_fast_out_t* out, const orivon_fast_val_t* value);
// The call fails: the caller traps with `message`.
void orivon_fast_out_fail(orivon_fast_out_t* out, const uint8_t* message, size_t length);

// A forwarder's C++ half. `args` borrow the caller's memory: copy them before
// using `context`. Must not throw.
typedef void (*orivon_fast_forward_t)(void* data, wasmtime_context_t* context,
                                      const orivon_fast_val_t* args, size_t nargs,
                                      orivon_fast_out_t* out);

// Defines `name` in `instance` as a typed forwarder of shape (param, result)
// calling `forward(data, ...)`; an argument longer than `max_bytes` fails the
// call before `forward` runs. `finalizer` (may be null) gets `data` when the
// linker is deleted. Returns an error or null.
wasmtime_error_t* orivon_component_linker_instance_add_forwarder(
    wasmtime_component_linker_instance_t* instance, const char* name, size_t name_length,
    uint8_t param, uint8_t result, size_t max_bytes, orivon_fast_forward_t forward, void* data,
    void (*finalizer)(void*));

// Receives a typed call's results, borrowed for the duration of the call.
typedef void (*orivon_fast_sink_t)(void* data, const orivon_fast_val_t* results, size_t count);

// Calls `func` (of shape (param, result)) with `args` in `context`'s store
// and hands its results to `sink`. Returns an error (a trap, a mismatch) or
// null. Post-return has run when it returns.
wasmtime_error_t* orivon_component_func_call_typed(const wasmtime_component_func_t* func,
                                                   wasmtime_context_t* context, uint8_t param,
                                                   uint8_t result, const orivon_fast_val_t* args,
                                                   size_t nargs, orivon_fast_sink_t sink,
                                                   void* sink_data);

// How many bytes a guest may pass to the host in one call (Wasmtime's
// hostcall fuel; 128 MiB by default).
void orivon_context_set_hostcall_fuel(wasmtime_context_t* context, size_t fuel);

}  // extern "C"

namespace orivon::engine {

// The kinds of a shape; the values are lib.rs's codes.
enum class FastKind : std::uint8_t {
  None = 0,
  Bytes = 1,          // list<u8>
  String = 2,         // string
  ResultBytes = 3,    // result<list<u8>, string>
  ResultString = 4,   // result<string, string>
  U32 = 5,            // scalars, beside a string or list: (u32) -> list<u8>
  U64 = 6,
  S32 = 7,
  S64 = 8,
  ListU32 = 9,  // lists of fixed-size numbers, as their little-endian bytes
  ListU64 = 10,
  ListS32 = 11,
  ListS64 = 12,
  ListF32 = 13,
  ListF64 = 14,
  OptionBytes = 15,   // option<list<u8>>
  OptionString = 16,  // option<string>
  ResultUnit = 17,    // result<_, string>, result<u32, string>, result<u64, string>:
  ResultU32 = 18,     // beside a string or list parameter only
  ResultU64 = 19,
  PairU32 = 20,  // two parameters of one number kind, (a: u32, b: u32)...:
  PairU64 = 21,  // beside a result of none or a number only
  PairS32 = 22,
  PairS64 = 23,
};

// Whether `kind` is a result<_, string> (whose err a failed call can become).
constexpr bool is_result(FastKind kind) {
  return kind == FastKind::ResultBytes || kind == FastKind::ResultString ||
         kind == FastKind::ResultUnit || kind == FastKind::ResultU32 ||
         kind == FastKind::ResultU64;
}
constexpr bool is_option(FastKind kind) {
  return kind == FastKind::OptionBytes || kind == FastKind::OptionString;
}

// Whether `kind` is a list of numbers other than u8.
constexpr bool is_number_list(FastKind kind) {
  return kind >= FastKind::ListU32 && kind <= FastKind::ListF64;
}
// The size of one element of a number list kind.
constexpr std::size_t element_size(FastKind kind) {
  return kind == FastKind::ListU32 || kind == FastKind::ListS32 || kind == FastKind::ListF32 ? 4
                                                                                             : 8;
}

constexpr bool is_scalar(FastKind kind) {
  return kind == FastKind::U32 || kind == FastKind::U64 || kind == FastKind::S32 ||
         kind == FastKind::S64;
}
constexpr bool is_pair(FastKind kind) {
  return kind >= FastKind::PairU32 && kind <= FastKind::PairS64;
}
// The number kind of each of a pair's two values.
constexpr FastKind pair_element(FastKind kind) {
  return kind == FastKind::PairU32   ? FastKind::U32
         : kind == FastKind::PairU64 ? FastKind::U64
         : kind == FastKind::PairS32 ? FastKind::S32
                                     : FastKind::S64;
}

// A scalar Value of `kind` from its bits, and a Value's bits for `kind`:
// the same kind, or (from a core module, which has only s32 and s64) an
// integer of the same width.
Value scalar_value(FastKind kind, std::uint64_t bits);
std::optional<std::uint64_t> scalar_bits(FastKind kind, const Value& value, bool exact);

// Packs `value`, a List of exactly the scalar kind a number list kind holds,
// into `packed` (little-endian, aligned for any element). False: another
// value (nothing packed).
bool pack_numbers(FastKind kind, const Value& value, std::vector<std::uint64_t>& packed);
// The List Value of the `bytes` little-endian numbers of list kind `kind`.
Value unpack_numbers(FastKind kind, const std::uint8_t* bytes, std::size_t length);

struct FastShape {
  FastKind param = FastKind::None;
  FastKind result = FastKind::None;
};

// The shape of a function type, when the typed halves handle it: at most
// one parameter and a string or list among the parameter and result, or
// numbers alone (none, one or two of one kind; none or one as the result).
std::optional<FastShape> fast_shape(const wasmtime::component::FuncType& type);

// Calls `func` of `shape` with `args` (Bytes, a List of U8, a String, a
// List of numbers or a scalar of exactly the parameter's kind, as the shape
// says) and replaces `results` with its result as Values (list<u8> as
// Bytes). An argument of another kind, or a string that is not UTF-8:
// nothing is called and the returned optional is empty (use the generic
// path, which reports it). Otherwise the call's own outcome: an error from
// Wasmtime (trap, deadline...) as a wasmtime::Error.
//
// `strings` says whether string arguments still need their UTF-8 checked
// here (a client's values) or were checked when they left a guest (another
// module's call: Wasmtime checks every string it lifts).
enum class StringCheck { Check, AlreadyChecked };
std::optional<wasmtime::Result<std::monostate>> call_typed(
    wasmtime::Store::Context context, const wasmtime::component::Func& func, FastShape shape,
    std::span<const Value> args, std::vector<Value>& results,
    StringCheck strings = StringCheck::Check);

// A result of kind `kind` as a Value (Bytes, String, a List of numbers, a
// scalar, some(...), none, ok(...) or err(string)).
Value fast_value(FastKind kind, const orivon_fast_val_t& value);

}  // namespace orivon::engine
