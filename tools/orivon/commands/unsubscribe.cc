// `orivon unsubscribe ID PATTERN`: the module stops receiving PATTERN's
// events; its waiting durable events are discarded.

#include <memory>

#include "commands/commands.h"
#include "commands/subscription_command.h"

namespace orivon::cli {

CommandAction setup_unsubscribe(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SubscriptionOptions>();
  CLI::App* command =
      app.add_subcommand("unsubscribe", "Remove a module's subscription (its waiting events too)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_option("PATTERN", options->pattern, "The pattern, as subscribed")->required();
  command->add_flag("--json", options->json, "Print the result as JSON");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_subscription_change(global, *options, SubscriptionChange::Unsubscribe, out, err);
  };
}

}  // namespace orivon::cli
