#pragma once

// Event topics and the patterns that grants and subscriptions use.
//
// A topic is dot-separated tokens of [A-Za-z0-9_-]+ ("orders.eu.created"):
// the same as a NATS subject without wildcards, so a later NATS backend maps
// a topic to a subject unchanged. A pattern may also use `*` for exactly one
// token and, as its last token only, `>` for one or more remaining tokens
// (NATS semantics: "orders.>" matches "orders.eu" but not "orders").
//
// Plain functions over plain data; thread-safe. Every input here is
// untrusted (guest topics, grant strings, CLI arguments): a bad one is an
// InvalidArgument saying what is wrong, never an assert.

#include <string>
#include <string_view>

#include "orivon/result.h"

namespace orivon::grants {

// Longest topic or pattern, in bytes, and most tokens in one. Bounded so a
// hostile guest cannot make matching or storage expensive; far above what
// real topic names use (NATS suggests keeping subjects short too).
inline constexpr std::size_t kMaxTopicLength = 255;
inline constexpr std::size_t kMaxTopicTokens = 32;

// Whether `text` is a topic to publish on: OK, or InvalidArgument naming the
// offending token (a wildcard, an empty token, a forbidden character).
[[nodiscard]] Result<void> check_topic(std::string_view text);

// Whether `text` is a pattern for a grant or a subscription.
[[nodiscard]] Result<void> check_topic_pattern(std::string_view text);

// Whether the topic `topic` is matched by `pattern`. Both must have passed
// their check; an unchecked input may give a wrong answer but never reads
// out of bounds.
bool topic_matches(std::string_view pattern, std::string_view topic);

// Whether every topic `inner` matches is also matched by `outer`
// ("orders.*" covers "orders.eu", "orders.>" covers "orders.*.x"). Used to
// decide whether a subscribe grant covers a subscription's whole pattern.
bool pattern_covers(std::string_view outer, std::string_view inner);

}  // namespace orivon::grants
