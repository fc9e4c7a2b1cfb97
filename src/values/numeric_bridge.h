#pragma once

// Numbers between core WebAssembly and component values, for calls that
// cross between a core module and a component: i32 <-> s32/u32 (and the
// narrower integers, bool, char), i64 <-> s64/u64, f32, f64. Anything else
// does not cross (Unimplemented).

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/result.h"
#include "orivon/value.h"

namespace orivon::values {

// The component value a core value stands for: i32 -> s32, i64 -> s64,
// f32 -> f32, f64 -> f64.
Result<wasmtime::component::Val> component_from_core(const wasmtime::Val& value);

// The public Value a core value stands for, as component_from_core.
Result<Value> value_from_core(const wasmtime::Val& value);
// A core value of `kind` from a numeric component value (bit pattern kept).
Result<wasmtime::Val> core_from_component(const wasmtime::component::Val& value,
                                          wasmtime::ValKind kind);

// `value` as the numeric type `type` when both are numbers of the same
// width class (s32 <-> u32, ...); otherwise `value` unchanged, for the
// callee's own type check to judge.
// Whether coerce_number would change `value` (a number of another kind).
bool needs_coercion(const wasmtime::component::Val& value,
                    const wasmtime::component::ValType& type);

wasmtime::component::Val coerce_number(const wasmtime::component::Val& value,
                                       const wasmtime::component::ValType& type);

}  // namespace orivon::values
