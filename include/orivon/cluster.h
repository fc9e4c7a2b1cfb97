#pragma once

/// \file
/// Several hosts: events and region/global buckets shared through a NATS
/// server with JetStream (README "Several hosts").
///
/// A host given a NATS URL sends every event it accepts to a JetStream
/// stream and takes, through one durable consumer of its own, the events the
/// other hosts sent; each host then delivers to its own modules exactly as it
/// delivers its own events (durable copies in its events.db, redelivery and
/// dead letters, grants checked at delivery). Grants stay local decisions:
/// the publishing host checks the publisher's, the receiving host the
/// subscriber's. A host that loses the server keeps running its modules and
/// delivering its own events, keeps what it could not send in its outbox
/// (bounded), and reconnects by itself.

#include <cstdint>
#include <filesystem>
#include <string>

namespace orivon {

struct ClusterOptions {
  /// The NATS server, e.g. "nats://127.0.0.1:4222". Empty: this host is alone.
  std::string nats_url;
  /// Credentials, read from a file so they never appear on a command line:
  /// a NATS `.creds` file (a user JWT and its NKey seed), or one line that is
  /// either `user:password` or a token. Empty: none.
  std::filesystem::path credentials_file;
  /// Topics map to NATS subjects under this prefix ("orivon.orders.created");
  /// hosts that share a prefix share events. Dot-separated tokens of
  /// `[A-Za-z0-9_-]`.
  std::string subject_prefix = "orivon";
  /// This host's name in the cluster, unique among the hosts (its JetStream
  /// consumer is named after it). Empty: a random one, kept in the state
  /// directory (file `host-id`) so a restarted host finds its consumer again.
  std::string host_name;
  /// Events kept by JetStream for hosts that have not taken them yet; past
  /// it a publish is refused (backpressure), never silently dropped.
  std::uint64_t stream_max_bytes = std::uint64_t{1} << 30;
};

/// The state of the link to NATS, as `orivon events` and the dashboard show it.
struct ClusterReport {
  std::string url;
  std::string host;   ///< this host's name in the cluster
  std::string state;  ///< "connected", or "down" (and reconnecting)
  std::string last_error;
  std::uint64_t sent = 0;      ///< events this host sent to the others
  std::uint64_t sent_core = 0; ///< of those, sent at most once (no durable subscription elsewhere)
  std::uint64_t received = 0;  ///< events of other hosts handed to this host's bus
  std::uint64_t outbox = 0;    ///< events accepted while NATS was away, not yet sent
  std::uint64_t max_payload = 0;  ///< the server's limit on one message, bytes
  std::uint64_t remote_durable_patterns = 0;  ///< durable patterns other hosts advertise
};

}  // namespace orivon
