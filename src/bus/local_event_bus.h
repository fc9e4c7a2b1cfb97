#pragma once

// The in-process event bus: ephemeral subscriptions in memory, durable ones
// in events.db (event_store.h), delivered by a few delivery threads.
//
// Delivery: each subscription is a lane with its own FIFO queue. A lane is
// handed to one delivery thread at a time, which delivers its oldest event
// and waits for the outcome before the next one, so events reach a
// subscriber one at a time and in order. A durable event that fails stays
// at the head of its lane (order is kept) and is retried after a backoff
// that doubles from `initial_backoff` up to `max_backoff`; after
// `max_deliveries` failures it goes to the dead letters. A subscriber that
// does not run keeps its durable events until wake() or the next poll.
//
// Owned by the runtime, which must call shut_down() (or destroy the bus)
// before the sink goes away. Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "bus/event_bus.h"
#include "core/limits.h"

namespace orivon::bus {

struct LocalBusOptions {
  // events.db; empty: no durable subscriptions (they are refused).
  std::filesystem::path database;
  std::size_t ephemeral_queue_events = limits::kEphemeralQueueEvents;
  std::size_t durable_queue_events = limits::kDurableQueueEvents;
  std::uint64_t queue_bytes = limits::kEventQueueBytes;
  std::uint32_t max_deliveries = limits::kMaxEventDeliveries;
  std::chrono::milliseconds initial_backoff = limits::kEventInitialBackoff;
  std::chrono::milliseconds max_backoff = limits::kEventMaxBackoff;
  // How often the durable events of a subscriber that does not run are tried.
  std::chrono::milliseconds idle_poll = limits::kEventIdlePoll;
  // How long a durable publish into a full queue waits for room before it
  // fails; zero fails at once.
  std::chrono::milliseconds publish_wait{0};
  std::size_t delivery_threads = limits::kEventDeliveryThreads;
};

// Opens the database (if any), loads persisted subscriptions and pending
// events, and starts the delivery threads. `sink` must outlive the bus (or
// its shut_down()).
Result<std::unique_ptr<EventBus>> make_local_event_bus(const LocalBusOptions& options,
                                                       EventSink& sink);

}  // namespace orivon::bus
