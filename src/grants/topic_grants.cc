#include "grants/topic_grants.h"

#include "grants/topic_pattern.h"

namespace orivon::grants {
namespace {

template <typename Test>
bool any_topic_grant(const std::vector<std::string>& allowed, TopicAccess access, Test&& test) {
  for (const auto& text : allowed) {
    if (!text.starts_with("topic:")) continue;  // cheap filter before parsing
    auto parsed = parse_grant(text);
    if (!parsed) continue;
    const auto* grant = std::get_if<TopicGrant>(&*parsed);
    if (grant != nullptr && grant->access == access && test(grant->pattern)) return true;
  }
  return false;
}

}  // namespace

bool allows_topic(const std::vector<std::string>& allowed, TopicAccess access,
                  std::string_view topic) {
  return any_topic_grant(allowed, access,
                         [&](const std::string& pattern) { return topic_matches(pattern, topic); });
}

bool allows_subscription(const std::vector<std::string>& allowed, std::string_view pattern) {
  return any_topic_grant(allowed, TopicAccess::Subscribe, [&](const std::string& granted) {
    return pattern_covers(granted, pattern);
  });
}

}  // namespace orivon::grants
