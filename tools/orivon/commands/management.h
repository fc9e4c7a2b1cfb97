#pragma once

// What the management commands share: the global --state option, checking
// ids, building a request, sending it through a session and printing the
// reply as text or JSON.

#include <functional>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orivon/management_operation.h"

namespace orivon::cli {

struct GlobalOptions {
  std::string state_dir;  // --state; empty: ORIVON_STATE, XDG_STATE_HOME, ~/.local/state
  bool quiet = false;     // -q: no notes on stderr about who answered
};

// "(answered by the running host)" or "(no host running: ...)" on `err`,
// unless -q.
void note_responder(const GlobalOptions& global, bool via_host, std::ostream& err);

using TextPrinter = std::function<void(const nlohmann::json& result, std::ostream& out)>;

// {"op": NAME} for `operation`; the command adds its own fields.
nlohmann::json make_request(ManagementOperation operation);

// The member `key` of a reply object, or null when the reply lacks it (or is
// not an object): a reply is read, never trusted to have every field.
const nlohmann::json& field(const nlohmann::json& object, std::string_view key);

// Performs `request`; on success prints the result (as JSON with
// `json_output`, else through `print_text`) and says on stderr whether a
// running host or the state directory answered. Returns the exit code.
// `exit_code_of`, if given, chooses the exit code of a successful result
// (`call --fail-on-err`).
int perform_and_print(const GlobalOptions& global, const nlohmann::json& request, bool json_output,
                      const TextPrinter& print_text, std::ostream& out, std::ostream& err,
                      const std::function<int(const nlohmann::json& result)>& exit_code_of = {});

// Whether every one of `ids` is a valid module id. Checked before any state
// is opened, so a typo is a usage error; says on `err` what is wrong with
// the first bad one.
bool are_valid_ids(std::initializer_list<std::string_view> ids, std::ostream& err);

// Absolute form of a path the user typed, so the host (whose working
// directory differs) reads the same file.
std::string absolute_path(const std::string& path);

}  // namespace orivon::cli
