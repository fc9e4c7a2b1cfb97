#pragma once

// What a module's topic grants (`topic:PATTERN:publish|subscribe`) let it
// do, from its allowed grants as stored. Plain functions; thread-safe. A
// stored grant that no longer parses allows nothing (fail closed).

#include <string>
#include <string_view>
#include <vector>

#include "orivon/grants.h"

namespace orivon::grants {

// Whether a grant of `access` matches the topic `topic`: may it publish on
// it (Publish), may it receive an event on it (Subscribe)?
bool allows_topic(const std::vector<std::string>& allowed, TopicAccess access,
                  std::string_view topic);

// Whether one subscribe grant covers every topic `pattern` matches: may it
// subscribe to `pattern`?
bool allows_subscription(const std::vector<std::string>& allowed, std::string_view pattern);

}  // namespace orivon::grants
