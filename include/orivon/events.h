#pragma once

/// \file
/// Events between modules: publish/subscribe on named topics.
///
/// A topic is dot-separated tokens of `[A-Za-z0-9_-]+` ("orders.eu.created");
/// subscriptions and grants use patterns where `*` matches exactly one token
/// and a final `>` one or more remaining tokens (NATS semantics). A module
/// publishes only on topics its `topic:PATTERN:publish` grants cover and
/// receives only what its `topic:PATTERN:subscribe` grants cover (checked at
/// every publish and every delivery, so a deny applies at once).
///
/// Two kinds of subscription:
///  - *ephemeral*: at-most-once, in memory. Each subscription has a bounded
///    queue; when it is full the oldest event is dropped and counted.
///  - *durable*: at-least-once. The event is stored in SQLite (events.db in
///    the state directory) before publish returns; a handler returning ok
///    acknowledges it; an error, a trap or a deadline redelivers it with
///    backoff up to a limit, then moves it to the dead letters. Events wait
///    for a stopped subscriber, and survive a crash of the host.
///
/// Events are delivered FIFO per subscription, one at a time. Every event
/// carries a hop count: an event published by a handler while it handles
/// another is one hop further, and past the hop limit publishing fails, which
/// cuts loops between modules.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orivon/cluster.h"
#include "orivon/export.h"
#include "orivon/result.h"

namespace orivon {

/// What a publisher sends: a topic, bytes, an optional content type and
/// metadata (key/value pairs, order kept).
struct EventMessage {
  std::string topic;
  std::vector<std::uint8_t> data;
  std::optional<std::string> content_type;
  std::vector<std::pair<std::string, std::string>> metadata;
  friend bool operator==(const EventMessage&, const EventMessage&) = default;
};

/// One event as a subscriber receives it.
struct ReceivedEvent {
  EventMessage message;
  std::string publisher;      ///< the publishing module's id, or "client"
  std::uint64_t sequence = 0; ///< durable: the event's id in events.db; ephemeral: per host
  std::uint32_t hops = 0;     ///< how many handlers it passed through before it was published
  std::uint32_t attempt = 1;  ///< 1 on first delivery, more on a redelivery
};

enum class EventDurability {
  Ephemeral,  ///< at-most-once, in memory, bounded queue (drop-oldest, counted)
  Durable,    ///< at-least-once, stored before publish returns
};

/// "ephemeral" or "durable".
ORIVON_API std::string_view event_durability_name(EventDurability durability);

/// A client's handler for its own subscriptions (Runtime::subscribe_events).
/// Called on a delivery thread, one event at a time per subscription, never
/// with a lock held. An error is counted as a failure (the event is not
/// redelivered: client subscriptions are ephemeral).
using EventHandler = std::function<Result<void>(const ReceivedEvent& event)>;

/// Counters of one module, or of the client ("client").
struct EventCounters {
  std::uint64_t published = 0;  ///< events it published that were accepted
  std::uint64_t delivered = 0;  ///< events its handler acknowledged
  std::uint64_t failed = 0;     ///< deliveries its handler failed (error, trap, deadline)
  std::uint64_t dropped = 0;    ///< events meant for it that were dropped (full queue, no grant,
                                ///< not running for an ephemeral one)
  friend bool operator==(const EventCounters&, const EventCounters&) = default;
};

/// One subscription and its queue.
struct SubscriptionReport {
  std::uint64_t id = 0;
  std::string subscriber;  ///< a module id, or "client"
  std::string pattern;
  EventDurability durability = EventDurability::Ephemeral;
  std::string source;      ///< "client" (orivon subscribe), "manifest" or "api"
  std::uint64_t pending = 0;      ///< waiting to be delivered (in flight included)
  std::uint64_t delivered = 0;
  std::uint64_t redelivered = 0;  ///< deliveries that were retries
  std::uint64_t dropped = 0;
  std::uint64_t dead = 0;         ///< in the dead letters now
};

/// A topic seen since the host started.
struct TopicReport {
  std::string topic;
  std::uint64_t published = 0;
};

struct EventsReport {
  std::vector<SubscriptionReport> subscriptions;
  std::vector<TopicReport> topics;
  std::uint64_t dead_letters = 0;
  /// The link to the other hosts, when this host has one (cluster.h).
  std::optional<ClusterReport> cluster;
};

/// A durable event that was not acknowledged after the delivery limit.
struct DeadLetter {
  std::uint64_t id = 0;
  std::uint64_t subscription = 0;
  std::string subscriber;
  ReceivedEvent event;
  std::uint32_t attempts = 0;
  std::string reason;       ///< the last failure
  std::int64_t dead_at = 0; ///< seconds since the epoch
};

}  // namespace orivon
