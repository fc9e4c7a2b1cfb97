#pragma once

#include <ostream>

#include "orivon/error.h"

namespace orivon::cli {

// Exit codes of the orivon command. A guest's own exit status passes through
// unchanged when it ran to an exit.
inline constexpr int kExitError = 1;    // orivon could not do what was asked
inline constexpr int kExitUsage = 2;    // bad command line: usage was printed
inline constexpr int kExitTrapped = 134;  // the guest trapped, timed out or ran out of fuel
                                          // (128 + SIGABRT, as `wasmtime run` reports it)
inline constexpr int kExitCallErr = 3;    // `call --fail-on-err`: the call returned err(...)

// Records the code of the error a command reports, and returns it. With
// --json, a command that fails prints {"error": {"code": CODE, "message":
// MESSAGE}} on stdout (as well as its "error: ..." line on stderr); CODE is
// the last code noted here, else InvalidArgument for a usage error (exit 2)
// and Trapped for exit 134.
const Error& noted(const Error& error) noexcept;

// Parses the command line and runs the command. Never throws.
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) noexcept;

}  // namespace orivon::cli
