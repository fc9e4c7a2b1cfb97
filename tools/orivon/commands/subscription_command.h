#pragma once

// What `orivon subscribe` and `orivon unsubscribe` share.

#include <ostream>
#include <string>

#include "commands/management.h"

namespace orivon::cli {

struct SubscriptionOptions {
  std::string id;
  std::string pattern;
  bool durable = false;
  bool json = false;
};

enum class SubscriptionChange { Subscribe, Unsubscribe };

int run_subscription_change(const GlobalOptions& global, const SubscriptionOptions& options,
                            SubscriptionChange change, std::ostream& out, std::ostream& err);

}  // namespace orivon::cli
