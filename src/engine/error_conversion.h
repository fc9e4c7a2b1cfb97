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

// Why a guest failed, on one line, from the text of its failure (an Error's
// to_string(), which for a trap holds Wasmtime's whole message): the trap's
// reason ("wasm trap: integer divide by zero") or the host's error that
// trapped the guest ("'b' failed in f: ..."), without the wasm backtrace
// (whose function names are the guest's own text). Not bounded: callers that
// hand it on cap it (limits::kMaxFailureTextBytes).
std::string failure_reason(std::string_view text);

}  // namespace orivon::engine
