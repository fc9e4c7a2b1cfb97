// `orivon list [--limit N] [--after ID] [--json]`: the installed modules.
//
// Asked a page at a time, so each reply stays small whatever the host holds
// (100,000 modules are about 35 MB of JSON), and printed as it arrives: JSON
// item by item, the table once its column widths are known.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli.h"
#include "commands/commands.h"
#include "host/listing_page.h"
#include "host/module_table.h"
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

// One page of the listing: each module's JSON text, as the responder wrote
// it when the reply has the usual layout, else as written again from the
// parsed reply.
struct Page {
  std::string line;                     // the reply
  std::vector<std::string> rewritten;   // only when the layout was another
  std::vector<std::string_view> items;  // into `line` or `rewritten`
};

Result<Page> fetch_page(Session& session, const std::string& after, std::size_t limit) {
  nlohmann::json request = make_request(ManagementOperation::List);
  request["after"] = after;
  request["limit"] = limit;
  Page page;
  ORIVON_TRY(page.line, session.perform_line(request));
  if (auto items = listing_items(page.line)) {
    page.items = std::move(*items);
    return page;
  }
  auto reply = nlohmann::json::parse(page.line, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) return Error(ErrorCode::Internal, "the host sent a malformed reply");
  if (!reply.value("ok", false)) return noted(error_from_reply(reply));
  const auto& result = field(reply, "result");
  if (!result.is_array()) return Error(ErrorCode::Internal, "the host sent a malformed listing");
  for (const auto& module : result) page.rewritten.push_back(module.dump());
  for (const auto& text : page.rewritten) page.items.emplace_back(text);
  return page;
}

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
    auto page = fetch_page(*session, after, want);
    if (!page) {
      err << "error: " << noted(page.error()).message() << "\n";
      return kExitError;
    }
    // --json prints each module's text as it came; the table reads only
    // the members it shows.
    for (std::string_view item : page->items) {
      if (options.json) {
        if (listed > 0) out << ",";
        out << item;
      } else if (!table.add(item)) {
        err << "error: the host sent a malformed listing\n";
        return kExitError;
      }
      ++listed;
    }
    // A short page is the last; an id that does not move on would loop.
    if (page->items.size() < want) break;
    auto last = nlohmann::json::parse(page->items.back(), nullptr, /*allow_exceptions=*/false);
    const std::string last_id = last.is_object() ? last.value("id", std::string()) : std::string();
    if (last_id <= after) break;
    after = last_id;
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
      ->check(kAtLeastOne);
  command->add_option("--after", options->after,
                      "Start after this id (the last one of the previous page)")
      ->type_name("ID");
  command->footer("Paging: 'orivon list --limit 100', then '--after' the last id it printed.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_list(global, *options, out, err);
  };
}

}  // namespace orivon::cli
