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

// Formats results separated by single spaces; integers signed, floats in
// their shortest round-trip form.
std::string format_core_results(std::span<const wasmtime::Val> results);

}  // namespace orivon::values
