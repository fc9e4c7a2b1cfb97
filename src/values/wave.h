#pragma once

/// \file
/// WAVE (WebAssembly Value Encoding): the text form of component-model values used by
/// `wasmtime run --invoke` and the `wasm-wave` crate. Parsing is driven by the expected type;
/// formatting needs only the value.
///
/// Parsing follows the WAVE spec: `//` comments, trailing commas, `%`-prefixed labels, flat
/// `some`/`ok` payloads (`7` for `option<u8>`), omitted `none` record fields, multiline
/// strings. Bare keywords are also accepted as variant or enum cases when the type has such a
/// case, since the type makes them unambiguous. Input nesting is limited to 100 levels.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>
#include <wasmtime/component.hh>

#include "orivon/result.h"

namespace orivon::values {

/// Parses one WAVE value of type `type`; the whole of `text` (bar whitespace and comments)
/// must be that value. Fails with ErrorCode::InvalidArgument and a message that says what was
/// expected and where (byte offset), e.g. "expected a u8, found '300' at offset 4", or with
/// ErrorCode::Unimplemented for types WAVE cannot spell (resources, futures, streams, maps).
Result<wasmtime::component::Val> parse_wave_value(std::string_view text,
                                                  const wasmtime::component::ValType& type);

/// Parses a comma-separated WAVE argument list (the text between the parentheses of a call,
/// possibly empty, trailing comma allowed) against the parameter types, in order. Extra
/// arguments and missing ones are errors, except that trailing `option` parameters may be
/// omitted and then are `none`, as the WAVE function-call encoding allows.
Result<std::vector<wasmtime::component::Val>> parse_wave_arguments(
    std::string_view text, std::span<const wasmtime::component::ValType> types);

/// Formats a value as WAVE text: `{a: 1, b: "x"}`, `[1, 2]`, `(1, 2)`, `some(1)`, `none`,
/// `ok`, `err("e")`, `'a'`, `%none` for keyword-named cases. As in `wasm-wave`, record fields
/// holding `none` are left out (`{:}` when none remain). Values WAVE cannot spell print
/// readably (`resource`, maps as a list of key/value tuples). Never fails.
std::string format_wave(const wasmtime::component::Val& value);

/// The type as error messages name what they expected: "a u8", "a record", "an enum case
/// (red, green, blue)", "a variant case (empty, body(...))", "flags".
std::string describe_type(const wasmtime::component::ValType& type);

}  // namespace orivon::values
