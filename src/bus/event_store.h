#pragma once

// The durable half of the in-process bus: events.db in the state directory,
// its own SQLite database (WAL, synchronous=FULL: a commit is on disk when
// it returns, so an event stored before publish returns survives a SIGKILL
// or a power cut, and an acknowledgement is never undone).
//
// Tables: subscriptions (persisted, durable or not), events (one row per
// durable event, shared by every subscription it went to), queue (one row
// per subscription and event not yet acknowledged, with its attempts), dead
// (the dead letters). An event row goes when no queue or dead row needs it.
//
// Owned by the LocalEventBus. Not thread-safe: the bus serializes access.
// The database file is untrusted input: malformed rows are errors, never
// crashes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bus/event_bus.h"
#include "orivon/events.h"
#include "orivon/result.h"

namespace orivon::bus {

class EventStore {
 public:
  struct StoredSubscription {
    SubscriptionId id;
    std::string subscriber;
    std::string pattern;
    EventDurability durability = EventDurability::Ephemeral;
    SubscriptionSource source = SubscriptionSource::Client;
  };
  // An unacknowledged event of one subscription.
  struct Pending {
    SubscriptionId subscription;
    ReceivedEvent event;    // event.sequence is the event's id
    std::uint32_t attempts = 0;  // deliveries that failed so far
  };

  // Opens (creating) the database and its tables.
  static Result<std::unique_ptr<EventStore>> open(const std::filesystem::path& file);
  ~EventStore();

  Result<std::vector<StoredSubscription>> subscriptions();
  // Inserts the subscription, or updates the durability and source of the
  // same subscriber and pattern; returns its id.
  Result<SubscriptionId> put_subscription(std::string_view subscriber, std::string_view pattern,
                                          EventDurability durability, SubscriptionSource source);
  // Removes it with its queue and dead letters.
  Result<void> remove_subscription(SubscriptionId id);

  // Stores one event for `subscriptions` in one transaction; returns its id.
  Result<std::uint64_t> store(const ReceivedEvent& event,
                              std::span<const SubscriptionId> subscriptions);
  // Every unacknowledged event, by subscription, oldest first.
  Result<std::vector<Pending>> pending();
  Result<void> acknowledge(SubscriptionId subscription, std::uint64_t event);
  Result<void> record_failure(SubscriptionId subscription, std::uint64_t event,
                              std::uint32_t attempts);
  // Moves the event from the queue to the dead letters.
  Result<void> bury(SubscriptionId subscription, std::string_view subscriber, std::uint64_t event,
                    std::uint32_t attempts, std::string_view reason);

  Result<std::vector<DeadLetter>> dead_letters(std::size_t max);
  Result<std::uint64_t> dead_count();
  // Dead letters per subscription.
  Result<std::map<std::uint64_t, std::uint64_t>> dead_counts();
  // Moves every dead letter back to its subscription's queue (attempts 0);
  // returns them as pending, oldest first.
  Result<std::vector<Pending>> requeue_dead();
  Result<std::size_t> purge_dead();

 private:
  class Impl;
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orivon::bus
