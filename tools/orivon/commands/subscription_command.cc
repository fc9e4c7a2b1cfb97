#include "commands/subscription_command.h"

#include "cli.h"

namespace orivon::cli {

int run_subscription_change(const GlobalOptions& global, const SubscriptionOptions& options,
                            SubscriptionChange change, std::ostream& out, std::ostream& err) {
  if (!are_valid_ids({options.id}, err)) return kExitUsage;
  const bool subscribe = change == SubscriptionChange::Subscribe;
  nlohmann::json request = make_request(subscribe ? ManagementOperation::Subscribe
                                                  : ManagementOperation::Unsubscribe);
  request["id"] = options.id;
  request["pattern"] = options.pattern;
  if (subscribe) request["durable"] = options.durable;
  return perform_and_print(
      global, request, options.json,
      [subscribe](const nlohmann::json& result, std::ostream& text) {
        if (subscribe) {
          text << result.value("id", "") << " subscribed to " << result.value("pattern", "")
               << " (" << result.value("durability", "") << ")\n";
        } else {
          text << result.value("id", "") << " unsubscribed from " << result.value("pattern", "")
               << "\n";
        }
      },
      out, err);
}

}  // namespace orivon::cli
