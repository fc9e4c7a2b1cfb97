#pragma once

// Arguments and results of core WebAssembly functions as text: plain
// numbers, comma separated on input, space separated on output.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wasmtime.hh>

#include "orivon/result.h"

namespace orivon::values {

// Parses comma-separated numbers against the parameter kinds. i32 and i64
// accept the signed and the unsigned range (as bit patterns); f32 and f64
// accept decimals, exponents, nan and inf. Other kinds are Unimplemented.
Result<std::vector<wasmtime::Val>> parse_core_arguments(std::string_view text,
                                                        std::span<const wasmtime::ValKind> kinds);

// The kind of a core value type: i32, i64, f32, f64 or v128, and ExternRef for every
// reference type (no number converts to one). Never fails, unlike the C API's
// wasm_valtype_kind(), which aborts the whole process on v128 and on references other than
// funcref and externref: a module exporting `func (param v128)` once took the host down when
// called (found by fuzz/module_fuzzer.cc).
wasmtime::ValKind core_value_kind(const wasm_valtype_t* type);

// Formats results separated by single spaces; integers signed, floats in
// their shortest round-trip form.
std::string format_core_results(std::span<const wasmtime::Val> results);

}  // namespace orivon::values
