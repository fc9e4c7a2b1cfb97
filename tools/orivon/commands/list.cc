// `orivon list [--limit N] [--after ID] [--json]`: the installed modules.
//
// Asked a page at a time, so each reply stays small whatever the host holds
// (100,000 modules are about 35 MB of JSON), and printed as it arrives: JSON
// item by item, the table once its column widths are known.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "commands/module_text.h"
#include "host/requests.h"
#include "host/session.h"

namespace orivon::cli {
namespace {

// Modules per request: a page of typical modules is well under a megabyte.
constexpr std::size_t kPage = 2000;

struct ListOptions {
  bool json = false;
  std::size_t limit = 0;  // 0: every module
  std::string after;
};

int run_list(const GlobalOptions& global, const ListOptions& options, std::ostream& out,
             std::ostream& err) {
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << noted(state_dir.error()).to_string() << "\n";
    return kExitError;
  }
  auto session = Session::open(*state_dir, err);
  if (!session) {
    err << "error: " << noted(session.error()).to_string() << "\n";
    return kExitError;
  }
  note_responder(global, session->via_host(), err);
  ModuleTable table;
  std::string after = options.after;
  std::size_t listed = 0;
  if (options.json) out << "[";
  while (options.limit == 0 || listed < options.limit) {
    const std::size_t want = options.limit == 0 ? kPage : std::min(kPage, options.limit - listed);
    nlohmann::json request = make_request(ManagementOperation::List);
    request["after"] = after;
    request["limit"] = want;
    auto reply = session->perform(request);
    if (!reply) {
      err << "error: " << noted(reply.error()).to_string() << "\n";
      return kExitError;
    }
    if (!reply->reply.value("ok", false)) {
      err << "error: " << noted(error_from_reply(reply->reply)).message() << "\n";
      return kExitError;
    }
    const auto& page = field(reply->reply, "result");
    if (!page.is_array()) {
      err << "error: the host sent a malformed listing\n";
      return kExitError;
    }
    for (const auto& module : page) {
      if (options.json) {
        if (listed > 0) out << ",";
        out << module.dump();
      } else {
        table.add(module);
      }
      ++listed;
    }
    // A short page is the last; an id that does not move on would loop.
    const std::string last = page.empty() ? std::string() : page.back().value("id", std::string());
    if (page.size() < want || last <= after) break;
    after = last;
  }
  if (options.json) {
    out << "]\n";
  } else {
    table.print(out);
  }
  return 0;
}

}  // namespace

CommandAction setup_list(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* command = app.add_subcommand("list", "List installed modules, by id");
  command->add_flag("--json", options->json,
                    "Print a JSON array of objects (id, kind, state, version, size_bytes, ...)");
  command->add_option("--limit", options->limit, "List at most N modules (default: all)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  command->add_option("--after", options->after,
                      "Start after this id (the last one of the previous page)")
      ->type_name("ID");
  command->footer("Paging: 'orivon list --limit 100', then '--after' the last id it printed.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_list(global, *options, out, err);
  };
}

}  // namespace orivon::cli
