#pragma once

// What the management commands (add, remove, update, list, inspect) share:
// the global --state option, sending a request through a session, and
// printing the reply as text or JSON.

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace orivon::cli {

struct GlobalOptions {
  std::string state_dir;  // --state; empty: ORIVON_STATE, XDG_STATE_HOME, ~/.local/state
};

using TextPrinter = std::function<void(const nlohmann::json& result, std::ostream& out)>;

// Performs `request`; on success prints the result (as JSON with
// `json_output`, else through `print_text`) and says on stderr whether a
// running host or the state directory answered. Returns the exit code.
int perform_and_print(const GlobalOptions& global, const nlohmann::json& request, bool json_output,
                      const TextPrinter& print_text, std::ostream& out, std::ostream& err);

// Absolute form of a path the user typed, so the host (whose working
// directory differs) reads the same file.
std::string absolute_path(const std::string& path);

}  // namespace orivon::cli
