#include "grants/topic_pattern.h"

#include <vector>

namespace orivon::grants {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Splits on '.', keeping empty tokens so they can be refused.
std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    auto dot = text.find('.');
    out.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return out;
}

enum class Wildcards { Refused, Allowed };

Result<void> check(std::string_view text, Wildcards wildcards) {
  const std::string_view what = wildcards == Wildcards::Allowed ? "topic pattern" : "topic";
  auto refuse = [&](const std::string& why) {
    std::string shown(text.substr(0, 64));
    if (text.size() > 64) shown += "...";
    return Error(ErrorCode::InvalidArgument,
                 std::string(what) + " '" + shown + "': " + why +
                     "; a topic is dot-separated tokens of letters, digits, '_' and '-' "
                     "(orders.eu.created)" +
                     (wildcards == Wildcards::Allowed
                          ? ", and a pattern may use '*' for one token and a final '>' for the "
                            "rest (orders.*.created, audit.>)"
                          : ""));
  };
  if (text.empty()) return refuse("empty");
  if (text.size() > kMaxTopicLength) {
    return refuse("longer than " + std::to_string(kMaxTopicLength) + " bytes");
  }
  const auto parts = tokens(text);
  if (parts.size() > kMaxTopicTokens) {
    return refuse("more than " + std::to_string(kMaxTopicTokens) + " tokens");
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view token = parts[i];
    if (token.empty()) return refuse("token " + std::to_string(i + 1) + " is empty");
    if (token == "*" || token == ">") {
      if (wildcards == Wildcards::Refused) {
        return refuse("the wildcard '" + std::string(token) +
                      "' may only be used in grants and subscriptions, not to publish");
      }
      if (token == ">" && i + 1 != parts.size()) return refuse("'>' must be the last token");
      continue;
    }
    for (char c : token) {
      if (!is_token_char(c)) {
        const auto byte = static_cast<unsigned char>(c);
        std::string shown = (byte < 0x20 || byte >= 0x7f) ? "byte " + std::to_string(byte)
                                                          : "'" + std::string(1, c) + "'";
        return refuse("token " + std::to_string(i + 1) + " has " + shown);
      }
    }
  }
  return ok();
}

}  // namespace

Result<void> check_topic(std::string_view text) { return check(text, Wildcards::Refused); }

Result<void> check_topic_pattern(std::string_view text) { return check(text, Wildcards::Allowed); }

bool topic_matches(std::string_view pattern, std::string_view topic) {
  const auto want = tokens(pattern);
  const auto have = tokens(topic);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == ">") return have.size() > i;  // one or more tokens left
    if (i >= have.size()) return false;
    if (want[i] != "*" && want[i] != have[i]) return false;
  }
  return want.size() == have.size();
}

bool pattern_covers(std::string_view outer, std::string_view inner) {
  const auto big = tokens(outer);
  const auto small = tokens(inner);
  for (std::size_t i = 0; i < big.size(); ++i) {
    if (big[i] == ">") return small.size() > i;  // '>' in inner also needs at least one token
    if (i >= small.size()) return false;
    if (small[i] == ">") return false;  // inner reaches further than one token
    if (big[i] == "*") continue;         // covers a literal or a '*'
    if (small[i] != big[i]) return false;
  }
  return big.size() == small.size();
}

}  // namespace orivon::grants
