#pragma once

// The event bus of a host that shares events with other hosts through NATS
// with JetStream (include/orivon/cluster.h says what a user sees).
//
// It wraps the host's own bus (local_event_bus.h), which keeps doing all the
// delivering: every event this host accepts is delivered here as before and
// also stored in one JetStream stream (subjects "<prefix>.<topic>", file
// storage, interest retention: an event stays until every host's consumer
// took it). Each host reads the stream through one durable (push) consumer
// named after it, and hands the events of the other hosts to its own bus as
// if published here; only then is the message acknowledged to JetStream, so
// an event survives a host or the server going down at any point
// (at-least-once; a send retried after a lost acknowledgement is
// de-duplicated by JetStream's message id).
//
// One consumer per host, not one per subscription: a host of 100,000
// modules would otherwise need as many consumers on the server, and the
// per-subscription semantics (durable queues, redelivery, dead letters,
// grants at delivery) are the host's own, the same as for local events.
//
// While the server is away, events this host accepts wait in an outbox
// (bounded: past it publishing is refused with ResourceExhausted) and are
// sent, in order, when it comes back. With a database for it, each one is
// also written there (fsync) before publish returns, so a host that
// crashes meanwhile sends them after its restart.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bus/event_bus.h"
#include "cluster/nats_link.h"

namespace orivon::bus {

struct NatsBusOptions {
  // Where the outbox is kept on disk (SQLite); empty: in memory only.
  std::filesystem::path outbox_database;
  std::size_t outbox_events = 10'000;
  std::uint64_t outbox_bytes = std::uint64_t{64} << 20;
};

// Takes over `local`. The link must outlive the bus.
Result<std::unique_ptr<EventBus>> make_nats_event_bus(std::unique_ptr<EventBus> local,
                                                      std::shared_ptr<cluster::NatsLink> link,
                                                      NatsBusOptions options = {});

// An event as it travels between hosts: who sent it from where, and the
// message. The envelope is orivon's own (version 1), in the message body.
struct Envelope {
  std::string origin;     // the sending host's name
  std::string publisher;  // a module id, or "client"
  std::uint32_t hops = 0;
  EventMessage message;
};
std::string encode_envelope(const Envelope& envelope);
// InvalidArgument for anything that is not a whole envelope (bodies come
// from the network).
Result<Envelope> decode_envelope(std::span<const std::uint8_t> body);

}  // namespace orivon::bus
