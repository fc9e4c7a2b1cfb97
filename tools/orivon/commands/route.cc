// `orivon route add [HOST]/PREFIX ID`, `orivon route remove [HOST]/PREFIX`
// and `orivon routes [--json]`: which function module answers which HTTP
// requests of a host serving `orivon up --http`.

#include <iomanip>
#include <memory>

#include "cli.h"
#include "commands/commands.h"

namespace orivon::cli {
namespace {

constexpr const char* kRouteHelp =
    "A route is [HOST]/PREFIX: /api, /, or example.com/api (the host without a port).\n"
    "A request goes to the route for its Host with the longest prefix matching its path,\n"
    "else to the host-less route with the longest matching prefix; /api matches /api and\n"
    "/api/x, not /apix. The module must be a function (its manifest has a [function]\n"
    "table) exporting wasi:http/incoming-handler. Routes are kept in the state directory;\n"
    "a running host applies a change at once. Removing a module removes its routes.";

struct RouteOptions {
  std::string route;
  std::string id;
  bool json = false;
};

void print_routes(const nlohmann::json& result, std::ostream& out) {
  if (!result.is_array() || result.empty()) {
    out << "no routes\n";
    return;
  }
  out << std::left << std::setw(40) << "ROUTE" << "MODULE\n";
  for (const auto& route : result) {
    out << std::left << std::setw(40) << route.value("route", "") << route.value("id", "")
        << "\n";
  }
}

}  // namespace

CommandAction setup_route(CLI::App& app, const GlobalOptions& global) {
  CLI::App* command =
      app.add_subcommand("route", "Map HTTP routes to function modules: route add | remove");
  command->require_subcommand(1);
  command->footer(std::string(kRouteHelp) +
                  "\n\nExamples:\n"
                  "  orivon route add /hello hello.app.example\n"
                  "  orivon route add api.example.com/v1 api.app.example\n"
                  "  orivon route remove /hello");

  auto add = std::make_shared<RouteOptions>();
  CLI::App* add_command =
      command->add_subcommand("add", "Send the requests matching [HOST]/PREFIX to module ID");
  add_command->add_option("route", add->route, "[HOST]/PREFIX")->required()->type_name("ROUTE");
  add_command->add_option("id", add->id, "A function module")->required()->type_name("ID");
  add_command->add_flag("--json", add->json, "Print {route, host, prefix, id}");
  add_command->footer(kRouteHelp);

  auto remove = std::make_shared<RouteOptions>();
  CLI::App* remove_command = command->add_subcommand("remove", "Remove the route [HOST]/PREFIX");
  remove_command->add_option("route", remove->route, "[HOST]/PREFIX")
      ->required()
      ->type_name("ROUTE");
  remove_command->add_flag("--json", remove->json, "Print {route, removed}");

  return [add_command, add, remove, &global](std::ostream& out, std::ostream& err) {
    if (add_command->parsed()) {
      if (!are_valid_ids({add->id}, err)) return kExitUsage;
      nlohmann::json request = make_request(ManagementOperation::RouteAdd);
      request["route"] = add->route;
      request["id"] = add->id;
      return perform_and_print(
          global, request, add->json,
          [](const nlohmann::json& result, std::ostream& text) {
            text << "route " << result.value("route", "") << " -> " << result.value("id", "")
                 << "\n";
          },
          out, err);
    }
    nlohmann::json request = make_request(ManagementOperation::RouteRemove);
    request["route"] = remove->route;
    return perform_and_print(
        global, request, remove->json,
        [](const nlohmann::json& result, std::ostream& text) {
          text << "removed route " << result.value("route", "") << "\n";
        },
        out, err);
  };
}

CommandAction setup_routes(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<RouteOptions>();
  CLI::App* command = app.add_subcommand("routes", "HTTP routes and the modules they lead to");
  command->add_flag("--json", options->json,
                    "Print a JSON array of {route, host (null: any), prefix, id}");
  command->footer(kRouteHelp);
  return [options, &global](std::ostream& out, std::ostream& err) {
    return perform_and_print(global, make_request(ManagementOperation::Routes), options->json,
                             print_routes, out, err);
  };
}

}  // namespace orivon::cli
