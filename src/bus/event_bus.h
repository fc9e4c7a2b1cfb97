#pragma once

// The event bus behind one interface, so that a NATS/JetStream backend can
// replace the in-process one (local_event_bus.h) without changing guests or
// grants: topics map to subjects one to one, durable subscriptions to
// JetStream consumers.
//
// The bus knows nothing of grants or of how a module runs its handler: the
// layer above checks a publisher's grant before publish(), and the
// EventSink (the runtime) delivers to modules and re-checks the
// subscriber's grant at each delivery.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/events.h"
#include "orivon/ids.h"
#include "orivon/result.h"

namespace orivon::bus {

// Identifies a subscription for as long as it exists (and, for persisted
// ones, across restarts of the host).
struct SubscriptionId {
  std::uint64_t value = 0;
  friend auto operator<=>(const SubscriptionId&, const SubscriptionId&) = default;
};

// Where a subscription came from; persisted ones are "client" (orivon
// subscribe) and "manifest" ([[triggers]] kind = "event").
enum class SubscriptionSource { Client, Manifest };

// What a delivery to a module came to.
struct DeliveryOutcome {
  enum class Kind {
    Acknowledged,  // the handler returned ok
    Failed,        // err, a trap or a deadline: redelivered if durable
    NotRunning,    // the subscriber does not run now: a durable event waits for it
    Refused,       // the subscriber lost its grant: the event is dropped for it
  };
  Kind kind = Kind::Acknowledged;
  std::string reason;  // for Failed and Refused
};

// Delivers events to modules. Implemented by the runtime; called by the bus
// on its delivery threads, never with a bus lock held, one event at a time
// per subscription. Must be thread-safe and must not throw.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual DeliveryOutcome deliver(const ModuleId& subscriber, const ReceivedEvent& event) = 0;
};

// Thread-safe.
class EventBus {
 public:
  virtual ~EventBus() = default;

  // Publishes `message` from `publisher` ("client" or a module id), whose
  // hop count is `hops`. Checks the topic and the sizes (InvalidArgument),
  // the hop limit (ResourceExhausted), and room in every durable
  // subscription it matches (ResourceExhausted, naming the subscription:
  // nothing is published then). Returns once durable subscribers' copies are
  // stored; delivery is asynchronous. Returns the event's sequence number.
  virtual Result<std::uint64_t> publish(std::string_view publisher, EventMessage message,
                                        std::uint32_t hops) = 0;

  // Subscribes a module, persisted. Subscribing the same module to the same
  // pattern again changes its durability. InvalidArgument for a bad pattern.
  virtual Result<SubscriptionId> subscribe(const ModuleId& subscriber, std::string_view pattern,
                                           EventDurability durability,
                                           SubscriptionSource source) = 0;
  // NotFound if the module has no such subscription. Its waiting durable
  // events are discarded.
  virtual Result<void> unsubscribe(const ModuleId& subscriber, std::string_view pattern) = 0;
  // Every subscription of `subscriber` (a module being removed).
  virtual Result<void> unsubscribe_all(const ModuleId& subscriber) = 0;
  // The module's subscriptions: (pattern, durability, source).
  virtual std::vector<SubscriptionReport> subscriptions(const ModuleId& subscriber) = 0;

  // A subscription of the client itself, in memory only, ephemeral.
  virtual Result<SubscriptionId> subscribe_client(std::string_view pattern,
                                                  EventHandler handler) = 0;
  virtual Result<void> unsubscribe_client(SubscriptionId id) = 0;

  // The subscriber may be able to take events now (it started): retry its
  // waiting durable events without waiting for the next poll.
  virtual void wake(const ModuleId& subscriber) = 0;

  virtual EventsReport report() = 0;
  virtual EventCounters counters(std::string_view party) = 0;

  virtual Result<std::vector<DeadLetter>> dead_letters(std::size_t max) = 0;
  // Puts dead letters back at the end of their subscription's queue with a
  // fresh delivery count; returns how many.
  virtual Result<std::size_t> requeue_dead_letters() = 0;
  virtual Result<std::size_t> purge_dead_letters() = 0;

  // Stops delivering and waits for handlers in progress. Idempotent; the
  // destructor calls it.
  virtual void shut_down() = 0;
};

}  // namespace orivon::bus
