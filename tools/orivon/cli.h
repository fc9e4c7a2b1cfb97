#pragma once

#include <ostream>

namespace orivon::cli {

// Exit codes of the orivon command. A guest's own exit status passes through
// unchanged when it ran to an exit.
inline constexpr int kExitError = 1;    // orivon could not do what was asked
inline constexpr int kExitUsage = 2;    // bad command line: usage was printed
inline constexpr int kExitTrapped = 134;  // the guest trapped, timed out or ran out of fuel
                                          // (128 + SIGABRT, as `wasmtime run` reports it)

// Parses the command line and runs the command. Never throws.
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) noexcept;

}  // namespace orivon::cli
