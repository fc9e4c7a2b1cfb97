// `orivon subscribe ID PATTERN [--durable]`: a module receives the events of
// PATTERN through its wasi:messaging incoming-handler.

#include <memory>

#include "commands/commands.h"
#include "commands/subscription_command.h"

namespace orivon::cli {

CommandAction setup_subscribe(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SubscriptionOptions>();
  CLI::App* command = app.add_subcommand(
      "subscribe", "Subscribe a service module to a topic pattern (persisted)");
  command->add_option("ID", options->id, "The module's id")->required();
  command->add_option("PATTERN", options->pattern,
                      "Topics to receive: '*' matches one token, a final '>' the rest "
                      "(orders.*.created, audit.>)")
      ->required();
  command->add_flag("--durable", options->durable,
                    "At-least-once: events are stored before publish returns, wait while the "
                    "module is stopped, are retried on failure, then dead-lettered (default: "
                    "ephemeral, at-most-once, bounded queue)");
  command->add_flag("--json", options->json, "Print the result as JSON");
  command->footer(
      "The module needs a grant covering the whole pattern, e.g.\n"
      "  orivon allow ID topic:orders.*:subscribe\n"
      "Subscribing again to the same pattern changes its durability.");
  return [options, &global](std::ostream& out, std::ostream& err) {
    return run_subscription_change(global, *options, SubscriptionChange::Subscribe, out, err);
  };
}

}  // namespace orivon::cli
