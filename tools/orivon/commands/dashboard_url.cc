// `orivon dashboard-url`: the running host's dashboard URL with its access
// token, for a browser (or `curl`). The token is a secret: whoever has the
// URL can stop and start services.

#include <fstream>
#include <memory>
#include <string>

#include "cli.h"
#include "commands/commands.h"
#include "dashboard/access.h"
#include "host/control_socket.h"
#include "orivon/runtime.h"

namespace orivon::cli {
namespace {

int run_dashboard_url(const GlobalOptions& global, std::ostream& out, std::ostream& err) {
  auto state_dir = resolve_state_dir(global.state_dir);
  if (!state_dir) {
    err << "error: " << noted(state_dir.error()).to_string() << "\n";
    return kExitError;
  }
  // The address file of a host that died is stale: ask the host first.
  auto host = send_to_host(control_socket_path(*state_dir), {{"op", "ping"}});
  if (!host) {
    err << "error: " << noted(host.error()).to_string() << "\n";
    return kExitError;
  }
  if (!*host) {
    err << "error: no host is up in '" << state_dir->string()
        << "': start one with 'orivon up --dashboard ADDR'\n";
    return kExitError;
  }
  std::ifstream file(dashboard_address_path(*state_dir));
  std::string address;
  if (!std::getline(file, address) || address.empty()) {
    err << "error: the host runs without a dashboard: restart it with 'orivon up --dashboard "
           "ADDR'\n";
    return kExitError;
  }
  auto token = read_dashboard_token(*state_dir);
  if (!token) {
    err << "error: " << noted(token.error()).to_string() << "\n";
    return kExitError;
  }
  out << "http://" << address << "/?token=" << *token << "\n";
  return 0;
}

}  // namespace

CommandAction setup_dashboard_url(CLI::App& app, const GlobalOptions& global) {
  CLI::App* command = app.add_subcommand(
      "dashboard-url", "Print the URL (with its access token) of the running host's dashboard");
  command->footer(
      "The host serves the dashboard when started with 'orivon up --dashboard ADDR'. The same\n"
      "token, as 'Authorization: Bearer TOKEN', reads /metrics:\n"
      "  curl -H \"Authorization: Bearer $(cat STATE/dashboard.token)\" http://ADDR/metrics");
  return [&global](std::ostream& out, std::ostream& err) {
    return run_dashboard_url(global, out, err);
  };
}

}  // namespace orivon::cli
