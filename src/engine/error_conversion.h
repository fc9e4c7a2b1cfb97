#pragma once

// The one place where Wasmtime's errors and traps become orivon Errors
// (STYLE.md rule 13). Wasmtime's messages are kept whole: they carry the
// trap reason and the wasm backtrace.

#include <string_view>
#include <variant>

#include <wasmtime.hh>

#include "orivon/error.h"

namespace orivon::engine {

// A guest that called WASI's exit (proc_exit): not a failure of the host.
struct GuestExit {
  int code = 0;
};

// How a call into a guest ended when it did not return normally.
using CallFailure = std::variant<GuestExit, Error>;

CallFailure classify_failure(const wasmtime::TrapError& failure);
CallFailure classify_failure(const wasmtime::Error& failure);

// An error from compiling, linking or instantiating, prefixed with `context`
// and folded onto one line (Wasmtime puts causes on separate lines).
Error to_error(const wasmtime::Error& error, ErrorCode code, std::string_view context);

// Folds a multi-line Wasmtime message ("x\n\nCaused by:\n    y") onto one
// line ("x: y").
std::string one_line(std::string_view message);

}  // namespace orivon::engine
