#pragma once

/// \file
/// Conversions between the public orivon::Value and Wasmtime's component values. Going to
/// Wasmtime is checked against the type the value must have (a call's parameter type), so a
/// wrong value fails here with a message that names the place and what was expected, rather
/// than deep inside Wasmtime.

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/result.h"
#include "orivon/value.h"

namespace orivon::values {

/// Converts `value` to a Wasmtime value of type `expected`. Kinds must match exactly; record
/// fields are matched by name (any order; `option` fields may be left out and are then
/// `none`); variant, enum and flag names must be the type's; payloads must be present exactly
/// when the case has a payload type; chars must be Unicode scalar values and strings UTF-8.
/// Fails with ErrorCode::InvalidArgument and a message such as "expected a u8, found a u32
/// (300) at .points[2].x" (the path is left out for the value itself), or with
/// ErrorCode::Unimplemented when `expected` is a type a Value cannot hold (resources, maps,
/// futures, streams, error-contexts).
Result<wasmtime::component::Val> to_wasmtime(const Value& value,
                                             const wasmtime::component::ValType& expected);

/// Converts a Wasmtime value (a call's result) to a Value. Fails with
/// ErrorCode::Unimplemented for values a Value cannot hold (resources, maps), and with
/// ErrorCode::InvalidArgument for a value nested deeper than Wasmtime's types allow (only a
/// hand-built Val can be).
Result<Value> from_wasmtime(const wasmtime::component::Val& value);

/// The Wasmtime value `value` stands for, built without a type to check it against: what
/// to_wave() formats. Not for calls; use to_wasmtime() there.
wasmtime::component::Val to_wasmtime_unchecked(const Value& value);

}  // namespace orivon::values
