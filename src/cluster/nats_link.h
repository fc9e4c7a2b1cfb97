#pragma once

// The one connection of a host to its NATS server (libnats), shared by the
// event backend (cluster/nats_event_bus.h) and region buckets.
//
// Connecting never blocks the host on an absent server: the link is made at
// once and (re)connects in the background forever, so a host started before
// its server, or one whose server restarts, joins when it can. Who needs to
// act on a reconnect (resubscribe, flush an outbox) registers with
// on_connected(). Thread-safe.

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "orivon/cluster.h"
#include "orivon/result.h"

namespace orivon::cluster {

// An error for a failed libnats call: `what` failed, and libnats's reason.
Error nats_error(natsStatus status, std::string_view what);

// InvalidArgument unless `prefix` is dot-separated tokens of [A-Za-z0-9_-].
Result<void> check_subject_prefix(std::string_view prefix);

class NatsLink {
 public:
  // Down: not connected now, and trying again every 250 ms. Closed: the
  // link is being destroyed.
  enum class State { Connected, Down, Closed };

  // Reads the credentials file (InvalidArgument if it cannot be used) and
  // starts connecting. `host` names this host to the server.
  static Result<std::unique_ptr<NatsLink>> open(const ClusterOptions& options,
                                                std::string host);
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  natsConnection* connection() { return connection_; }
  jsCtx* jetstream() { return jetstream_; }
  const ClusterOptions& options() const { return options_; }
  const std::string& host() const { return host_; }

  State state() const { return state_.load(std::memory_order_acquire); }
  static std::string_view state_name(State state);
  std::string last_error() const;
  // The server's limit on one message (0 until first connected).
  std::uint64_t max_payload();

  // Called (on a libnats thread) each time the link connects or reconnects;
  // also at once if it is connected now. Register before using the link
  // from other threads; callbacks must outlive the link.
  void on_connected(std::function<void()> callback);

 private:
  NatsLink(ClusterOptions options, std::string host);
  static void connected_cb(natsConnection* connection, void* closure);
  static void disconnected_cb(natsConnection* connection, void* closure);
  static void closed_cb(natsConnection* connection, void* closure);
  static void error_cb(natsConnection* connection, natsSubscription* subscription,
                       natsStatus status, void* closure);
  void set_error(std::string text);
  void connected();

  const ClusterOptions options_;
  const std::string host_;
  natsConnection* connection_ = nullptr;
  jsCtx* jetstream_ = nullptr;
  std::atomic<State> state_{State::Down};
  mutable Mutex mutex_;
  // Set by the closed callback, the last libnats makes: the destructor
  // waits for it, so no callback runs on a destroyed link.
  bool closed_ ORIVON_GUARDED_BY(mutex_) = false;
  CondVar closed_changed_;
  std::string last_error_ ORIVON_GUARDED_BY(mutex_);
  std::vector<std::function<void()>> listeners_ ORIVON_GUARDED_BY(mutex_);
};

}  // namespace orivon::cluster
